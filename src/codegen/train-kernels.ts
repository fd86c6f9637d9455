// Kernel generators for training: each instantiates a template from kernels/train/ with every
// shape, stride, view offset and parameter offset baked in as a constant, unrolls the register
// blocks, and says how to bind and dispatch it. The forward pass reuses the inference generators
// (kernels.ts: conv, elementwise, average pooling, fully connected); these cover batch statistics,
// every backward op, the loss and the optimizer.
//
// Buffers are named by plan-level ids; a kernel binds whole buffers and addresses them with
// constant offsets, so two slots that land in the same buffer (a gradient view read and another
// written in one dispatch, e.g. inside a concatenation's gradient) share one binding.

import { splitTiles, sumLanes, type ConvShape, type DispatchLimits } from './kernels.js';
import { f, i, instantiate, u } from './template.js';

/** A tensor view: buffer id, element offset of (n=0, c=0), elements per image (NCHW inside). */
export interface BufView {
  buffer: number;
  offset: number;
  batchStride: number;
}

/** A gradient target: a view that is written (=) or accumulated into (+=). */
export interface GradTarget extends BufView {
  accumulate: boolean;
}

export type BindingType = 'read-only-storage' | 'storage' | 'uniform';

export interface TrainBinding {
  binding: number;
  buffer: number;
  type: BindingType;
  /** Bytes; whole buffer when absent. */
  offset?: number;
  size?: number;
}

export interface TrainKernel {
  /** Template name (kernels/<template>.wgsl). */
  template: string;
  wgsl: string;
  entryPoint: string;
  workgroupSize: number;
  bindings: TrainBinding[];
  workgroups: [number, number, number];
}

interface SlotDef {
  name: string;
  type: string;
  access: 'read' | 'write';
  buffer: number;
}

export const WG = 64;
const pow2AtLeast = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

/**
 * Declares the storage bindings of `slots` (slots on the same buffer share the first one's binding
 * and identifier, read_write if any of them writes), plus an optional uniform binding last, and
 * instantiates the template with the declarations in {{BINDINGS}}.
 */
export function build(
  template: string,
  slots: SlotDef[],
  values: Record<string, string | number>,
  flags: Record<string, boolean>,
  workgroupSize: number,
  workgroups: [number, number, number],
  uniform?: number,
): TrainKernel {
  const first = new Map<number, SlotDef>();
  const access = new Map<number, boolean>();
  const rename: [string, string][] = [];
  const order: SlotDef[] = [];
  for (const s of slots) {
    const f0 = first.get(s.buffer);
    if (!f0) {
      first.set(s.buffer, s);
      order.push(s);
      access.set(s.buffer, s.access === 'write');
    } else {
      if (f0.type !== s.type) throw new Error(`${template}: slots ${f0.name} (${f0.type}) and ${s.name} (${s.type}) share a buffer but not a type`);
      access.set(s.buffer, access.get(s.buffer)! || s.access === 'write');
      rename.push([s.name, f0.name]);
    }
  }
  const bindings: TrainBinding[] = [];
  const decl: string[] = [];
  order.forEach((s, b) => {
    const w = access.get(s.buffer)!;
    bindings.push({ binding: b, buffer: s.buffer, type: w ? 'storage' : 'read-only-storage' });
    decl.push(`@group(0) @binding(${b}) var<storage, ${w ? 'read_write' : 'read'}> ${s.name}: ${s.type};`);
  });
  const vals: Record<string, string | number> = { ...values, BINDINGS: decl.join('\n') };
  if (uniform !== undefined) {
    vals.UNIFORM_BINDING = bindings.length;
    bindings.push({ binding: bindings.length, buffer: uniform, type: 'uniform' });
  }
  let wgsl = instantiate(template, vals, flags);
  for (const [from, to] of rename) wgsl = wgsl.replace(new RegExp(`\\b${from}\\b`, 'g'), to);
  return { template, wgsl, entryPoint: 'main', workgroupSize, bindings, workgroups };
}

export function grid(total: number, wg: number, limits: DispatchLimits, what: string, y = 1): [number, number, number] {
  const { nx, nz } = splitTiles(Math.ceil(total / wg), limits, what);
  return [nx, y, nz];
}

/** Vector width for elementwise work over planes of `plane` elements with these views. */
function vecFor(plane: number, views: BufView[]): 1 | 4 {
  return plane % 4 === 0 && views.every((v) => v.offset % 4 === 0 && v.batchStride % 4 === 0) ? 4 : 1;
}

function tUnits(n: number, vec: number, what: string): string {
  if (n % vec !== 0) throw new Error(`${what}: ${n} is not a multiple of ${vec}`);
  return u(n / vec);
}


// ---------------------------------------------------------------------------------------------
// Convolution

export interface ConvGeometry extends ConvShape {
  /** Output channels per packed weight block (the forward kernel's tile.ocb): 4 or 8, a multiple of 4. */
  ocb: number;
}

function convFlat(g: ConvGeometry): boolean {
  return g.kernel === 1 && g.stride === 1 && g.pad === 0;
}

/** The spatial dims the kernels work on (a flat 1x1 convolution is one long row). */
function convDims(g: ConvGeometry) {
  const flat = convFlat(g);
  return {
    ih: flat ? 1 : g.inH,
    iw: flat ? g.inH * g.inW : g.inW,
    oh: flat ? 1 : g.outH,
    ow: flat ? g.outH * g.outW : g.outW,
  };
}

function convBlocks(g: ConvGeometry) {
  const cig = g.inC / g.groups;
  const cog = g.outC / g.groups;
  const obg = Math.ceil(cog / g.ocb);
  return { cig, cog, obg, blocks: g.groups * obg, nv: g.ocb / 4, kk: g.kernel * g.kernel };
}

