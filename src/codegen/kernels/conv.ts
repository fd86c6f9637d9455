// Forward convolution (kernels/conv.wgsl), with a folded batch norm, a residual add and a ReLU
// range in its epilogue.

import { i, u, type TemplateValues } from '../template.js';
import { convPacking } from '../../program/param-layout.js';
import { packedConvValues, type ConvShape, type ConvTile } from '../conv-layout.js';
import { DeviceLimitError } from '../device-limits.js';
import { type StoreItem, storeBlock } from './store-loop.js';
import { genConvGemm } from './conv-gemm.js';
import { forwardConvValues } from './conv-forward-values.js';
import { haloApplies } from '../schedule/conv.js';
import { DEFAULT_DISPATCH_LIMITS, finish, type GeneratedKernel, type Slot, type SlotAliases, splitTiles, subgroupValues, type ViewLayout, withF16 } from './common.js';

export interface ConvKernelSpec extends ConvShape {
  name: string;
  input: ViewLayout;
  output: ViewLayout;
  residual?: ViewLayout;
  /** ReLU on output channels [start, end); absent: no ReLU. */
  relu?: { start: number; end: number };
  /** The schedule: register tile and workgroup (schedule/conv.ts chooses it). */
  tile: ConvTile;
  /**
   * Subgroup width to share weight loads across lanes (subgroupBroadcast); 0 or absent: no
   * subgroups. At most the device's smallest subgroup size (see subgroupValues).
   */
  subgroupSize?: number;
  /** Read aligned input quads as vec4s where possible (default true). */
  vecInput?: boolean;
  /** Weights stored as f16 (the `shader-f16` feature), read into f32: accumulation stays f32. */
  f16Weights?: boolean;
}

/** The sizes and choices a conv kernel is specialized for, shared by its body and epilogue. */
interface ConvLayoutChoice {
  spec: ConvKernelSpec;
  ocb: number;
  pxb: number;
  nv: number;
  k: number;
  s: number;
  p: number;
  iw: number;
  ow: number;
  wb: number;
  sg: number;
  cog: number;
  overhang: boolean;
  rowSelect: boolean;
  vecIn: boolean;
  vecOut: boolean;
  /** Output rows per invocation. */
  rb: number;
  /** The halo comes from the neighbouring lanes (ConvTile.halo). */
  halo: boolean;
}

function choose(spec: ConvKernelSpec, alias: SlotAliases, ocb: number, pxb: number, rb: number): ConvLayoutChoice & { ih: number; oh: number } {
  // A 1x1, stride-1, unpadded convolution over H x W is the same as one over 1 x (H*W): every
  // pixel block then reads contiguous input with no row boundaries.
  const flat = spec.kernel === 1 && spec.stride === 1 && spec.pad === 0;
  const ih = flat ? 1 : spec.inH;
  const iw = flat ? spec.inH * spec.inW : spec.inW;
  const oh = flat ? 1 : spec.outH;
  const ow = flat ? spec.outH * spec.outW : spec.outW;
  const k = spec.kernel;
  const s = spec.stride;
  const p = spec.pad;
  const wb = Math.ceil(ow / pxb);
  // Can a column index fall outside the row? Left/right padding, or the last pixel block
  // overhanging the row end (only reads for outputs that are discarded then).
  const overhang = (wb * pxb - 1) * s + k - 1 - p >= iw;
  const sg = spec.subgroupSize ?? 0;
  // With subgroups the whole body must be in uniform control flow, so rows are masked by select.
  const rowSelect = p > 0 && sg > 0;
  // The input is also bound as vec4s (a second read-only binding of the same buffer) when rows
  // and the pixel block are 4-aligned; not when the output shares the input's buffer (a writable
  // binding may not alias another binding).
  const vecIn =
    (spec.vecInput ?? true) && iw % 4 === 0 && (pxb * s) % 4 === 0 && ow % pxb === 0 &&
    spec.input.offset % 4 === 0 && spec.input.batchStride % 4 === 0 && alias.y_out !== 'x_in';
  const aligned4 = (l: ViewLayout) => l.offset % 4 === 0 && l.batchStride % 4 === 0;
  // vec4 stores of 4 consecutive pixels per channel when the block is 4-aligned everywhere:
  // 4x fewer per-lane memory operations (faster, and much less code for the JIT). Not when the
  // last block of a row overhangs it: its quads past the row's end would be stored (the scalar
  // stores check each pixel).
  const vecOut =
    pxb % 4 === 0 && ow % pxb === 0 && ow % 4 === 0 && aligned4(spec.output) && (!spec.residual || aligned4(spec.residual)) &&
    alias.y_out === undefined && alias.r_in === undefined;
  // The halo from the neighbours' quads: only where the input is read as quads.
  const halo = spec.tile.halo === true && vecIn && haloApplies(spec, pxb, sg);
  return { spec, ocb, pxb, nv: ocb / 4, k, s, p, ih, iw, oh, ow, wb, sg, cog: spec.outC / spec.groups, overhang, rowSelect, vecIn, vecOut, rb, halo };
}

