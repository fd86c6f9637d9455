// The input-gradient convolution's schedule (kernels/train/conv_dx.wgsl): icb input channels x
// (rows, a multiple of the stride, x pxb pixels) per invocation; workgroups cover the spatial blocks along x and the
// input-channel blocks along y.

import { convBlocks, convDims, type ConvGeometry } from '../conv-layout.js';
import type { ConvDxSchedule, ProfileName, ScheduleTarget } from './types.js';
import { cpuConvWorkgroup, GPU_MIN_INVOCATIONS, gpuWorkgroup, profileWorkgroup } from './workgroup.js';
import { chooseGemmTile, gemmTileCandidates, workgroupSizes } from './conv.js';
import { gemmInvocations } from './gemm-tiles.js';

export type ConvDxShape = Omit<ConvGeometry, 'ocb'>;

/** The fewest rows an invocation can own: one output row of dy feeds `stride` input rows. */
export const dxRows = (s: Pick<ConvDxShape, 'stride'>) => (s.stride > 1 ? s.stride : 1);

/**
 * Strides of input rows per invocation of the cpu profile's direct kernel (fewer where the image
 * has fewer): each weight load then serves that many rows' taps, and each dy row the taps of the
 * rows it reaches. On lavapipe (HRN-2x5x3x m=4, batch 128, all of its dX dispatches) dX ran 1.14x
 * faster with 2 strides than with 1, and 1.37x with 4. 4 strides once took the cold start of a
 * training step from 11.3 s to 18.3 s: at stride 2 they are 8 rows, and the block's 32 vec4 stores
 * were unrolled (each stride-2 kernel took 2.3 s to compile instead of 0.2 s); stored by one loop
 * per group of rows (dxVecStores) they compile in about 0.3 s.
 */
const CPU_DX_STRIDES = 4;

/**
 * ...and where the block is not stored as vec4 quads (rows or pixel blocks not 4-aligned, as at
 * stride 3): it is then stored value by value, unrolled, so its stores grow with the rows; 2
 * strides keep them as they were before 4.
 */
const CPU_DX_STRIDES_UNALIGNED = 2;

/** The rows an invocation owns under `t` (the stride's when the schedule does not say). */
export const dxRowsOf = (s: Pick<ConvDxShape, 'stride'>, t: Pick<ConvDxSchedule, 'rows'>) => t.rows ?? dxRows(s);

/** A dX schedule with every knob said: what plans record, the tuner times and its cache keeps. */
export const convDxKnobs = (s: Pick<ConvDxShape, 'stride'>, t: ConvDxSchedule): Required<ConvDxSchedule> => ({ icb: t.icb, pxb: t.pxb, wg: t.wg, rows: dxRowsOf(s, t), gemm: t.gemm === true });

function spatialOf(s: ConvDxShape, t: Pick<ConvDxSchedule, 'pxb' | 'rows'>): number {
  const { ih, iw } = convDims({ ...s, ocb: 4 });
  return s.batch * Math.ceil(ih / dxRowsOf(s, t)) * Math.ceil(iw / t.pxb);
}

/** Rows asked for (an override reaches every dX of a plan) as whole strides, at least one. */
const stridesOf = (s: ConvDxShape, rows: number) => Math.max(1, Math.round(rows / dxRows(s)));

/** `strides` strides of rows, no more than the image's rows rounded up to a stride. */
function rowsFor(s: ConvDxShape, strides: number): number {
  const st = dxRows(s);
  const { ih } = convDims({ ...s, ocb: 4 });
  return Math.min(strides * st, Math.ceil(ih / st) * st);
}

export function convDxInvocations(s: ConvDxShape, t: ConvDxSchedule): number {
  const { cig } = convBlocks({ ...s, ocb: 4 });
  if (t.gemm) {
    const { ih, iw } = convDims({ ...s, ocb: 4 });
    return gemmInvocations({ rows: cig, groups: s.groups, columns: s.batch * ih * iw }, t);
  }
  return Math.ceil(spatialOf(s, t) / t.wg) * t.wg * s.groups * Math.ceil(cig / t.icb);
}