/** Floats of the packed weight layout (without the forward kernel's subgroup padding). */
export function packedConvSize(g: Pick<ConvGeometry, 'inC' | 'outC' | 'groups' | 'kernel' | 'ocb'>): number {
  const cig = g.inC / g.groups;
  const obg = Math.ceil(g.outC / g.groups / g.ocb);
  return g.groups * obg * cig * g.kernel * g.kernel * g.ocb;
}

/**
 * d input of a convolution. `weights` is the parameter buffer and the float offset of the packed
 * weights in it. `subgroupSize` > 0 shares the weight loads across a subgroup (see the template).
 */
export function genConvDx(
  name: string,
  g: ConvGeometry,
  dy: BufView,
  dx: GradTarget,
  weights: { buffer: number; offset: number },
  limits: DispatchLimits,
  subgroupSize = 0,
  tile: { icb?: number; pxb?: number } = {},
): TrainKernel {
  const { cig, cog, obg, kk } = convBlocks(g);
  const { ih, iw, oh, ow } = convDims(g);
  const k = g.kernel;
  const s = g.stride;
  const p = g.pad;
  const sg = subgroupSize;
  const rb = s > 1 ? s : 1;
  const pxb = tile.pxb ?? (s === 1 ? Math.min(4, iw) : s * Math.max(1, Math.round(4 / s)));
  const icb = tile.icb ?? (cig > 4 && rb * pxb <= 4 ? 8 : 4);
  if (pxb % s !== 0 || icb % 4 !== 0) throw new Error(`${name}: dX tile ${icb} channels x ${pxb} pixels does not fit stride ${s}`);
  const nv = icb / 4;
  const xb = Math.ceil(iw / pxb);
  const yb = Math.ceil(ih / rb);
  const spatial = g.batch * yb * xb;
  const icbg = Math.ceil(cig / icb);
  const yBlocks = g.groups * icbg;
  if (yBlocks > limits.maxComputeWorkgroupsPerDimension) throw new Error(`${name}: ${g.inC} input channels need too many workgroups`);
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
  const nm = (d: number) => (d < 0 ? `m${-d}` : `p${d}`);

  const acc: string[] = [];
  for (let r = 0; r < rb; r++) for (let j = 0; j < pxb; j++) for (let v = 0; v < nv; v++) acc.push(`  var a${r}_${j}_${v} = vec4<f32>(0.0);`);

  const setup: string[] = [];
  if (icTail) setup.push(`  let icl_max = min(${u(icb - 1)}, CIG - 1u - icl0);`);
  for (const dq of dqs) {
    setup.push(`  let oy_${nm(dq)} = oyb + ${i(dq)};`);
    setup.push(`  let rv_${nm(dq)} = u32(oy_${nm(dq)}) < OUT_H;`);
    setup.push(`  let ro_${nm(dq)} = min(u32(oy_${nm(dq)}), OUT_H - 1u) * OUT_W;`);
  }
  for (const eq of eqs) {
    setup.push(`  let ox_${nm(eq)} = oxb + ${i(eq)};`);
    setup.push(`  let cv_${nm(eq)} = u32(ox_${nm(eq)}) < OUT_W;`);
    setup.push(`  let cx_${nm(eq)} = min(u32(ox_${nm(eq)}), OUT_W - 1u);`);
  }
  const combos: { r: number; j: number; t: number; dq: number; eq: number }[] = [];
  for (const rt of rowTaps) for (const ct of colTaps) combos.push({ r: rt.pos, j: ct.pos, t: rt.kt * k + ct.kt, dq: rt.d, eq: ct.d });
  const usedTaps = [...new Set(combos.map((c) => c.t))].sort((a, b) => a - b);

  const body: string[] = [];
  const nw = icb * kk;
  const clampIc = (e: string) => (icTail ? `min(${e}, icl_max)` : e);
  if (sg > 0) {
    for (let m = 0; m * sg < nw; m++) {
      const e = (m + 1) * sg > nw ? `min(lane + ${u(m * sg)}, ${u(nw - 1)})` : `lane + ${u(m * sg)}`;
      body.push(`    let e${m} = ${e};`);
      body.push(`    let q${m} = wgt[wbase + ${clampIc(`e${m} / KK`)} * (KK * OCB) + (e${m} % KK) * OCB];`);
    }
  }
  const weight = (icl: number, t: number): string => {
    if (sg > 0) {
      const e = icl * kk + t;
      return `subgroupBroadcast(q${Math.floor(e / sg)}, ${u(e % sg)})`;
    }
    return icTail ? `wgt[wbase + min(${u(icl)}, icl_max) * (KK * OCB) + ${u(t)} * OCB]` : `wgt[wbase + ${u(icl * kk + t)} * OCB]`;
  };
  const pairs = [...new Set(combos.map((c) => `${c.dq},${c.eq}`))];
  for (const pr of pairs) {
    const [dq, eq] = pr.split(',').map(Number);
    body.push(`    let d_${nm(dq)}_${nm(eq)} = vec4<f32>(select(0.0, dy[dyp + ro_${nm(dq)} + cx_${nm(eq)}], rv_${nm(dq)} && cv_${nm(eq)}));`);
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
        for (let c = 0; c < 4; c++) {
          const icl = 4 * v + c;
          const at = `o + ${u(icl)} * IHW`;
          const val = `a${r}_${j}_${v}.${'xyzw'[c]}`;
          const st = dx.accumulate ? `dx[${at}] = dx[${at}] + ${val};` : `dx[${at}] = ${val};`;
          epi.push(icTail ? `${ind}if (icl0 + ${u(icl)} < CIG) { ${st} }` : `${ind}${st}`);
        }
      }
      if (conds.length > 0) epi.push('      }');
      epi.push('    }');
    }
  }

  // with subgroups every subgroup must be full: a power of two at least the subgroup size
  const wg = Math.max(sg, Math.min(WG, Math.max(8, pow2AtLeast(spatial))));
  const [nx, , nz] = grid(spatial, wg, limits, name);
  return build(
    'train/conv_dx',
    [
      { name: 'dy', type: 'array<f32>', access: 'read', buffer: dy.buffer },
      { name: 'wgt', type: 'array<f32>', access: 'read', buffer: weights.buffer },
      { name: 'dx', type: 'array<f32>', access: 'write', buffer: dx.buffer },
    ],
    {
      IH: u(ih),
      IW: u(iw),
      IHW: u(ih * iw),
      OH: u(oh),
      OW: u(ow),
      OHW: u(oh * ow),
      DY_BS: u(dy.batchStride),
      DY_OFF: u(dy.offset),
      DX_BS: u(dx.batchStride),
      DX_OFF: u(dx.offset),
      W_OFF: u(weights.offset),
      CIG: u(cig),
      COG: u(cog),
      OCB: u(g.ocb),
      OBG: u(obg),
      KK: u(kk),
      ICB: u(icb),
      ICBG: u(icbg),
      RB: u(rb),
      PXB: u(pxb),
      XB: u(xb),
      YB: u(yb),
      SPATIAL: u(spatial),
      NX: u(nx),
      S: s,
      WG: wg,
      ENABLE: sg > 0 ? 'enable subgroups;' : '',
      LANE: sg > 0 ? ', @builtin(subgroup_invocation_id) lane: u32' : '',
      ACC_DECL: acc.join('\n'),
      SETUP: setup.join('\n'),
      DX_BODY: body.join('\n'),
      EPILOGUE: epi.join('\n'),
    },
    {},
    wg,
    [nx, yBlocks, nz],
  );
}

