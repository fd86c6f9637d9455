// The forward convolution's schedule (kernels/conv.wgsl): ocb output channels x pxb pixels of a row
// per invocation, `wg` invocations per workgroup; the workgroups cover the spatial blocks along x
// and the output-channel blocks along y. ocb also fixes the packed weight layout (conv-layout.ts).

import type { ConvShape } from '../conv-layout.js';
import { GEMM_WORKGROUP_BYTES, gemmInvocations, gemmTiles } from './gemm-tiles.js';

/** An implicit-product kernel's tile knobs (conv and conv_dx alike). */
export type GemmTile = Pick<ConvSchedule, 'pxb' | 'wg'>;
import type { ConvSchedule, ProfileName, ScheduleTarget } from './types.js';
import { cpuConvWorkgroup, GPU_MIN_INVOCATIONS, gpuWorkgroup, profileWorkgroup } from './workgroup.js';

export type ConvScheduleShape = Pick<ConvShape, 'outC' | 'groups' | 'outW' | 'outH' | 'kernel' | 'stride' | 'pad' | 'batch'>;

/** Rows and row length the kernel walks (a flat 1x1 convolution is one long row). */
function rowsOf(s: ConvScheduleShape): { rows: number; rowLen: number } {
  const flat = s.kernel === 1 && s.stride === 1 && s.pad === 0;
  return flat ? { rows: 1, rowLen: s.outH * s.outW } : { rows: s.outH, rowLen: s.outW };
}

/** Invocations of the dispatch under schedule `t` (whole workgroups, at least a subgroup each). */
export function convInvocations(s: ConvScheduleShape, t: ConvSchedule): number {
  if (t.gemm) return gemmInvocations({ rows: s.outC / s.groups, groups: s.groups, columns: s.batch * s.outH * s.outW }, t);
  const { rows, rowLen } = rowsOf(s);
  const spatial = s.batch * Math.ceil(rows / (t.rows ?? 1)) * Math.ceil(rowLen / t.pxb);
  const blocks = s.groups * Math.ceil(s.outC / s.groups / t.ocb);
  return Math.ceil(spatial / t.wg) * t.wg * blocks;
}

/** A conv schedule with every knob said: what plans record, the tuner times and its cache keeps. */
export const convKnobs = (t: ConvSchedule): Required<ConvSchedule> => ({ ocb: t.ocb, pxb: t.pxb, wg: t.wg, rows: t.rows ?? 1, gemm: t.gemm === true, halo: t.halo === true });

/**
 * Whether the direct kernel can take a block's halo from its neighbours' lanes (ConvTile.halo):
 * with subgroups, at stride 1 with the padding that keeps rows their width (2 * pad = kernel - 1,
 * so the halo is pad columns on either side), on rows of whole vec4 quads that the pixel blocks
 * (whole quads too, at least as wide as the halo) divide. The input rows are then read as quads,
 * which the neighbours' columns come from (the kernel checks the views' alignment as well, and
 * loads the halo where a view is not 4-aligned).
 */
export function haloApplies(s: Pick<ConvScheduleShape, 'kernel' | 'stride' | 'pad' | 'outW'>, pxb: number, subgroupSize: number): boolean {
  return (
    subgroupSize > 0 && s.stride === 1 && s.pad > 0 && 2 * s.pad === s.kernel - 1 &&
    pxb % 4 === 0 && s.pad <= pxb && s.outW % 4 === 0 && s.outW % pxb === 0
  );
}

/**
 * Output rows per invocation of the cpu profile's direct kernel (fewer where the image has fewer):
 * each input row is then loaded once for up to 3 output rows of a 3x3 window, and each channel's
 * weights once for 4 rows. On lavapipe (HRN-2x5x3x's forward convs, m=16 batch 16 and m=4 batch
 * 128) 4 rows ran 1.35-1.45x faster than 1, 2 rows 1.1-1.2x, and 3 rows (whose blocks overhang
 * 16x16, 8x8 and 4x4 images) slower than 1; 8 rows, or 4 rows of 8 pixels, ran slower than 4 rows
 * of 4. The unrolled window costs compile time: about 3.5 s more of a training step's cold start.
 */
const CPU_ROWS = 4;

/**
 * The schedule of a convolution under a profile; knobs in `fixed` are kept as given (rows no more
 * than the image has). cpu: the direct kernel, 8 channels (4 when a group has no more) x CPU_ROWS
 * rows x 4 pixels, a workgroup no larger than the spatial blocks need (cpuConvWorkgroup). gpu: the
 * implicit-product kernel with workgroup tiles (chooseGemmTile); `gemm: false` asks for the direct
 * kernel, one row per invocation, whose tile is shrunk (4 channels, then halved pixel blocks) while
 * the dispatch has fewer than GPU_MIN_INVOCATIONS. A direct pixel block is never longer than a row
 * (the kernel's row-end checks assume so).
 */