/** The row loads of one kernel row: subgroup-shared weights, the row offset, with its padding. */
function rowPrologue(c: ConvLayoutChoice, body: string[]): void {
  const { k, nv, sg, p } = c;
  body.push('    for (var ky = 0u; ky < KSIZE; ky++) {');
  if (sg > 0) {
    // Each lane loads a different vec4 of this row's weights; subgroupBroadcast hands every lane
    // all of them. A load the Vulkan driver cannot prove uniform is done lane by lane, so this is SG
    // times fewer loads than every lane loading every weight.
    body.push(`      let wb = wi + ky * ${u(k * nv)} + lane;`);
    for (let m = 0; m * sg < k * nv; m++) body.push(`      let q${m} = ${weightLoad(c, `wb + ${u(m * sg)}`)};`);
  } else {
    body.push(`      let wb = wi + ky * ${u(k * nv)};`);
  }
  if (c.rowSelect) {
    body.push(`      let iy = iy0 + i32(ky);`);
    body.push(`      let rv = u32(iy) < IN_H;`);
    body.push(`      let r = xi + min(u32(iy), IN_H - 1u) * IN_W;`);
  } else if (p > 0) {
    body.push(`      let iy = iy0 + i32(ky);`);
    body.push(`      if (u32(iy) >= IN_H) {`);
    body.push(`        continue;`);
    body.push(`      }`);
    body.push(`      let r = xi + u32(iy) * IN_W;`);
  } else {
    body.push(`      let r = xi + (u32(iy0) + ky) * IN_W;`);
  }
}

/** A vec4 of weights at `index`, as f32 (converted when they are stored as f16). */
function weightLoad(c: ConvLayoutChoice, index: string): string {
  return c.spec.f16Weights ? `vec4<f32>({{wgt}}[${index}])` : `{{wgt}}[${index}]`;
}

/**
 * The kernel-window loop: rows of the window are a runtime loop (unrolling them multiplies the JIT
 * time of lavapipe, whose per-lane memory accesses expand to a lot of code); columns, pixels and
 * output channels are unrolled.
 */
function windowBody(c: ConvLayoutChoice): string {
  const { k, s, nv, sg, pxb, rowSelect } = c;
  const body: string[] = [];
  rowPrologue(c, body);
  const weight = (kx: number, v: number): string => {
    const e = kx * nv + v;
    if (sg === 0) return weightLoad(c, `wb + ${u(e)}`);
    return `subgroupBroadcast(q${Math.floor(e / sg)}, ${u(e % sg)})`;
  };
  const ind = '      ';
  rowColumns(c, { ind, r: 'r', rv: rowSelect ? 'rv' : undefined, x: (j) => `x${j}`, q: (qd) => `xq${qd}`, r4: 'r4' }, body);
  for (let kx = 0; kx < k; kx++) {
    for (let v = 0; v < nv; v++) body.push(`${ind}let w${kx}_${v} = ${weight(kx, v)};`);
    for (let px = 0; px < pxb; px++) {
      for (let v = 0; v < nv; v++) {
        body.push(`${ind}a${px}_${v} = fma(w${kx}_${v}, vec4<f32>(x${px * s + kx}), a${px}_${v});`);
      }
    }
  }
  body.push('    }');
  return body.join('\n');
}

/** Names and indent of one input row's loads (rowColumns). */
interface RowNames {
  ind: string;
  /** The row's first element. */
  r: string;
  /** Whether the row is inside the image: loads are masked with it (absent: always inside). */
  rv?: string;
  x: (col: number) => string;
  q: (quad: number) => string;
  r4: string;
}