export interface ConvDwTiling {
  /** Lanes (input channels) per workgroup. */
  wg: number;
  /** Output-channel vec4s per workgroup (1 or the packed block's NV). */
  ovb: number;
  /** Rows of taps per workgroup. */
  kyb: number;
  pxb: number;
  chunks: number;
  rowsPerChunk: number;
  /** vec4s of the packed gradient (one chunk of partials). */
  size4: number;
}

/** The register tile and the split of the reduction a weight-gradient kernel uses. */
export function convDwTiling(g: ConvGeometry, o: { target?: number; ovb?: number; kyb?: number; pxb?: number; subgroupSize?: number } = {}): ConvDwTiling {
  const { cig, nv } = convBlocks(g);
  const { oh, ow } = convDims(g);
  const k = g.kernel;
  // a multiple of 8 lanes (of the subgroup size, when subgroups share the dy loads) covering the group's input channels
  const lanes = Math.max(8, o.subgroupSize ?? 0);
  const wg = Math.max(lanes, Math.min(64, Math.ceil(cig / lanes) * lanes));
  const ick = Math.ceil(cig / wg);
  const kyb = o.kyb ?? (k <= 3 ? k : 1);
  const ovb = o.ovb ?? (kyb * k * nv <= 18 ? nv : 1);
  const pxb = Math.min(o.pxb ?? 4, ow);
  const perChunk = g.groups * ick * wg * ((Math.ceil(g.outC / g.groups / g.ocb) * nv) / ovb) * Math.ceil(k / kyb);
  const rows = g.batch * oh;
  let chunks = Math.max(1, Math.min(rows, Math.ceil((o.target ?? 2048) / perChunk)));
  const rowsPerChunk = Math.ceil(rows / chunks);
  chunks = Math.ceil(rows / rowsPerChunk);
  return { wg, ovb, kyb, pxb, chunks, rowsPerChunk, size4: packedConvSize(g) / 4 };
}

/**
 * d weights of a convolution (packed layout). With `tiling.chunks` > 1 the kernel writes partial
 * tiles to `dst` (chunk-major, `size4` vec4s each) and genConvDwReduce sums them into the gradient.
 */
