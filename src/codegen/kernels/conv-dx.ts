// Convolution backward, input gradient (kernels/train/conv_dx.wgsl).

import { i, u } from '../template.js';
import { convBlocks, convDims, type ConvGeometry } from '../conv-layout.js';
import type { ConvDxSchedule } from '../schedule/types.js';
import { dxRowsOf } from '../schedule/conv-dx.js';
import { argU, type DispatchLimits } from './common.js';
import { type BufView, type GradTarget, type TrainKernel, reads, writes } from './train-common.js';
import { buildConvGrad } from './conv-grad.js';
import { genConvDxGemm } from './conv-dx-gemm.js';
import { quadIndexLines, quadOf, signedName } from './quads.js';
import { STORE_LOOP_MAX_ITEMS, type StoreItem, storeBlock } from './store-loop.js';

interface TapCombo {
  r: number;
  j: number;
  t: number;
  dq: number;
  eq: number;
}

/** The inner loop over output channels: subgroup-shared weight loads, dy taps, the FMAs. */
function dxBody(c: { sg: number; icb: number; kk: number; nv: number; icTail: boolean; combos: TapCombo[]; usedTaps: number[]; nm: (d: number) => string; dyQuads: boolean }): string[] {
  const { sg, icb, kk, nv, icTail, combos, usedTaps, nm, dyQuads } = c;
  const body: string[] = [];
  const nw = icb * kk;
  const clampIc = (e: string) => (icTail ? `min(${e}, icl_max)` : e);
  if (sg > 0) {
    for (let m = 0; m * sg < nw; m++) {
      const e = (m + 1) * sg > nw ? `min(lane + ${u(m * sg)}, ${u(nw - 1)})` : `lane + ${u(m * sg)}`;
      body.push(`    let e${m} = ${e};`);
      body.push(`    let q${m} = {{wgt}}[wbase + ${clampIc(`e${m} / KK`)} * (KK * OCB) + (e${m} % KK) * OCB];`);
    }
  }
  const weight = (icl: number, t: number): string => {
    if (sg > 0) {
      const e = icl * kk + t;
      return `subgroupBroadcast(q${Math.floor(e / sg)}, ${u(e % sg)})`;
    }
    return icTail ? `{{wgt}}[wbase + min(${u(icl)}, icl_max) * (KK * OCB) + ${u(t)} * OCB]` : `{{wgt}}[wbase + ${u(icl * kk + t)} * OCB]`;
  };
  const pairs = [...new Set(combos.map((c) => `${c.dq},${c.eq}`))].map((pr) => pr.split(',').map(Number));
  if (dyQuads) {
    // dy columns oxb + eq as components of aligned quads (quads.ts; qi_/qv_/qc_ are set up in genConvDx)
    const loads = [...new Set(pairs.map(([dq, eq]) => `${dq},${quadOf(eq).qd}`))].map((pr) => pr.split(',').map(Number));
    for (const [dq, qd] of loads) {
      body.push(`    let y_${nm(dq)}_${nm(qd)} = select(vec4<f32>(0.0), {{dy}}[(dyp + ro_${nm(dq)}) / 4u + qc_${nm(qd)}], rv_${nm(dq)} && qv_${nm(qd)});`);
    }
    for (const [dq, eq] of pairs) {
      const { qd, comp } = quadOf(eq);
      body.push(`    let d_${nm(dq)}_${nm(eq)} = vec4<f32>(y_${nm(dq)}_${nm(qd)}.${comp});`);
    }
  } else {
    for (const [dq, eq] of pairs) {
      body.push(`    let d_${nm(dq)}_${nm(eq)} = vec4<f32>(select(0.0, {{dy}}[dyp + ro_${nm(dq)} + cx_${nm(eq)}], rv_${nm(dq)} && cv_${nm(eq)}));`);
    }
  }
  for (const t of usedTaps) {
    for (let v = 0; v < nv; v++) {
      body.push(`    let w${t}_${v} = vec4<f32>(${[0, 1, 2, 3].map((c) => weight(4 * v + c, t)).join(', ')});`);
    }
  }
  for (const c of combos) {
    for (let v = 0; v < nv; v++) {
      const a = `a${c.r}_${c.j}_${v}`;
      body.push(`    ${a} = fma(w${c.t}_${v}, d_${nm(c.dq)}_${nm(c.eq)}, ${a});`);
    }
  }

  return body;
}

