// The weight-gradient convolution's schedule (kernels/train/conv_dw.wgsl) and the tiling it gives:
// an invocation per input channel of a workgroup, accumulating ovb output vec4s x kyb kernel rows x
// K columns over a chunk of the batch's output rows. With several chunks the kernel writes partial
// gradients and conv_dw_reduce adds them: the reduction over the batch becomes a two-level tree.

import { convBlocks, convDims, packedConvSize, type ConvGeometry } from '../conv-layout.js';
import type { ConvDwSchedule, ProfileName, ScheduleTarget } from './types.js';
import { profileWorkgroup } from './workgroup.js';

/** A weight-gradient dispatch's schedule, resolved for its shape. */
export interface ConvDwTiling extends ConvDwSchedule {
  /** Chunks of output rows (partial gradients); 1: the kernel writes the gradient itself. */
  chunks: number;
  rowsPerChunk: number;
  /** vec4s of the packed gradient (one chunk of partials). */
  size4: number;
}

/** The gpu profile splits a weight gradient into chunks until its dispatch has this many invocations... */
export const GPU_DW_INVOCATIONS = 100_000;

/**
 * ...into at most this many: conv_dw_reduce adds a gradient element's chunks in one invocation,
 * and a GPU would wait on a long serial sum over few invocations (a small layer's gradient has a
 * few thousand vec4s).
 */
export const GPU_DW_MAX_CHUNKS = 256;

/** Invocations of one chunk: workgroups of output-vec4 and kernel-row blocks, and of input-channel blocks. */
function perChunk(g: ConvGeometry, t: Pick<ConvDwSchedule, 'wg' | 'ovb' | 'kyb'>): number {
  const { cig, nv } = convBlocks(g);
  const ick = Math.ceil(cig / t.wg);
  return g.groups * ick * t.wg * ((Math.ceil(g.outC / g.groups / g.ocb) * nv) / t.ovb) * Math.ceil(g.kernel / t.kyb);
}

/**
 * The schedule resolved for `g`: the rows cut into chunks of equal length for about `target`
 * invocations (at most a chunk per row). `reach`: chunks short enough that the target is reached
 * where the rows allow, at most `maxChunks` of them (the gpu profile); otherwise as many as the
 * target asks, rounded to chunks of equal length either way (the cpu profile).
 */
export function convDwTiling(g: ConvGeometry, s: ConvDwSchedule, o: { reach?: boolean; maxChunks?: number } = {}): ConvDwTiling {
  const { oh, ow } = convDims(g);
  const rows = g.batch * oh;
  const want = Math.max(1, Math.min(rows, Math.ceil(s.target / perChunk(g, s))));
  let rowsPerChunk = o.reach ? Math.max(1, Math.floor(rows / want)) : Math.ceil(rows / want);
  if (Math.ceil(rows / rowsPerChunk) > (o.maxChunks ?? Infinity)) rowsPerChunk = Math.ceil(rows / o.maxChunks!);
  const chunks = Math.ceil(rows / rowsPerChunk);
  return { ...s, pxb: Math.min(s.pxb, ow), chunks, rowsPerChunk, size4: packedConvSize(g) / 4 };
}

export const convDwInvocations = (g: ConvGeometry, t: ConvDwTiling) => t.chunks * perChunk(g, t);

/**
 * cpu: workgroups of whole 8-lane (or subgroup) groups covering a group's input channels, up to 64;
 * every kernel row (K <= 3) and every output vec4 of a block per invocation while that is at most
 * 18 accumulators; 4 pixels; the rows split to reach 2,048 invocations. gpu: the same tile, the
 * rows split to reach GPU_DW_INVOCATIONS in at most GPU_DW_MAX_CHUNKS chunks whose partial
 * gradients fit one storage binding; when the chunks run out first, one kernel row, then one
 * output vec4, per invocation.
 */
export function chooseConvDw(g: ConvGeometry, profile: ProfileName, target: ScheduleTarget, fixed: Partial<ConvDwSchedule> = {}): ConvDwTiling {
  const { cig, nv } = convBlocks(g);
  const k = g.kernel;
  // a multiple of 8 lanes (of the subgroup size, when subgroups share the dy loads; under gpu, of
  // the largest subgroup the adapter runs) covering the group's input channels
  const lanes = Math.max(8, target.subgroupSize, profile === 'gpu' ? (target.workgroupMultiple ?? 1) : 1);
  const cap = profile === 'cpu' ? 64 : Math.max(lanes, Math.floor(Math.min(64, target.maxWorkgroupSize) / lanes) * lanes);
  const wg = profileWorkgroup(fixed.wg ?? Math.max(lanes, Math.min(cap, Math.ceil(cig / lanes) * lanes)), profile, target);
  const kyb = fixed.kyb ?? (k <= 3 ? k : 1);
  const ovb = fixed.ovb ?? (kyb * k * nv <= 18 ? nv : 1);
  const pxb = fixed.pxb ?? 4;
  if (profile === 'cpu') return convDwTiling(g, { wg, ovb, kyb, pxb, target: fixed.target ?? 2048 });
  const want = fixed.target ?? GPU_DW_INVOCATIONS;
  const o = { reach: true, maxChunks: Math.max(1, Math.min(GPU_DW_MAX_CHUNKS, Math.floor(target.maxBindingBytes / (packedConvSize(g) * 4)))) };
  let t = convDwTiling(g, { wg, ovb, kyb, pxb, target: want }, o);
  if (convDwInvocations(g, t) < want && fixed.kyb === undefined && t.kyb > 1) t = convDwTiling(g, { ...t, kyb: 1 }, o);
  if (convDwInvocations(g, t) < want && fixed.ovb === undefined && t.ovb > 1) t = convDwTiling(g, { ...t, ovb: 1 }, o);
  return t;
}

/**
 * Every schedule worth timing (for a tuner): the cpu profile's workgroup, 1 or all output vec4s, 1
 * or all kernel rows (a kernel row block must divide K; all only up to 3 rows), 2 or 4 pixels, and
 * reduction targets from 2,048 to 262,144 invocations.
 */
export function convDwCandidates(g: ConvGeometry, target: ScheduleTarget): ConvDwSchedule[] {
  const base = chooseConvDw(g, 'cpu', target);
  const { nv } = convBlocks(g);
  const out: ConvDwSchedule[] = [];
  for (const ovb of [...new Set([1, nv])])
    for (const kyb of [...new Set([1, g.kernel <= 3 ? g.kernel : 1])])
      for (const pxb of [2, 4])
        for (const t of [2048, 16_384, GPU_DW_INVOCATIONS, 262_144]) out.push({ wg: base.wg, ovb, kyb, pxb, target: t });
  return out;
}