export function genConvDw(
  name: string,
  g: ConvGeometry,
  x: BufView,
  dy: BufView,
  dst: { buffer: number; offset4: number },
  tiling: ConvDwTiling,
  limits: DispatchLimits,
  subgroupSize = 0,
): TrainKernel {
  const { cig, cog, obg, nv, kk } = convBlocks(g);
  const { ih, iw, oh, ow } = convDims(g);
  const k = g.kernel;
  const s = g.stride;
  const p = g.pad;
  const sg = subgroupSize;
  const { wg, ovb, kyb, pxb, chunks, rowsPerChunk } = tiling;
  if (sg > 0 && wg % sg !== 0) throw new Error(`${name}: ${wg} lanes per workgroup is not a multiple of the subgroup size ${sg}`);
  if (nv % ovb !== 0) throw new Error(`${name}: ${ovb} output vec4s per workgroup do not divide the packed block`);
  const ick = Math.ceil(cig / wg);
  const ovn = (obg * nv) / ovb;
  const kybn = Math.ceil(k / kyb);
  const gx = ovn * kybn * chunks;
  const xb = Math.ceil(ow / pxb);
  const ocTail = cog % 4 !== 0 || cog % g.ocb !== 0;
  const colTail = ow % pxb !== 0;
  const rowCheck = p > 0;
  const overhang = (xb * pxb - 1) * s + k - 1 - p >= iw;
  const colCheck = p > 0 || overhang;

  const acc: string[] = [];
  for (let ky = 0; ky < kyb; ky++) for (let kx = 0; kx < k; kx++) for (let v = 0; v < ovb; v++) acc.push(`  var a${ky}_${kx}_${v} = vec4<f32>(0.0);`);

  const rowSetup: string[] = [];
  rowSetup.push('    let dyr = n * DY_BATCH_STRIDE + DY_OFFSET + dyc + oy * OUT_W;');
  rowSetup.push('    let xn = n * X_BATCH_STRIDE + X_OFFSET + xc;');
  for (let ky = 0; ky < kyb; ky++) {
    if (rowCheck) {
      rowSetup.push(`    let iy${ky} = i32(oy * ${u(s)} + ky0 + ${u(ky)}) - ${i(p)};`);
      rowSetup.push(`    let rv${ky} = u32(iy${ky}) < IN_H;`);
      rowSetup.push(`    let xr${ky} = xn + min(u32(iy${ky}), IN_H - 1u) * IN_W;`);
    } else {
      rowSetup.push(`    let xr${ky} = xn + (oy * ${u(s)} + ky0 + ${u(ky)}) * IN_W;`);
    }
  }

  // dy values: element e = vc * PXB + px is output channel ocl0 + vc, column ox0 + px.
  const nd = ovb * 4 * pxb;
  const dyLoad = (vc: string, px: string): string => {
    const ch = ocTail ? `min(ocl0 + ${vc}, COG - 1u)` : `(ocl0 + ${vc})`;
    const col = colTail ? `min(ox0 + ${px}, OUT_W - 1u)` : `ox0 + ${px}`;
    const load = `dy[dyr + ${ch} * OHW + ${col}]`;
    const conds: string[] = [];
    if (ocTail) conds.push(`ocl0 + ${vc} < COG`);
    if (colTail) conds.push(`ox0 + ${px} < OUT_W`);
    return conds.length > 0 ? `select(0.0, ${load}, ${conds.join(' && ')})` : load;
  };
  const col: string[] = [];
  if (sg > 0) {
    for (let m = 0; m * sg < nd; m++) {
      const e = (m + 1) * sg > nd ? `min(lane + ${u(m * sg)}, ${u(nd - 1)})` : `lane + ${u(m * sg)}`;
      col.push(`      let e${m} = ${e};`);
      col.push(`      let q${m} = ${dyLoad(`e${m} / ${u(pxb)}`, `e${m} % ${u(pxb)}`)};`);
    }
  }
  const dval = (vc: number, px: number): string => {
    if (sg > 0) {
      const e = vc * pxb + px;
      return `subgroupBroadcast(q${Math.floor(e / sg)}, ${u(e % sg)})`;
    }
    return dyLoad(u(vc), u(px));
  };
  for (let v = 0; v < ovb; v++) {
    for (let px = 0; px < pxb; px++) col.push(`      let d${v}_${px} = vec4<f32>(${[0, 1, 2, 3].map((c) => dval(4 * v + c, px)).join(', ')});`);
  }
  const cols = new Set<number>();
  for (let px = 0; px < pxb; px++) for (let kx = 0; kx < k; kx++) cols.add(px * s + kx);
  const colList = [...cols].sort((a, b) => a - b);
  for (const j of colList) {
    if (colCheck) {
      col.push(`      let ix${j} = i32(ox0 * ${u(s)} + ${u(j)}) - ${i(p)};`);
      col.push(`      let iv${j} = u32(ix${j}) < IN_W;`);
      col.push(`      let ixc${j} = min(u32(ix${j}), IN_W - 1u);`);
    }
  }
  for (let ky = 0; ky < kyb; ky++) {
    for (const j of colList) {
      if (colCheck) {
        const cond = rowCheck ? `rv${ky} && iv${j}` : `iv${j}`;
        col.push(`      let x${ky}_${j} = vec4<f32>(select(0.0, x_in[xr${ky} + ixc${j}], ${cond}));`);
      } else if (rowCheck) {
        col.push(`      let x${ky}_${j} = vec4<f32>(select(0.0, x_in[xr${ky} + ox0 * ${u(s)} + ${u(j)}], rv${ky}));`);
      } else {
        col.push(`      let x${ky}_${j} = vec4<f32>(x_in[xr${ky} + ox0 * ${u(s)} + ${u(j)}]);`);
      }
    }
  }
  for (let ky = 0; ky < kyb; ky++)
    for (let kx = 0; kx < k; kx++)
      for (let v = 0; v < ovb; v++)
        for (let px = 0; px < pxb; px++) {
          const a = `a${ky}_${kx}_${v}`;
          col.push(`      ${a} = fma(d${v}_${px}, x${ky}_${px * s + kx}, ${a});`);
        }

  const epi: string[] = [];
  epi.push(`    let b = OUT_OFFSET + chunk * CHUNK_STRIDE + ((ob * CIG + icl) * ${u(kk)} + ky0 * ${u(k)}) * NV + v0;`);
  for (let ky = 0; ky < kyb; ky++)
    for (let kx = 0; kx < k; kx++) for (let v = 0; v < ovb; v++) epi.push(`    dst[b + ${u((ky * k + kx) * nv + v)}] = a${ky}_${kx}_${v};`);

  const { nx, nz } = splitTiles(gx, limits, name);
  const yBlocks = g.groups * ick;
  if (yBlocks > limits.maxComputeWorkgroupsPerDimension) throw new Error(`${name}: ${g.inC} input channels need too many workgroups`);
  return build(
    'train/conv_dw',
    [
      { name: 'x_in', type: 'array<f32>', access: 'read', buffer: x.buffer },
      { name: 'dy', type: 'array<f32>', access: 'read', buffer: dy.buffer },
      { name: 'dst', type: 'array<vec4<f32>>', access: 'write', buffer: dst.buffer },
    ],
    {
      IH: u(ih),
      IW: u(iw),
      IHW: u(ih * iw),
      OH: u(oh),
      OW: u(ow),
      OHW: u(oh * ow),
      X_BS: u(x.batchStride),
      X_OFF: u(x.offset),
      DY_BS: u(dy.batchStride),
      DY_OFF: u(dy.offset),
      OUT_OFF: u(dst.offset4),
      CHUNK_STRIDE: u(chunks > 1 ? tiling.size4 : 0),
      CIG: u(cig),
      COG: u(cog),
      OCB: u(g.ocb),
      NV: u(nv),
      OBG: u(obg),
      OVB: u(ovb),
      OVN: u(ovn),
      ICKG: u(ick),
      KYB: u(kyb),
      KYBN: u(kybn),
      ROWS: u(g.batch * oh),
      RPC: u(rowsPerChunk),
      GX: u(gx),
      PXB: u(pxb),
      XB: u(xb),
      NX: u(nx),
      WG: wg,
      ENABLE: sg > 0 ? 'enable subgroups;' : '',
      LANE: sg > 0 ? ', @builtin(subgroup_invocation_id) lane: u32' : '',
      ACC_DECL: acc.join('\n'),
      ROW_SETUP: rowSetup.join('\n'),
      COL_BODY: col.join('\n'),
      EPILOGUE: epi.join('\n'),
    },
    {},
    wg,
    [nx, yBlocks, nz],
  );
}