/** Loads the columns of one input row that the pixel block's window reads (as aligned quads where it can). */
function rowColumns(c: ConvLayoutChoice, n: RowNames, body: string[]): void {
  const { k, s, p, pxb, ow, iw, vecIn, overhang } = c;
  const { ind } = n;
  const cols = new Set<number>();
  for (let px = 0; px < pxb; px++) for (let kx = 0; kx < k; kx++) cols.add(px * s + kx);
  // Aligned quads of the row segment are read as vec4s (one per-lane load instead of four): quad
  // qd covers columns ox0*s + 4qd .. +3, all inside the row for every valid block.
  const quadOk = (qd: number) => vecIn && qd >= 0 && (ow - pxb) * s + 4 * qd + 3 <= iw - 1;
  const quads = new Set<number>();
  for (const j of cols) if (quadOk(Math.floor((j - p) / 4))) quads.add(Math.floor((j - p) / 4));
  if (quads.size > 0) {
    body.push(`${ind}let ${n.r4} = (${n.r} + ox0 * STRIDE) / 4u;`);
    for (const qd of [...quads].sort((a, b) => a - b)) {
      const load = `{{x_in4}}[${n.r4} + ${u(qd)}]`;
      body.push(`${ind}let ${n.q(qd)} = ${n.rv ? `select(vec4<f32>(0.0), ${load}, ${n.rv})` : load};`);
    }
  }
  for (const j of [...cols].sort((a, b) => a - b)) {
    const qd = Math.floor((j - p) / 4);
    const from = c.halo ? haloSource(c, j) : undefined;
    if (from) {
      // The neighbour's lane loaded this column in one of its quads; if there is no such lane
      // (the block starts or ends a row, or its neighbour is in another subgroup), load it.
      if (!quads.has(from.quad)) throw new Error(`${c.spec.name}: halo column ${j} is in no quad of the block`);
      const valid = `${n.rv ? `${n.rv} && ` : ''}u32(ix0 + ${i(j)}) < IN_W`;
      body.push(`${ind}var ${n.x(j)} = subgroupShuffle(${n.q(from.quad)}.${'xyzw'[from.comp]}, ${from.lane});`);
      body.push(`${ind}if (!${from.valid}) {`);
      body.push(`${ind}  ${n.x(j)} = select(0.0, {{x_in}}[${n.r} + min(u32(ix0 + ${i(j)}), IN_W - 1u)], ${valid});`);
      body.push(`${ind}}`);
    } else if (quads.has(qd)) {
      body.push(`${ind}let ${n.x(j)} = ${n.q(qd)}.${'xyzw'[j - p - 4 * qd]};`);
    } else if (p > 0) {
      const valid = `${n.rv ? `${n.rv} && ` : ''}u32(ix0 + ${i(j)}) < IN_W`;
      body.push(`${ind}let ${n.x(j)} = select(0.0, {{x_in}}[${n.r} + min(u32(ix0 + ${i(j)}), IN_W - 1u)], ${valid});`);
    } else if (overhang) {
      body.push(`${ind}let ${n.x(j)} = {{x_in}}[${n.r} + min(u32(ix0) + ${u(j)}, IN_W - 1u)];`);
    } else {
      body.push(`${ind}let ${n.x(j)} = {{x_in}}[${n.r} + u32(ix0) + ${u(j)}];`);
    }
  }
}

/**
 * Where a halo column `j` of the block's input row is in a neighbouring lane's quads: columns
 * left of the block's own (j < p) are the left block's last ones, columns right of them its right
 * neighbour's first ones (at stride 1 the block's own columns are p .. p + pxb - 1).
 */
function haloSource(c: ConvLayoutChoice, j: number): { quad: number; comp: number; lane: string; valid: string } | undefined {
  const { p, pxb } = c;
  if (j < p) return { quad: Math.floor((pxb - p + j) / 4), comp: (pxb - p + j) % 4, lane: 'sid_l', valid: 'halo_l' };
  if (j >= p + pxb) return { quad: Math.floor((j - p - pxb) / 4), comp: (j - p - pxb) % 4, lane: 'sid_r', valid: 'halo_r' };
  return undefined;
}