interface DxStore {
  rb: number;
  pxb: number;
  nv: number;
  ih: number;
  iw: number;
  icTail: boolean;
  accumulate: boolean;
  /** Store 4 pixels of a channel as one vec4 (dx bound as vec4s): 4x fewer per-lane stores. */
  vec: boolean;
}

/**
 * The vec4 stores of the dX block, quads of 4 pixels per channel, in loops (see store-loop.ts):
 * one over the whole block, or where that would be more than STORE_LOOP_MAX_ITEMS stores, one per
 * group of rows, so that a tall block keeps its stores in loops instead of unrolling them (32
 * unrolled vec4 stores made a kernel about 10x slower to compile).
 */
function dxVecStores(c: DxStore): string[] {
  const { rb, pxb, nv, ih, icTail, accumulate } = c;
  const rowTail = ih % rb !== 0;
  const rowItems = (r: number): StoreItem[] => {
    const items: StoreItem[] = [];
    for (let j = 0; j < pxb; j += 4) {
      for (let v = 0; v < nv; v++) {
        for (let ch = 0; ch < 4; ch++) {
          const icl = 4 * v + ch;
          const conds = [...(rowTail ? [`iy0 + ${u(r)} < IN_H`] : []), ...(icTail ? [`icl0 + ${u(icl)} < CIG`] : [])];
          items.push({
            value: `vec4<f32>(${[0, 1, 2, 3].map((q) => `a${r}_${j + q}_${v}.${'xyzw'[ch]}`).join(', ')})`,
            offset: `${u(r)} * (IN_W / 4u) + ${u(j / 4)} + ${u(icl)} * (IHW / 4u)`,
            ...(conds.length > 0 ? { when: conds.join(' && ') } : {}),
          });
        }
      }
    }
    return items;
  };
  const body = ({ v, off }: { v: string; off: string }) => [accumulate ? `{{dx}}[o + ${off}] = {{dx}}[o + ${off}] + ${v};` : `{{dx}}[o + ${off}] = ${v};`];
  const out = ['    let o = (n * DX_BATCH_STRIDE + DX_OFFSET + (g * CIG + icl0) * IHW + iy0 * IN_W + ix0) / 4u;'];
  const perLoop = Math.max(1, Math.floor(STORE_LOOP_MAX_ITEMS / rowItems(0).length));
  if (perLoop >= rb) {
    const items = Array.from({ length: rb }, (_, r) => rowItems(r)).flat();
    return [...out, ...storeBlock({ items, type: 'vec4<f32>', buffer: '{{dx}}', indent: '    ', body })];
  }
  for (let r0 = 0; r0 < rb; r0 += perLoop) {
    const items = Array.from({ length: Math.min(perLoop, rb - r0) }, (_, r) => rowItems(r0 + r)).flat();
    out.push('    {', ...storeBlock({ items, type: 'vec4<f32>', buffer: '{{dx}}', indent: '      ', body }), '    }');
  }
  return out;
}