/** Sums the weight-gradient chunks of genConvDw into the gradient buffer. */
export function genConvDwReduce(
  name: string,
  part: number,
  grad: { buffer: number; offset4: number },
  size4: number,
  chunks: number,
  limits: DispatchLimits,
): TrainKernel {
  const [nx, , nz] = grid(size4, WG, limits, name);
  return build(
    'train/conv_dw_reduce',
    [
      { name: 'part', type: 'array<vec4<f32>>', access: 'read', buffer: part },
      { name: 'grad', type: 'array<vec4<f32>>', access: 'write', buffer: grad.buffer },
    ],
    { SIZE: u(size4), CHUNKS: u(chunks), OUT_OFF: u(grad.offset4), NX: u(nx), WG },
    {},
    WG,
    [nx, 1, nz],
  );
}

/** Bias gradient of a convolution, written at its packed position (offset in floats). */
export function genConvDb(name: string, g: ConvGeometry, dy: BufView, grad: { buffer: number; offset: number }): TrainKernel {
  const { cog, obg } = convBlocks(g);
  return build(
    'train/conv_db',
    [
      { name: 'g_in', type: 'array<f32>', access: 'read', buffer: dy.buffer },
      { name: 'grad', type: 'array<f32>', access: 'write', buffer: grad.buffer },
    ],
    {
      OC: u(g.outC),
      COG: u(cog),
      OCB: u(g.ocb),
      OBG: u(obg),
      OHW: u(g.outH * g.outW),
      N: u(g.batch),
      DY_BS: u(dy.batchStride),
      DY_OFF: u(dy.offset),
      GB_OFF: u(grad.offset),
      WG,
    },
    {},
    WG,
    [Math.ceil(g.outC / WG), 1, 1],
  );
}

// ---------------------------------------------------------------------------------------------
// Batch norm statistics (training) and the backward of elementwise chains

export interface ChannelChunks {
  chunks: number;
  imagesPerChunk: number;
}

/** Splits the batch so that channels x chunks gives the reductions enough invocations. */
export function channelChunks(c: number, batch: number, target = 256): ChannelChunks {
  let chunks = Math.max(1, Math.min(batch, Math.ceil(target / c)));
  const imagesPerChunk = Math.ceil(batch / chunks);
  chunks = Math.ceil(batch / imagesPerChunk);
  return { chunks, imagesPerChunk };
}

export interface PlaneShape {
  batch: number;
  c: number;
  h: number;
  w: number;
}

export function genBnStats(name: string, sh: PlaneShape, x: BufView, part: number, cc: ChannelChunks, limits: DispatchLimits): TrainKernel {
  const plane = sh.h * sh.w;
  const vec = vecFor(plane, [x]);
  const T = vec === 4 ? 'vec4<f32>' : 'f32';
  const total = sh.c * cc.chunks;
  const wg = Math.min(WG, Math.max(8, pow2AtLeast(total)));
  const [nx, , nz] = grid(total, wg, limits, name);
  return build(
    'train/bn_stats',
    [
      { name: 'x_in', type: `array<${T}>`, access: 'read', buffer: x.buffer },
      { name: 'part', type: 'array<vec2<f32>>', access: 'write', buffer: part },
    ],
    {
      C: u(sh.c),
      PLANE: u(plane / vec),
      N: u(sh.batch),
      IPC: u(cc.imagesPerChunk),
      NCH: u(cc.chunks),
      TOTAL: u(total),
      X_BS: tUnits(x.batchStride, vec, name),
      X_OFF: tUnits(x.offset, vec, name),
      PLANE_ELEMS: f(plane),
      NX: u(nx),
      WG: wg,
      T,
      REDUCE_ACC: sumLanes(vec, 'acc'),
      REDUCE_Q: sumLanes(vec, 'q'),
    },
    {},
    wg,
    [nx, 1, nz],
  );
}

/** Offsets (floats) of one batch norm's state: in the parameter, bn-state and running buffers. */
export interface BnOffsets {
  gamma: number;
  beta: number;
  /** (mean, inv_std) pairs. */
  stats: number;
  scale: number;
  shift: number;
  runningMean: number;
  runningVar: number;
}