/**
 * The window of `rb` output rows, unrolled: every weight of the input channel (with subgroups,
 * ceil(K*K*NV / SG) loads a lane, handed out by subgroupBroadcast), then each input row the block
 * reads, loaded once and used for every output row it feeds. Rows outside the image are read
 * clamped and masked (padding) or only clamped (a last block past the image's end, whose outputs
 * are not stored).
 */
function windowRowsBody(c: ConvLayoutChoice): string {
  const { k, s, p, nv, sg, pxb, rb } = c;
  const ind = '    ';
  const body: string[] = [];
  const nw = k * k * nv;
  if (sg > 0) for (let m = 0; m * sg < nw; m++) body.push(`${ind}let q${m} = ${weightLoad(c, `wi + lane + ${u(m * sg)}`)};`);
  for (let ky = 0; ky < k; ky++) {
    for (let kx = 0; kx < k; kx++) {
      for (let v = 0; v < nv; v++) {
        const e = (ky * k + kx) * nv + v;
        const w = sg > 0 ? `subgroupBroadcast(q${Math.floor(e / sg)}, ${u(e % sg)})` : weightLoad(c, `wi + ${u(e)}`);
        body.push(`${ind}let w${ky}_${kx}_${v} = ${w};`);
      }
    }
  }
  for (let j = 0; j < (rb - 1) * s + k; j++) {
    const rv = p > 0 ? `rv_${j}` : undefined;
    if (rv) {
      body.push(`${ind}let iy_${j} = iy0 + ${i(j)};`);
      body.push(`${ind}let ${rv} = u32(iy_${j}) < IN_H;`);
      body.push(`${ind}let r_${j} = xi + min(u32(iy_${j}), IN_H - 1u) * IN_W;`);
    } else {
      body.push(`${ind}let r_${j} = xi + min(u32(iy0) + ${u(j)}, IN_H - 1u) * IN_W;`);
    }
    rowColumns(c, { ind, r: `r_${j}`, rv, x: (col) => `x${j}_${col}`, q: (qd) => `xq${j}_${qd}`, r4: `r4_${j}` }, body);
    for (let r = 0; r < rb; r++) {
      const ky = j - r * s;
      if (ky < 0 || ky >= k) continue;
      for (let kx = 0; kx < k; kx++) {
        for (let px = 0; px < pxb; px++) {
          for (let v = 0; v < nv; v++) {
            const a = `a${r * pxb + px}_${v}`;
            body.push(`${ind}${a} = fma(w${ky}_${kx}_${v}, vec4<f32>(x${j}_${px * s + kx}), ${a});`);
          }
        }
      }
    }
  }
  return body.join('\n');
}

/** The WGSL applying a ReLU range to `e` at channel expression `ch`, if any. */
function reluLineFor(spec: ConvKernelSpec, type: 'f32' | 'vec4<f32>'): (ch: string, e: string) => string | undefined {
  const relu = spec.relu && spec.relu.end > spec.relu.start ? spec.relu : undefined;
  const fullRelu = relu && relu.start === 0 && relu.end === spec.outC;
  return (ch, e) => {
    const zero = type === 'f32' ? '0.0' : 'vec4<f32>(0.0)';
    if (fullRelu) return `${e} = max(${e}, ${zero});`;
    if (relu) return `if (${ch} >= ${u(relu.start)} && ${ch} < ${u(relu.end)}) { ${e} = max(${e}, ${zero}); }`;
    return undefined;
  };
}