/** Stores (or accumulates) the dX block: rb rows x pxb pixels x icb channels. */
function dxEpilogue(c: DxStore): string[] {
  const { rb, pxb, nv, ih, iw, icTail, accumulate, vec } = c;
  if (vec) return dxVecStores(c);
  const epi: string[] = [];
  const rowTail = ih % rb !== 0;
  const colTail = iw % pxb !== 0;
  for (let r = 0; r < rb; r++) {
    for (let j = 0; j < pxb; j++) {
      epi.push('    {');
      epi.push(`      let iy = iy0 + ${u(r)};`);
      epi.push(`      let ix = ix0 + ${u(j)};`);
      const conds: string[] = [];
      if (rowTail) conds.push('iy < IN_H');
      if (colTail) conds.push('ix < IN_W');
      const ind = conds.length > 0 ? '        ' : '      ';
      if (conds.length > 0) epi.push(`      if (${conds.join(' && ')}) {`);
      epi.push(`${ind}let o = n * DX_BATCH_STRIDE + DX_OFFSET + (g * CIG + icl0) * IHW + iy * IN_W + ix;`);
      for (let v = 0; v < nv; v++) {
        for (let ch = 0; ch < 4; ch++) {
          const icl = 4 * v + ch;
          const at = `o + ${u(icl)} * IHW`;
          const val = `a${r}_${j}_${v}.${'xyzw'[ch]}`;
          const st = accumulate ? `{{dx}}[${at}] = {{dx}}[${at}] + ${val};` : `{{dx}}[${at}] = ${val};`;
          epi.push(icTail ? `${ind}if (icl0 + ${u(icl)} < CIG) { ${st} }` : `${ind}${st}`);
        }
      }
      if (conds.length > 0) epi.push('      }');
      epi.push('    }');
    }
  }
  return epi;
}

/**
 * d input of a convolution. `weights` is the parameter buffer and the float offset of the packed
 * weights in it; `schedule` the register tile and workgroup (schedule/conv-dx.ts chooses it).
 * `subgroupSize` > 0 shares the weight loads across a subgroup (see the template).
 */