export function genBnFinalize(
  name: string,
  sh: PlaneShape,
  bufs: { part: number; params: number; state: number; running: number },
  off: BnOffsets,
  cc: ChannelChunks,
  o: { eps: number; momentum: number },
): TrainKernel {
  const plane = sh.h * sh.w;
  const count = sh.batch * plane;
  const wg = Math.min(WG, Math.max(8, pow2AtLeast(sh.c)));
  return build(
    'train/bn_finalize',
    [
      { name: 'part', type: 'array<vec2<f32>>', access: 'read', buffer: bufs.part },
      { name: 'prm', type: 'array<f32>', access: 'read', buffer: bufs.params },
      { name: 'st', type: 'array<f32>', access: 'write', buffer: bufs.state },
      { name: 'run', type: 'array<f32>', access: 'write', buffer: bufs.running },
    ],
    {
      C: u(sh.c),
      NCH: u(cc.chunks),
      N: u(sh.batch),
      IPC: u(cc.imagesPerChunk),
      PLANE_ELEMS: f(plane),
      COUNT: f(count),
      UNBIAS: f(count > 1 ? count / (count - 1) : 1),
      EPS: f(o.eps),
      MOMENTUM: f(o.momentum),
      GAMMA_OFF: u(off.gamma),
      BETA_OFF: u(off.beta),
      ST_OFF: u(off.stats),
      SC_OFF: u(off.scale),
      SH_OFF: u(off.shift),
      RM_OFF: u(off.runningMean),
      RV_OFF: u(off.runningVar),
      WG: wg,
    },
    {},
    wg,
    [Math.ceil(sh.c / wg), 1, 1],
  );
}

export interface ChainBwdSpec {
  name: string;
  shape: PlaneShape;
  /** Gradient of the chain's output. */
  g: BufView;
  /** The chain's output (forward), for the ReLU mask. */
  out?: BufView;
  relu?: { start: number; end: number };
  /** Batch norm: its input (forward), the bn-state buffer and the offset of its (mean, inv_std). */
  bn?: { x: BufView; state: number; stats: number; coef: number };
  /** Gradient of the chain's first input. */
  a?: GradTarget;
  /** Multiplies target a's gradient (2 when an add has the same value on both sides). */
  scaleA?: number;
  /** Gradient of the add's other operand. */
  b?: GradTarget;
}

export function genChainBwdReduce(
  s: ChainBwdSpec & { bn: NonNullable<ChainBwdSpec['bn']> },
  part: number,
  cc: ChannelChunks,
  limits: DispatchLimits,
): TrainKernel {
  const sh = s.shape;
  const plane = sh.h * sh.w;
  const relu = s.relu && s.relu.end > s.relu.start ? s.relu : undefined;
  const views = [s.g, s.bn.x, ...(relu && s.out ? [s.out] : [])];
  const vec = vecFor(plane, views);
  const T = vec === 4 ? 'vec4<f32>' : 'f32';
  const total = sh.c * cc.chunks;
  const wg = Math.min(WG, Math.max(8, pow2AtLeast(total)));
  const [nx, , nz] = grid(total, wg, limits, s.name);
  const slots: SlotDef[] = [{ name: 'g_in', type: `array<${T}>`, access: 'read', buffer: s.g.buffer }];
  if (relu) slots.push({ name: 'o_in', type: `array<${T}>`, access: 'read', buffer: s.out!.buffer });
  slots.push({ name: 'x_in', type: `array<${T}>`, access: 'read', buffer: s.bn.x.buffer });
  slots.push({ name: 'st', type: 'array<f32>', access: 'read', buffer: s.bn.state });
  slots.push({ name: 'part', type: 'array<vec2<f32>>', access: 'write', buffer: part });
  return build(
    'train/chain_bwd_reduce',
    slots,
    {
      C: u(sh.c),
      PLANE: u(plane / vec),
      N: u(sh.batch),
      IPC: u(cc.imagesPerChunk),
      NCH: u(cc.chunks),
      TOTAL: u(total),
      G_BS: tUnits(s.g.batchStride, vec, s.name),
      G_OFF: tUnits(s.g.offset, vec, s.name),
      X_BS: tUnits(s.bn.x.batchStride, vec, s.name),
      X_OFF: tUnits(s.bn.x.offset, vec, s.name),
      O_BS: relu ? tUnits(s.out!.batchStride, vec, s.name) : u(0),
      O_OFF: relu ? tUnits(s.out!.offset, vec, s.name) : u(0),
      RELU_START: u(relu?.start ?? 0),
      RELU_END: u(relu?.end ?? 0),
      ST_OFF: u(s.bn.stats),
      NX: u(nx),
      WG: wg,
      T,
      REDUCE_SG: sumLanes(vec, 'sg'),
      REDUCE_SGX: sumLanes(vec, 'sgx'),
    },
    { RELU: !!relu },
    wg,
    [nx, 1, nz],
  );
}

export function genChainBwdFinalize(
  name: string,
  c: number,
  count: number,
  bufs: { part: number; params: number; state: number; grads: number; coef: number },
  off: { gamma: number; dgamma: number; dbeta: number; stats: number },
  chunks: number,
): TrainKernel {
  const wg = Math.min(WG, Math.max(8, pow2AtLeast(c)));
  return build(
    'train/chain_bwd_finalize',
    [
      { name: 'part', type: 'array<vec2<f32>>', access: 'read', buffer: bufs.part },
      { name: 'prm', type: 'array<f32>', access: 'read', buffer: bufs.params },
      { name: 'st', type: 'array<f32>', access: 'read', buffer: bufs.state },
      { name: 'grad', type: 'array<f32>', access: 'write', buffer: bufs.grads },
      { name: 'coef', type: 'array<vec4<f32>>', access: 'write', buffer: bufs.coef },
    ],
    {
      C: u(c),
      NCH: u(chunks),
      COUNT: f(count),
      GAMMA_OFF: u(off.gamma),
      DGAMMA_OFF: u(off.dgamma),
      DBETA_OFF: u(off.dbeta),
      ST_OFF: u(off.stats),
      WG: wg,
    },
    {},
    wg,
    [Math.ceil(c / wg), 1, 1],
  );
}