/** Stores of 4 pixels per channel as one vec4 (in a loop: see store-loop.ts). */
function vecEpilogue(c: ConvLayoutChoice, epi: string[], row: EpilogueRow = FIRST_ROW): void {
  const { spec, nv, pxb } = c;
  const { oy, slot, ind: pre } = row;
  const chTail = c.cog % c.ocb !== 0;
  const reluLine = reluLineFor(spec, 'vec4<f32>');
  epi.push(`${pre}  let o = (n * OUT_BATCH_STRIDE + OUT_OFFSET + oc0 * OUT_HW + ${oy} * OUT_W + ox0) / 4u;`);
  if (spec.residual) epi.push(`${pre}  let ro = (n * RES_BATCH_STRIDE + RES_OFFSET + oc0 * OUT_HW + ${oy} * OUT_W + ox0) / 4u;`);
  const items: StoreItem[] = [];
  for (let q = 0; q < pxb / 4; q++) {
    for (let v = 0; v < nv; v++) {
      for (let j = 0; j < 4; j++) {
        const ch = v * 4 + j;
        const comp = 'xyzw'[j];
        const px = [0, 1, 2, 3].map((t) => `a${slot + q * 4 + t}_${v}.${comp}`).join(', ');
        items.push({ value: `vec4<f32>(${px}) + b${v}.${comp}`, offset: `${u(ch)} * (OUT_HW / 4u) + ${u(q)}`, channel: u(ch), ...(chTail ? { when: `ocl + ${u(ch)} < COG` } : {}) });
      }
    }
  }
  const body = ({ v, off, ch }: { v: string; off: string; ch: string }) => {
    const lines: string[] = [];
    if (spec.residual) lines.push(`${v} += {{r_in}}[ro + ${off}];`);
    const r = reluLine(`oc0 + ${ch}`, v);
    if (r) lines.push(r);
    lines.push(`{{y_out}}[o + ${off}] = ${v};`);
    return lines;
  };
  epi.push(...storeBlock({ items, type: 'vec4<f32>', buffer: '{{y_out}}', indent: `${pre}  `, body }));
}

/** Stores pixel by pixel (any alignment, a partial last pixel block). */
function scalarEpilogue(c: ConvLayoutChoice, epi: string[], row: EpilogueRow = FIRST_ROW): void {
  const { spec, nv, pxb } = c;
  const { oy, slot, ind: pre } = row;
  const chTail = c.cog % c.ocb !== 0;
  const pxTail = c.ow % pxb !== 0;
  const reluLine = reluLineFor(spec, 'f32');
  for (let px = 0; px < pxb; px++) {
    epi.push(`${pre}  {`);
    epi.push(`${pre}    let ox = ox0 + ${u(px)};`);
    const ind = pre + (pxTail ? '      ' : '    ');
    if (pxTail) epi.push(`${pre}    if (ox < OUT_W) {`);
    epi.push(`${ind}let o = n * OUT_BATCH_STRIDE + OUT_OFFSET + oc0 * OUT_HW + ${oy} * OUT_W + ox;`);
    if (spec.residual) epi.push(`${ind}let ro = n * RES_BATCH_STRIDE + RES_OFFSET + oc0 * OUT_HW + ${oy} * OUT_W + ox;`);
    for (let v = 0; v < nv; v++) {
      epi.push(`${ind}let y${v} = a${slot + px}_${v} + b${v};`);
      for (let j = 0; j < 4; j++) {
        const ch = v * 4 + j;
        const comp = 'xyzw'[j];
        const inner: string[] = [];
        inner.push(`var e = y${v}.${comp};`);
        if (spec.residual) inner.push(`e += {{r_in}}[ro + ${u(ch)} * OUT_HW];`);
        const r = reluLine(`oc0 + ${u(ch)}`, 'e');
        if (r) inner.push(r);
        inner.push(`{{y_out}}[o + ${u(ch)} * OUT_HW] = e;`);
        if (chTail) epi.push(`${ind}if (ocl + ${u(ch)} < COG) { ${inner.join(' ')} }`);
        else epi.push(`${ind}{ ${inner.join(' ')} }`);
      }
    }
    if (pxTail) epi.push(`${pre}    }`);
    epi.push(`${pre}  }`);
  }
}

/** Which output row of the block an epilogue stores: its row expression, its first accumulator, the extra indent. */
interface EpilogueRow {
  oy: string;
  slot: number;
  ind: string;
}

const FIRST_ROW: EpilogueRow = { oy: 'oy', slot: 0, ind: '' };

/** Bias, residual, ReLU range and the stores (of each of the block's rows that is inside the image). */
function epilogue(c: ConvLayoutChoice): string {
  const epi: string[] = [];
  for (let v = 0; v < c.nv; v++) epi.push(`  let b${v} = {{bias}}[ob * ${u(c.nv)} + ${u(v)}];`);
  const store = c.vecOut ? vecEpilogue : scalarEpilogue;
  if (c.rb === 1) {
    store(c, epi);
    return epi.join('\n');
  }
  for (let r = 0; r < c.rb; r++) {
    epi.push(`  let oy_${r} = oy + ${u(r)};`);
    epi.push(`  if (oy_${r} < OUT_H) {`);
    store(c, epi, { oy: `oy_${r}`, slot: r * c.pxb, ind: '  ' });
    epi.push('  }');
  }
  return epi.join('\n');
}

