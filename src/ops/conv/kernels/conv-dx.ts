// Convolution backward, input gradient (kernels/train/conv_dx.wgsl).

import { i, type TemplateItem, type TemplateValues, u } from '../../../codegen/template.js';
import { convBlocks, convDims, type ConvGeometry } from '../../../codegen/conv-layout.js';
import type { ConvDxSchedule } from '../../../codegen/schedule/types.js';
import { dxRowsOf } from '../../../codegen/schedule/conv-dx.js';
import { argU, type DispatchLimits } from '../../../codegen/kernels/common.js';
import { type BufView, type GradTarget, type TrainKernel, reads, writes } from '../../../codegen/kernels/train-common.js';
import { buildConvGrad } from './conv-grad.js';
import { genConvDxGemm } from './conv-dx-gemm.js';
import { quadOf, signedName } from './quads.js';
import { STORE_LOOP_MAX_ITEMS, type StoreItem, storeBlock } from './store-loop.js';

interface TapCombo {
  r: number;
  j: number;
  t: number;
  dq: number;
  eq: number;
}

/**
 * The tables the template's body walks (kernels/train/conv_dx.wgsl): the subgroup-shared weight
 * loads, the dy loads and taps, the weight vec4s of the taps in use and the FMAs.
 */
function dxBodyTables(c: { sg: number; icb: number; kk: number; nv: number; combos: TapCombo[]; usedTaps: number[] }): TemplateValues {
  const { sg, icb, kk, nv, combos, usedTaps } = c;
  const nm = signedName;
  const nw = icb * kk;
  const weightLoads: TemplateItem[] = [];
  if (sg > 0) for (let m = 0; m * sg < nw; m++) weightLoads.push({ m, first: u(m * sg), last: u(nw - 1), partial: (m + 1) * sg > nw });
  const pairs = [...new Set(combos.map((c) => `${c.dq},${c.eq}`))].map((pr) => pr.split(',').map(Number));
  const loads = [...new Set(pairs.map(([dq, eq]) => `${dq},${quadOf(eq).qd}`))].map((pr) => pr.split(',').map(Number));
  const weights: TemplateItem[] = [];
  // Component c of weight vec4 (t, v) is input channel 4v + c: element e = (4v + c) * KK + t of the
  // channel's weights, the subgroup's load e / sg, in lane e % sg.
  for (const t of usedTaps) {
    for (let v = 0; v < nv; v++) {
      const e = [0, 1, 2, 3].map((c) => (4 * v + c) * kk + t);
      const [q0, q1, q2, q3] = sg > 0 ? e.map((x) => Math.floor(x / sg)) : [0, 0, 0, 0];
      const [l0, l1, l2, l3] = sg > 0 ? e.map((x) => u(x % sg)) : ['', '', '', ''];
      const [e0, e1, e2, e3] = e.map(u);
      weights.push({ t, v, tap: u(t), q0, q1, q2, q3, l0, l1, l2, l3, i0: u(4 * v), i1: u(4 * v + 1), i2: u(4 * v + 2), i3: u(4 * v + 3), e0, e1, e2, e3 });
    }
  }
  return {
    WEIGHT_LOADS: weightLoads,
    DY_LOADS: loads.map(([dq, qd]) => ({ dq: nm(dq), qd: nm(qd) })),
    DY_TAPS: pairs.map(([dq, eq]) => ({ dq: nm(dq), eq: nm(eq), qd: nm(quadOf(eq).qd), comp: quadOf(eq).comp })),
    WEIGHTS: weights,
    FMAS: combos.flatMap((c) => Array.from({ length: nv }, (_, v) => ({ r: c.r, j: c.j, v, t: c.t, dq: nm(c.dq), eq: nm(c.eq) }))),
  };
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
 * The vec4 store blocks of the dX block, quads of 4 pixels per channel (kernels/lib/store_loop.wgsl):
 * one over the whole block, or where that would be more than STORE_LOOP_MAX_ITEMS stores, one per
 * group of rows, each in a scope of its own, so that a tall block keeps its stores in loops instead
 * of unrolling them (32 unrolled vec4 stores made a kernel about 10x slower to compile).
 */
function dxStoreBlocks(c: DxStore): TemplateItem[] {
  const { rb, pxb, nv, ih, icTail } = c;
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
  const perLoop = Math.max(1, Math.floor(STORE_LOOP_MAX_ITEMS / rowItems(0).length));
  const blocks: TemplateItem[] = [];
  for (let r0 = 0; r0 < rb; r0 += Math.min(perLoop, rb)) {
    const items = Array.from({ length: Math.min(perLoop, rb - r0) }, (_, r) => rowItems(r0 + r)).flat();
    blocks.push({ ...storeBlock(items), scoped: perLoop < rb });
  }
  return blocks;
}

/**
 * The stores of the dX block (rb rows x pxb pixels x icb channels): vec4 quads through the store
 * loop, or the template's one store per pixel and channel, for which these are the tables.
 */
function dxEpilogue(c: DxStore): { values: TemplateValues; flags: Record<string, boolean> } {
  const { rb, pxb, nv, ih, iw, accumulate, vec } = c;
  const rowTail = ih % rb !== 0;
  const colTail = iw % pxb !== 0;
  const flags = { VEC_STORES: vec, ROW_TAIL: rowTail, COL_TAIL: colTail, EDGE: rowTail || colTail, ACCUMULATE: accumulate };
  if (vec) return { values: { STORES: dxStoreBlocks(c), PIXELS: [], CHANNELS: [], IND: '' }, flags };
  const pixels: TemplateItem[] = [];
  for (let r = 0; r < rb; r++) for (let j = 0; j < pxb; j++) pixels.push({ r, j, ru: u(r), ju: u(j) });
  const channels: TemplateItem[] = [];
  for (let v = 0; v < nv; v++) for (let ch = 0; ch < 4; ch++) channels.push({ v, comp: 'xyzw'[ch], icl: u(4 * v + ch) });
  return { values: { STORES: [], PIXELS: pixels, CHANNELS: channels, IND: rowTail || colTail ? '        ' : '      ' }, flags };
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

  // With stride 1 and 4-aligned dy rows, a block's dy columns oxb + eq (oxb a multiple of 4) are
  // read as whole quads, each either inside the row or outside it with all of its columns.
  const dyQuads =
    s === 1 && pxb % 4 === 0 && ow % 4 === 0 && dy.offset % 4 === 0 && dy.batchStride % 4 === 0 &&
    dy.buffer !== dx.buffer && dy.buffer !== weights.buffer;
  const combos: TapCombo[] = [];
  for (const rt of rowTaps) for (const ct of colTaps) combos.push({ r: rt.pos, j: ct.pos, t: rt.kt * k + ct.kt, dq: rt.d, eq: ct.d });
  const usedTaps = [...new Set(combos.map((c) => c.t))].sort((a, b) => a - b);
  const acc: TemplateItem[] = [];
  for (let r = 0; r < rb; r++) for (let j = 0; j < pxb; j++) for (let v = 0; v < nv; v++) acc.push({ r, j, v });
  const tables: TemplateValues = {
    ACC: acc,
    DY_ROWS: dqs.map((dq) => ({ n: nm(dq), d: i(dq) })),
    DY_QUADS: [...new Set(eqs.map((eq) => quadOf(eq).qd))].map((qd) => ({ n: nm(qd), d: i(qd) })),
    DY_COLUMNS: eqs.map((eq) => ({ n: nm(eq), d: i(eq) })),
    ...dxBodyTables({ sg, icb, kk, nv, combos, usedTaps }),
  };

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
    flags: { IC_TAIL: icTail, DY_QUADS: dyQuads, SHARED_WEIGHTS: sg > 0, ...epi.flags },
    values: {
      ...tables,
      ...epi.values,
      ICB_LAST: u(icb - 1),
      KK: u(kk),
      ICB: u(icb),
      ICBG: u(icbg),
      RB: u(rb),
      PXB: u(pxb),
      XB: u(xb),
      YB: u(yb),
      SPATIAL: u(spatial),
      S: s,
      STORE_BUFFER: '{{dx}}',
    },
  });
}