/** The elementwise part of a chain's backward (also a plain gradient copy: no relu, bn or b). */
export function genChainBwd(s: ChainBwdSpec, limits: DispatchLimits): TrainKernel {
  const sh = s.shape;
  const plane = sh.h * sh.w;
  const relu = s.relu && s.relu.end > s.relu.start ? s.relu : undefined;
  if (!s.a && !s.b) throw new Error(`${s.name}: a chain backward with no target`);
  const views: BufView[] = [s.g];
  if (relu) views.push(s.out!);
  if (s.bn && s.a) views.push(s.bn.x);
  if (s.a) views.push(s.a);
  if (s.b) views.push(s.b);
  const vec = vecFor(plane, views);
  const T = vec === 4 ? 'vec4<f32>' : 'f32';
  const total = sh.batch * sh.c * (plane / vec);
  const [nx, , nz] = grid(total, WG, limits, s.name);
  const bn = s.bn && s.a ? s.bn : undefined;
  const slots: SlotDef[] = [{ name: 'g_in', type: `array<${T}>`, access: 'read', buffer: s.g.buffer }];
  if (relu) slots.push({ name: 'o_in', type: `array<${T}>`, access: 'read', buffer: s.out!.buffer });
  if (bn) {
    slots.push({ name: 'x_in', type: `array<${T}>`, access: 'read', buffer: bn.x.buffer });
    slots.push({ name: 'coef', type: 'array<vec4<f32>>', access: 'read', buffer: bn.coef });
  }
  if (s.a) slots.push({ name: 'ta', type: `array<${T}>`, access: 'write', buffer: s.a.buffer });
  if (s.b) slots.push({ name: 'tb', type: `array<${T}>`, access: 'write', buffer: s.b.buffer });
  const vu = (n: number) => tUnits(n, vec, s.name);
  return build(
    'train/chain_bwd',
    slots,
    {
      C: u(sh.c),
      PLANE: u(plane / vec),
      TOTAL: u(total),
      G_BS: vu(s.g.batchStride),
      G_OFF: vu(s.g.offset),
      O_BS: relu ? vu(s.out!.batchStride) : u(0),
      O_OFF: relu ? vu(s.out!.offset) : u(0),
      RELU_START: u(relu?.start ?? 0),
      RELU_END: u(relu?.end ?? 0),
      X_BS: bn ? vu(bn.x.batchStride) : u(0),
      X_OFF: bn ? vu(bn.x.offset) : u(0),
      A_BS: s.a ? vu(s.a.batchStride) : u(0),
      A_OFF: s.a ? vu(s.a.offset) : u(0),
      B_BS: s.b ? vu(s.b.batchStride) : u(0),
      B_OFF: s.b ? vu(s.b.offset) : u(0),
      SCALE_A: s.scaleA !== undefined && s.scaleA !== 1 ? ` * ${f(s.scaleA)}` : '',
      NX: u(nx),
      WG,
      T,
    },
    { RELU: !!relu, BN: !!bn, TA: !!s.a, TB: !!s.b, ACC_A: !!s.a?.accumulate, ACC_B: !!s.b?.accumulate },
    WG,
    [nx, 1, nz],
  );
}

// ---------------------------------------------------------------------------------------------
// Pooling and the classifier

export function genAvgPoolBwd(name: string, sh: PlaneShape, g: BufView, dx: GradTarget, limits: DispatchLimits): TrainKernel {
  const plane = sh.h * sh.w;
  const vec = vecFor(plane, [dx]);
  const T = vec === 4 ? 'vec4<f32>' : 'f32';
  const total = sh.batch * sh.c * (plane / vec);
  const [nx, , nz] = grid(total, WG, limits, name);
  return build(
    'train/avgpool_bwd',
    [
      { name: 'g_in', type: 'array<f32>', access: 'read', buffer: g.buffer },
      { name: 'dx', type: `array<${T}>`, access: 'write', buffer: dx.buffer },
    ],
    {
      C: u(sh.c),
      PLANE: u(plane / vec),
      TOTAL: u(total),
      G_BS: u(g.batchStride),
      G_OFF: u(g.offset),
      DX_BS: tUnits(dx.batchStride, vec, name),
      DX_OFF: tUnits(dx.offset, vec, name),
      INV_HW: f(1 / plane),
      NX: u(nx),
      WG,
      T,
    },
    { ACC: dx.accumulate },
    WG,
    [nx, 1, nz],
  );
}

export interface FcGeometry {
  batch: number;
  inFeatures: number;
  outFeatures: number;
}

export function genFcDx(
  name: string,
  fc: FcGeometry,
  g: BufView,
  dx: GradTarget,
  weight: { buffer: number; offset: number },
  limits: DispatchLimits,
): TrainKernel {
  const vec = fc.inFeatures % 4 === 0 && weight.offset % 4 === 0 && dx.offset % 4 === 0 && dx.batchStride % 4 === 0 ? 4 : 1;
  const T = vec === 4 ? 'vec4<f32>' : 'f32';
  const inT = fc.inFeatures / vec;
  const total = fc.batch * inT;
  const [nx, , nz] = grid(total, WG, limits, name);
  return build(
    'train/fc_dx',
    [
      { name: 'g_in', type: 'array<f32>', access: 'read', buffer: g.buffer },
      { name: 'prm', type: `array<${T}>`, access: 'read', buffer: weight.buffer },
      { name: 'dx', type: `array<${T}>`, access: 'write', buffer: dx.buffer },
    ],
    {
      IN: u(inT),
      OUT: u(fc.outFeatures),
      TOTAL: u(total),
      G_BS: u(g.batchStride),
      G_OFF: u(g.offset),
      W_OFF: u(weight.offset / vec),
      DX_BS: u(dx.batchStride / vec),
      DX_OFF: u(dx.offset / vec),
      NX: u(nx),
      WG,
      T,
    },
    { ACC: dx.accumulate },
    WG,
    [nx, 1, nz],
  );
}