export function genConvDx(
  name: string,
  g: ConvGeometry,
  dy: BufView,
  dx: GradTarget,
  weights: { buffer: number; offset: number },
  schedule: ConvDxSchedule,
  limits: DispatchLimits,
  subgroupSize = 0,
): TrainKernel {
  if (schedule.gemm) return genConvDxGemm(name, g, dy, dx, weights, schedule, limits);
  const { cig, kk } = convBlocks(g);
  const { ih, iw, ow } = convDims(g);
  const k = g.kernel;
  const s = g.stride;
  const p = g.pad;
  const sg = subgroupSize;
  const rb = dxRowsOf(g, schedule);
  if (!Number.isInteger(rb) || rb < 1 || rb % s !== 0) throw new Error(`${name}: dX rows ${rb} is not a positive multiple of the stride ${s}`);
  const { icb, pxb, wg } = schedule;
  if (pxb % s !== 0 || icb % 4 !== 0 || icb <= 0 || pxb <= 0) throw new Error(`${name}: dX tile ${icb} channels x ${pxb} pixels does not fit stride ${s}`);
  // with subgroups every subgroup must be full
  if (sg > 0 && wg % sg !== 0) throw new Error(`${name}: dX workgroup ${wg} is not a multiple of the subgroup width ${sg}`);
  const nv = icb / 4;
  const xb = Math.ceil(iw / pxb);
  const yb = Math.ceil(ih / rb);
  const spatial = g.batch * yb * xb;
  const icbg = Math.ceil(cig / icb);
  const yBlocks = g.groups * icbg;
  const icTail = cig % icb !== 0;

  // Which dy rows / columns (relative to the block's first, in output units) each (r, ky) / (j, kx) reads.
  const taps = (len: number) => {
    const out: { pos: number; kt: number; d: number }[] = [];
    for (let pos = 0; pos < len; pos++) {
      for (let kt = 0; kt < k; kt++) {
        const t = pos + p - kt;
        if (((t % s) + s) % s === 0) out.push({ pos, kt, d: Math.round(t / s) });
      }
    }
    return out;
  };
  const rowTaps = taps(rb);
  const colTaps = taps(pxb);
  const dqs = [...new Set(rowTaps.map((t) => t.d))].sort((a, b) => a - b);
  const eqs = [...new Set(colTaps.map((t) => t.d))].sort((a, b) => a - b);
  const nm = signedName;

  const acc: string[] = [];
  for (let r = 0; r < rb; r++) for (let j = 0; j < pxb; j++) for (let v = 0; v < nv; v++) acc.push(`  var a${r}_${j}_${v} = vec4<f32>(0.0);`);

  const setup: string[] = [];
  if (icTail) setup.push(`  let icl_max = min(${u(icb - 1)}, CIG - 1u - icl0);`);
  for (const dq of dqs) {
    setup.push(`  let oy_${nm(dq)} = oyb + ${i(dq)};`);
    setup.push(`  let rv_${nm(dq)} = u32(oy_${nm(dq)}) < OUT_H;`);
    setup.push(`  let ro_${nm(dq)} = min(u32(oy_${nm(dq)}), OUT_H - 1u) * OUT_W;`);
  }
  // With stride 1 and 4-aligned dy rows, a block's dy columns oxb + eq (oxb a multiple of 4) are
  // read as whole quads, each either inside the row or outside it with all of its columns.
  const dyQuads =
    s === 1 && pxb % 4 === 0 && ow % 4 === 0 && dy.offset % 4 === 0 && dy.batchStride % 4 === 0 &&
    dy.buffer !== dx.buffer && dy.buffer !== weights.buffer;
  if (dyQuads) {
    for (const qd of new Set(eqs.map((eq) => quadOf(eq).qd))) setup.push(...quadIndexLines(qd, 'oxb / 4i', '(OUT_W / 4u)', '  '));
  } else {
    for (const eq of eqs) {
      setup.push(`  let ox_${nm(eq)} = oxb + ${i(eq)};`);
      setup.push(`  let cv_${nm(eq)} = u32(ox_${nm(eq)}) < OUT_W;`);
      setup.push(`  let cx_${nm(eq)} = min(u32(ox_${nm(eq)}), OUT_W - 1u);`);
    }
  }
  const combos: TapCombo[] = [];
  for (const rt of rowTaps) for (const ct of colTaps) combos.push({ r: rt.pos, j: ct.pos, t: rt.kt * k + ct.kt, dq: rt.d, eq: ct.d });
  const usedTaps = [...new Set(combos.map((c) => c.t))].sort((a, b) => a - b);

  const body = dxBody({ sg, icb, kk, nv, icTail, combos, usedTaps, nm, dyQuads });

  // vec4 stores need 4-aligned pixel quads everywhere, and dx on a buffer of its own (a binding
  // shared with dy or the weights would keep their f32 element type)
  const vec =
    pxb % 4 === 0 && iw % pxb === 0 && iw % 4 === 0 && dx.offset % 4 === 0 && dx.batchStride % 4 === 0 &&
    dx.buffer !== dy.buffer && dx.buffer !== weights.buffer;
  const epi = dxEpilogue({ rb, pxb, nv, ih, iw, icTail, accumulate: dx.accumulate, vec });

  return buildConvGrad({
    template: 'train/conv_dx',
    name,
    g,
    slots: [reads('dy', dy.buffer, dyQuads ? 'array<vec4<f32>>' : 'array<f32>'), reads('wgt', weights.buffer), writes('dx', dx.buffer, vec ? 'array<vec4<f32>>' : 'array<f32>')],
    views: { DY: dy, DX: dx },
    subgroupSize: sg,
    dispatch: { wg, tiles: Math.ceil(spatial / wg), yBlocks },
    limits,
    args: { W_OFF: argU(weights.offset) },
    values: {
      KK: u(kk),
      ICB: u(icb),
      ICBG: u(icbg),
      RB: u(rb),
      PXB: u(pxb),
      XB: u(xb),
      YB: u(yb),
      SPATIAL: u(spatial),
      S: s,
      ACC_DECL: acc.join('\n'),
      SETUP: setup.join('\n'),
      DX_BODY: body.join('\n'),
      EPILOGUE: epi.join('\n'),
    },
  });
}