export function chooseConv(s: ConvScheduleShape, profile: ProfileName, target: ScheduleTarget, fixed: Partial<ConvSchedule> = {}): ConvSchedule {
  const { rows, rowLen } = rowsOf(s);
  const cog = s.outC / s.groups;
  const ocb = fixed.ocb ?? (cog <= 4 ? 4 : 8);
  if (fixed.gemm ?? profile === 'gpu') {
    const t = chooseGemmTile(cog, (x) => convInvocations(s, { ocb, ...x, gemm: true }), profile, target, fixed);
    return { ocb, ...t, rows: 1, gemm: true };
  }
  const pxb = Math.min(fixed.pxb ?? 4, rowLen);
  const rb = Math.min(fixed.rows ?? (profile === 'cpu' ? CPU_ROWS : 1), rows);
  // The halo by subgroupShuffle is the tuner's (or an override's) to choose: no profile asks for it.
  const withHalo = (t: ConvSchedule): ConvSchedule => (fixed.halo === true && haloApplies(s, t.pxb, target.subgroupSize) ? { ...t, halo: true } : t);
  if (profile === 'cpu') {
    const spatial = s.batch * Math.ceil(rows / rb) * Math.ceil(rowLen / pxb);
    return withHalo({ ocb, pxb, wg: fixed.wg ?? cpuConvWorkgroup(spatial, target), rows: rb, gemm: false });
  }
  let t: ConvSchedule = { ocb, pxb, wg: profileWorkgroup(fixed.wg ?? gpuWorkgroup(target), profile, target), rows: rb, gemm: false };
  while (convInvocations(s, t) < GPU_MIN_INVOCATIONS) {
    if (fixed.ocb === undefined && t.ocb > 4) t = { ...t, ocb: 4 };
    else if (fixed.pxb === undefined && t.pxb > 1) t = { ...t, pxb: Math.ceil(t.pxb / 2) };
    else break;
  }
  return withHalo(t);
}

/**
 * The tile of an implicit-product kernel for `rows` channels per group, knobs in `fixed` kept as
 * far as the tiles allow (an override reaches every kernel of its family): gpuWorkgroup
 * invocations of 4 channels x 4 pixels, the workgroup rounded up to whole rows of the tile's
 * invocations; the pixels halved while the tiles pass the workgroup memory every device has and,
 * on the gpu profile unless pxb is fixed, while the dispatch (`invocations`) is below
 * GPU_MIN_INVOCATIONS; then the workgroup halved while the tiles still do not fit.
 */
export function chooseGemmTile(rows: number, invocations: (t: GemmTile) => number, profile: ProfileName, target: ScheduleTarget, fixed: Partial<GemmTile>): GemmTile {
  const rowWidth = gemmTiles(rows, { pxb: 1, wg: 1 }).tm / 4;
  // whole rows of the tile's invocations, whatever workgroup was asked for
  const wg = Math.ceil(profileWorkgroup(fixed.wg ?? Math.max(gpuWorkgroup(target), rowWidth), profile, target) / rowWidth) * rowWidth;
  let t: GemmTile = { pxb: fixed.pxb ?? 4, wg };
  const tooBig = () => gemmTiles(rows, t).bytes > GEMM_WORKGROUP_BYTES;
  const starved = () => fixed.pxb === undefined && profile === 'gpu' && invocations(t) < GPU_MIN_INVOCATIONS;
  while (t.pxb > 1 && (tooBig() || starved())) t = { ...t, pxb: Math.ceil(t.pxb / 2) };
  // a workgroup too large for the tiles even at one pixel each
  while (tooBig() && t.wg > rowWidth) t = { ...t, wg: Math.max(rowWidth, Math.ceil(t.wg / 2 / rowWidth) * rowWidth) };
  return t;
}

/** Implicit-product tiles worth timing for `rows` channels per group: 1, 2, 4 and 8 pixels per invocation, workgroups as workgroupSizes, where they fit. */
export function gemmTileCandidates(rows: number, target: ScheduleTarget): GemmTile[] {
  const out: GemmTile[] = [];
  for (const pxb of [1, 2, 4, 8]) {
    for (const wg of workgroupSizes(target)) {
      const tiles = gemmTiles(rows, { pxb, wg });
      if (wg % (tiles.tm / 4) === 0 && tiles.bytes <= GEMM_WORKGROUP_BYTES) out.push({ pxb, wg });
    }
  }
  return out;
}

/**
 * Every schedule worth timing for this shape (for a tuner). The direct kernel: channel blocks of
 * 4, 8 and 16 (no larger than a group needs), pixel blocks of 1, 2, 4 and 8 (no longer than a
 * row), 1, 2 and CPU_ROWS rows (no more than the image has), each also with its halo by
 * subgroupShuffle where that applies (haloApplies). The implicit-product kernel:
 * gemmTileCandidates. Workgroups from a subgroup (or 8) to the device's limit in powers of two.
 */
export function convCandidates(s: ConvScheduleShape, target: ScheduleTarget): ConvSchedule[] {
  const { rowLen } = rowsOf(s);
  const cog = s.outC / s.groups;
  const ocbs = [4, 8, 16].filter((o, i) => i === 0 || o / 2 < cog);
  const pxbs = [1, 2, 4, 8].filter((p, i) => i === 0 || p / 2 < rowLen);
  const out: ConvSchedule[] = [];
  const rowss = [...new Set([1, 2, CPU_ROWS].map((r) => Math.min(r, rowsOf(s).rows)))];
  for (const ocb of ocbs) {
    for (const pxb of pxbs) {
      const halos = haloApplies(s, pxb, target.subgroupSize) ? [false, true] : [false];
      for (const rows of rowss) for (const wg of workgroupSizes(target)) for (const halo of halos) out.push({ ocb, pxb, wg, rows, gemm: false, ...(halo ? { halo } : {}) });
    }
  }
  for (const t of gemmTileCandidates(cog, target)) out.push({ ocb: cog <= 4 ? 4 : 8, ...t, rows: 1, gemm: true });
  return out;
}

/** Powers of two from a subgroup (at least 8) to the device's limit (at most 256). */
export function workgroupSizes(target: ScheduleTarget): number[] {
  const out: number[] = [];
  for (let wg = Math.max(8, target.subgroupSize); wg <= Math.min(256, target.maxWorkgroupSize); wg *= 2) out.push(wg);
  return out;
}