export function genConv(spec: ConvKernelSpec, alias: SlotAliases = {}, limits = DEFAULT_DISPATCH_LIMITS): GeneratedKernel {
  if (spec.tile.gemm) return genConvGemm(spec, alias, limits);
  const { ocb, pxb, wg } = spec.tile;
  const rb = spec.tile.rows ?? 1;
  if (ocb % 4 !== 0 || ocb <= 0) throw new Error(`${spec.name}: conv tile ocb ${ocb} is not a positive multiple of 4`);
  const c = choose(spec, alias, ocb, pxb, rb);
  const { nv, k, sg } = c;
  if (pxb < 1 || pxb > c.ow) throw new Error(`${spec.name}: conv tile pxb ${pxb} is not 1 to the row's ${c.ow} pixels`);
  if (!Number.isInteger(rb) || rb < 1 || rb > c.oh) throw new Error(`${spec.name}: conv tile rows ${rb} is not 1 to the image's ${c.oh} rows`);
  // subgroupBroadcast reads lanes 0 .. sg-1: a workgroup must be whole subgroups
  if (sg > 0 && wg % sg !== 0) throw new Error(`${spec.name}: conv workgroup ${wg} is not a multiple of the subgroup width ${sg}`);
  const g = spec.groups;
  const rowBlocks = Math.ceil(c.oh / rb);
  const spatial = spec.batch * rowBlocks * c.wb;
  const { obPerGroup, blocks } = convPacking(spec.outC, g, ocb);
  if (blocks > limits.maxComputeWorkgroupsPerDimension) {
    throw new DeviceLimitError(`${spec.name}: ${spec.outC} output channels need ${blocks} workgroups along y, above the device's maxComputeWorkgroupsPerDimension (${limits.maxComputeWorkgroupsPerDimension})`);
  }
  const { nx, nz } = splitTiles(Math.ceil(spatial / wg), limits, spec.name);
  const lines: string[] = [];
  for (let px = 0; px < rb * pxb; px++) {
    for (let v = 0; v < nv; v++) lines.push(`  var a${px}_${v} = vec4<f32>(0.0);`);
  }
  const slots: Slot[] = [
    { name: 'x_in', type: 'array<f32>', write: false },
    { name: 'wgt', type: spec.f16Weights ? 'array<vec4<f16>>' : 'array<vec4<f32>>', write: false },
    { name: 'bias', type: 'array<vec4<f32>>', write: false },
    { name: 'y_out', type: c.vecOut ? 'array<vec4<f32>>' : 'array<f32>', write: true },
  ];
  if (c.vecIn) slots.splice(1, 0, { name: 'x_in4', type: 'array<vec4<f32>>', write: false });
  if (spec.residual) slots.push({ name: 'r_in', type: c.vecOut ? 'array<vec4<f32>>' : 'array<f32>', write: false });
  const values: TemplateValues = {
    ...forwardConvValues(spec, c),
    OBG: u(obPerGroup),
    KKNV: u(k * k * nv),
    ...packedConvValues({ inC: spec.inC, outC: spec.outC, groups: g, kernel: k, ocb }),
    ...withF16(subgroupValues(sg), spec.f16Weights === true),
    PXB: u(pxb),
    WB: u(c.wb),
    SPATIAL: u(spatial),
    NX: u(nx),
    WG: wg,
    OCB: ocb,
    ACC_DECL: lines.join('\n'),
    IC_BODY: rb > 1 ? windowRowsBody(c) : windowBody(c),
    EPILOGUE: epilogue(c),
    ...(rb > 1 ? { RB: u(rb), ROW_BLOCKS: u(rowBlocks) } : {}),
    ...(c.halo ? { SG_LAST: u(sg - 1) } : {}),
  };
  return finish('conv', slots, alias, values, { RESIDUAL: !!spec.residual, ROWS: rb > 1, HALO: c.halo }, wg, [nx, blocks, nz]);
}
