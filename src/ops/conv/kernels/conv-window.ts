// The forward convolution's kernel window: the choices a direct conv kernel is specialized for,
// and the tables of one input channel's unrolled loads and multiply-adds, which
// kernels/lib/conv_window_row.wgsl, conv_window_rows.wgsl and conv_window_input.wgsl walk (each
// input row read once, as aligned vec4 quads where it can, for every output row it feeds).

import { i, type TemplateItem, type TemplateValues, u } from '../../../codegen/template.js';
import { haloApplies } from '../../../codegen/schedule/conv.js';
import type { SlotAliases, ViewLayout } from '../../../codegen/kernels/common.js';
import type { ConvKernelSpec } from '../../../codegen/conv-kernels.js';

/** The sizes and choices a conv kernel is specialized for, shared by its body and epilogue. */
export interface ConvLayoutChoice {
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

export function choose(spec: ConvKernelSpec, alias: SlotAliases, ocb: number, pxb: number, rb: number): ConvLayoutChoice & { ih: number; oh: number } {
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

/**
 * How the block reads the columns of an input row, the same for every row: the aligned quads it
 * loads, and for each column whether it is a neighbour's (the halo), in one of its own quads, or
 * read alone.
 */
function columnTables(c: ConvLayoutChoice): { quads: TemplateItem[]; columns: TemplateItem[] } {
  const { k, s, p, pxb, ow, iw, vecIn } = c;
  const cols = new Set<number>();
  for (let px = 0; px < pxb; px++) for (let kx = 0; kx < k; kx++) cols.add(px * s + kx);
  // Quad qd covers columns ox0*s + 4qd .. +3, all inside the row for every valid block.
  const quadOk = (qd: number) => vecIn && qd >= 0 && (ow - pxb) * s + 4 * qd + 3 <= iw - 1;
  const quads = new Set<number>();
  for (const j of cols) if (quadOk(Math.floor((j - p) / 4))) quads.add(Math.floor((j - p) / 4));
  const columns = [...cols]
    .sort((a, b) => a - b)
    .map((j) => {
      const qd = Math.floor((j - p) / 4);
      const from = c.halo ? haloSource(c, j) : undefined;
      if (from && !quads.has(from.quad)) throw new Error(`${c.spec.name}: halo column ${j} is in no quad of the block`);
      const at = from ? { hq: from.quad, comp: 'xyzw'[from.comp], lane: from.lane, valid: from.valid } : { hq: 0, comp: quads.has(qd) ? 'xyzw'[j - p - 4 * qd] : '', lane: '', valid: '' };
      return { j, ji: i(j), ju: u(j), halo: from !== undefined, quad: from === undefined && quads.has(qd), qd, ...at };
    });
  return { quads: [...quads].sort((a, b) => a - b).map((qd) => ({ qd, at: u(qd) })), columns };
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

/** Weight vec4 `e` of the loop's window: with subgroups, which lane's load holds it. */
function weightItem(sg: number, e: number): { e: string; q: number; lane: string } {
  return { e: u(e), q: sg > 0 ? Math.floor(e / sg) : 0, lane: sg > 0 ? u(e % sg) : '' };
}

/** The subgroup's weight loads: load m of each lane covers vec4s m*SG .. m*SG + SG - 1 of `count`. */
function weightLoads(sg: number, count: number): TemplateItem[] {
  const loads: TemplateItem[] = [];
  if (sg > 0) for (let m = 0; m * sg < count; m++) loads.push({ m, at: u(m * sg) });
  return loads;
}

/**
 * The window's tables and flags. Without ROWS (rb = 1) the kernel's rows are a runtime loop and the
 * tables are one kernel row's: its weights and FMAs per kx. With RB rows the whole window is
 * unrolled: all K*K weights, then each input row the block reads with the FMAs of every output
 * row it feeds.
 */
export function windowTables(c: ConvLayoutChoice): { values: TemplateValues; flags: Record<string, boolean> } {
  const { k, s, p, nv, sg, pxb, rb } = c;
  const { quads, columns } = columnTables(c);
  const flags = {
    SHARED_WEIGHTS: sg > 0,
    F16_WEIGHTS: c.spec.f16Weights === true,
    // With subgroups the whole body must be in uniform control flow, so rows are masked by select.
    MASKED_ROWS: rb > 1 ? p > 0 : c.rowSelect,
    PADDED: p > 0,
    QUADS: quads.length > 0,
    OVERHANG: c.overhang,
  };
  const values: TemplateValues = { QUADS: quads, COLUMNS: columns };
  if (rb === 1) {
    const kxs: TemplateItem[] = [];
    for (let kx = 0; kx < k; kx++) {
      const fmas: TemplateItem[] = [];
      for (let px = 0; px < pxb; px++) for (let v = 0; v < nv; v++) fmas.push({ px, v, col: px * s + kx });
      kxs.push({ kx, weights: Array.from({ length: nv }, (_, v) => ({ v, ...weightItem(sg, kx * nv + v) })), fmas });
    }
    return { values: { ...values, KNV: u(k * nv), WEIGHT_LOADS: weightLoads(sg, k * nv), KX: kxs, IN_ROWS: [{ pre: '', suf: '' }] }, flags };
  }
  const weights: TemplateItem[] = [];
  for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) for (let v = 0; v < nv; v++) weights.push({ ky, kx, v, ...weightItem(sg, (ky * k + kx) * nv + v) });
  const rows: TemplateItem[] = [];
  for (let j = 0; j < (rb - 1) * s + k; j++) {
    const fmas: TemplateItem[] = [];
    for (let r = 0; r < rb; r++) {
      const ky = j - r * s;
      if (ky < 0 || ky >= k) continue;
      for (let kx = 0; kx < k; kx++) for (let px = 0; px < pxb; px++) for (let v = 0; v < nv; v++) fmas.push({ px: r * pxb + px, v, ky, kx, col: px * s + kx });
    }
    rows.push({ pre: `${j}_`, suf: `_${j}`, ji: i(j), ju: u(j), fmas });
  }
  return { values: { ...values, WEIGHT_LOADS: weightLoads(sg, k * k * nv), WEIGHTS: weights, IN_ROWS: rows }, flags };
}