export function genFcDw(
  name: string,
  fc: FcGeometry,
  g: BufView,
  x: BufView,
  grad: { buffer: number; weight: number; bias: number },
  limits: DispatchLimits,
): TrainKernel {
  const vec = fc.inFeatures % 4 === 0 && x.offset % 4 === 0 && x.batchStride % 4 === 0 ? 4 : 1;
  const T = vec === 4 ? 'vec4<f32>' : 'f32';
  const inT = fc.inFeatures / vec;
  const total = fc.outFeatures * inT + fc.outFeatures;
  const [nx, , nz] = grid(total, WG, limits, name);
  const store = vec === 4 ? [0, 1, 2, 3].map((c) => `    grad[at + ${u(c)}] = acc.${'xyzw'[c]};`).join('\n') : '    grad[at] = acc;';
  return build(
    'train/fc_dw',
    [
      { name: 'g_in', type: 'array<f32>', access: 'read', buffer: g.buffer },
      { name: 'x_in', type: `array<${T}>`, access: 'read', buffer: x.buffer },
      { name: 'grad', type: 'array<f32>', access: 'write', buffer: grad.buffer },
    ],
    {
      IN: u(inT),
      OUT: u(fc.outFeatures),
      N: u(fc.batch),
      TOTAL: u(total),
      G_BS: u(g.batchStride),
      G_OFF: u(g.offset),
      X_BS: u(x.batchStride / vec),
      X_OFF: u(x.offset / vec),
      GW_OFF: u(grad.weight),
      GB_OFF: u(grad.bias),
      VEC: vec,
      STORE: store,
      NX: u(nx),
      WG,
      T,
    },
    {},
    WG,
    [nx, 1, nz],
  );
}

// ---------------------------------------------------------------------------------------------
// Loss and optimizer

/** The training loss (DESIGN.md §8; the reference is src/train/losses.ts). */
export type LossSpec =
  | { kind: 'ce' }
  | { kind: 'hinton'; temperature: number; ceWeight: number; kdWeight: number }
  | { kind: 'dkd'; temperature: number; ceWeight: number; alpha: number; beta: number; warmup: number };

/** Slots of the running sums the loss kernel adds to (one float each). */
export const LOSS_SUMS = ['loss', 'correct', 'steps', 'ce', 'kd1', 'kd2'] as const;

export function genLoss(
  name: string,
  batch: number,
  classes: number,
  loss: LossSpec,
  bufs: { logits: BufView; labels: number; teacher?: number; dlogits: number; sums: number; uniform: number },
): TrainKernel {
  const wg = Math.min(WG, Math.max(8, pow2AtLeast(batch)));
  const kd = loss.kind !== 'ce';
  if (kd && bufs.teacher === undefined) throw new Error(`${name}: knowledge distillation needs the teacher's logits`);
  const slots: SlotDef[] = [
    { name: 'z', type: 'array<f32>', access: 'read', buffer: bufs.logits.buffer },
    { name: 'labels', type: 'array<u32>', access: 'read', buffer: bufs.labels },
  ];
  if (kd) slots.push({ name: 'tch', type: 'array<f32>', access: 'read', buffer: bufs.teacher! });
  slots.push({ name: 'dz', type: 'array<f32>', access: 'write', buffer: bufs.dlogits });
  slots.push({ name: 'sums', type: 'array<f32>', access: 'write', buffer: bufs.sums });
  const T = kd ? loss.temperature : 1;
  return build(
    'train/loss',
    slots,
    {
      N: u(batch),
      K: u(classes),
      Z_BS: u(bufs.logits.batchStride),
      Z_OFF: u(bufs.logits.offset),
      INV_B: f(1 / batch),
      CE_W: f(loss.kind === 'ce' ? 1 : loss.ceWeight),
      TEMP: f(T),
      INV_T: f(1 / T),
      KD_W: f(loss.kind === 'hinton' ? loss.kdWeight : 0),
      DKD_A: f(loss.kind === 'dkd' ? loss.alpha : 0),
      DKD_B: f(loss.kind === 'dkd' ? loss.beta : 0),
      WG: wg,
    },
    { KD: kd, HINTON: loss.kind === 'hinton', DKD: loss.kind === 'dkd' },
    wg,
    [1, 1, 1],
    bufs.uniform,
  );
}

export interface SgdHyper {
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
}

/** SGD over floats [offset, offset + length) of the flat buffers (both multiples of 4). */
export function genSgd(
  name: string,
  range: { offset: number; length: number },
  bufs: { params: number; grads: number; momentum: number; uniform: number },
  h: SgdHyper,
  limits: DispatchLimits,
): TrainKernel {
  if (range.offset % 4 !== 0 || range.length % 4 !== 0) throw new Error(`${name}: SGD range must be vec4-aligned`);
  const len = range.length / 4;
  const [nx, , nz] = grid(len, WG, limits, name);
  return build(
    'train/sgd',
    [
      { name: 'prm', type: 'array<vec4<f32>>', access: 'write', buffer: bufs.params },
      { name: 'grad', type: 'array<vec4<f32>>', access: 'read', buffer: bufs.grads },
      { name: 'mom', type: 'array<vec4<f32>>', access: 'write', buffer: bufs.momentum },
    ],
    { OFF: u(range.offset / 4), LEN: u(len), WD: f(h.weightDecay), MOMENTUM: f(h.momentum), NX: u(nx), WG },
    { NESTEROV: h.nesterov },
    WG,
    [nx, 1, nz],
    bufs.uniform,
  );
}