/**
 * cpu: the direct kernel, 4 pixels (stride 1) or the multiple of the stride nearest 4,
 * CPU_DX_STRIDES strides of rows (CPU_DX_STRIDES_UNALIGNED where it stores no vec4 quads), 8
 * channels when the block has at most 4 pixels and the group more than 4 (else 4), the workgroup
 * cpuConvWorkgroup gives. gpu: the implicit-product kernel (chooseGemmTile in conv.ts); `gemm:
 * false` asks for the direct kernel, whose tile is then shrunk (4 channels, then smaller pixel
 * blocks) while the dispatch has fewer than GPU_MIN_INVOCATIONS, in workgroups of gpuWorkgroup.
 * Knobs in `fixed` are kept as given.
 */
export function chooseConvDx(s: ConvDxShape, profile: ProfileName, target: ScheduleTarget, fixed: Partial<ConvDxSchedule> = {}): ConvDxSchedule {
  const { cig } = convBlocks({ ...s, ocb: 4 });
  const { iw } = convDims({ ...s, ocb: 4 });
  if (fixed.gemm ?? profile === 'gpu') {
    const t = chooseGemmTile(cig, (x) => convDxInvocations(s, { ...x, icb: 4, gemm: true }), profile, target, fixed);
    return { icb: 4, ...t, rows: dxRows(s), gemm: true };
  }
  const st = s.stride;
  const pxb = fixed.pxb ?? (st === 1 ? Math.min(4, iw) : st * Math.max(1, Math.round(4 / st)));
  const quads = pxb % 4 === 0 && iw % 4 === 0 && iw % pxb === 0;
  const rows = rowsFor(s, fixed.rows === undefined ? (profile === 'cpu' ? (quads ? CPU_DX_STRIDES : CPU_DX_STRIDES_UNALIGNED) : 1) : stridesOf(s, fixed.rows));
  const icb = fixed.icb ?? (cig > 4 && rows * pxb <= 4 ? 8 : 4);
  if (profile === 'cpu') {
    return { icb, pxb, wg: fixed.wg ?? cpuConvWorkgroup(spatialOf(s, { pxb, rows }), target), rows, gemm: false };
  }
  let t: ConvDxSchedule = { icb, pxb, wg: profileWorkgroup(fixed.wg ?? gpuWorkgroup(target), profile, target), rows, gemm: false };
  while (convDxInvocations(s, t) < GPU_MIN_INVOCATIONS) {
    if (fixed.icb === undefined && t.icb > 4) t = { ...t, icb: 4 };
    else if (fixed.pxb === undefined && t.pxb > st) t = { ...t, pxb: st === 1 ? Math.ceil(t.pxb / 2) : st };
    else break;
  }
  return t;
}

/** Every schedule worth timing (for a tuner): the direct kernel's 4 or 8 channels, pixel blocks of 1 to 4 strides and rows of 1, 2 and 4 strides, the implicit-product kernel's tiles (gemmTileCandidates), workgroups as workgroupSizes. */
export function convDxCandidates(s: ConvDxShape, target: ScheduleTarget): ConvDxSchedule[] {
  const out: ConvDxSchedule[] = [];
  const pxbs = s.stride === 1 ? [1, 2, 4, 8] : [1, 2, 4].map((m) => m * s.stride);
  const rowss = [...new Set([1, 2, 4].map((m) => rowsFor(s, m)))];
  for (const icb of [4, 8]) for (const pxb of pxbs) for (const rows of rowss) for (const wg of workgroupSizes(target)) out.push({ icb, pxb, wg, rows, gemm: false });
  const { cig } = convBlocks({ ...s, ocb: 4 });
  for (const t of gemmTileCandidates(cig, target)) out.push({ icb: 4, ...t, rows: dxRows(s), gemm: true });
  return out;
}
