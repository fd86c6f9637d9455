// The per-channel reductions of training (batch statistics, and the batch-norm gradient's sums):
// the first level writes partial sums of chunks of a channel's values, the second adds each
// channel's partials. How many partials is the schedule's split; the same split must reach both
// levels (bn_finalize weighs each partial by its element count).

import type { ProfileName, ReductionSchedule, ScheduleTarget } from './types.js';
import { GPU_MIN_INVOCATIONS, gpuWorkgroup, profileWorkgroup } from './workgroup.js';

/** A channel's values cut into partial sums: image chunks, each image's plane in plane chunks. */
export interface ReductionSplit {
  /** Partial sums per channel (imageChunks x planeChunks), image-major. */
  chunks: number;
  imagesPerChunk: number;
  /** 1: whole planes (the kernels' plain form). */
  planeChunks: number;
  /** Elements of a plane per chunk (a multiple of 4 when the plane is). */
  planePerChunk: number;
}

/**
 * The split of a reduction over `batch` images of `plane` elements for `c` channels: images are cut
 * first, into chunks of equal length, about `target` partials over the channels (at most one image
 * each). Without `splitPlane` that is all, rounded as it falls (the cpu profile); with it, the
 * chunks are short enough to reach the target, and once every image is a chunk, planes are cut too,
 * in multiples of 4 elements when the plane has them (the kernels read aligned planes as vec4s).
 */
export function reductionSplit(c: number, batch: number, plane: number, s: Pick<ReductionSchedule, 'target' | 'splitPlane'>): ReductionSplit {
  const perChannel = Math.ceil(s.target / c);
  if (!s.splitPlane || perChannel <= batch) {
    const want = Math.max(1, Math.min(batch, perChannel));
    const imagesPerChunk = s.splitPlane ? Math.floor(batch / want) : Math.ceil(batch / want);
    return { chunks: Math.ceil(batch / imagesPerChunk), imagesPerChunk, planeChunks: 1, planePerChunk: plane };
  }
  const unit = plane % 4 === 0 ? 4 : 1;
  const units = plane / unit;
  const perImage = Math.min(units, Math.ceil(perChannel / batch));
  const planePerChunk = Math.ceil(units / perImage) * unit;
  const planeChunks = Math.ceil(plane / planePerChunk);
  return { chunks: batch * planeChunks, imagesPerChunk: 1, planeChunks, planePerChunk };
}

/**
 * cpu: 256 partial sums over the channels, whole planes, workgroups of 64 (what lavapipe's few
 * cores want: long sums, few invocations). gpu: GPU_MIN_INVOCATIONS partial sums, planes cut once
 * every image has its own, workgroups of gpuWorkgroup.
 */
export function chooseReduction(profile: ProfileName, target: ScheduleTarget, fixed: Partial<ReductionSchedule> = {}): ReductionSchedule {
  const base: ReductionSchedule = profile === 'cpu' ? { target: 256, splitPlane: false, wg: 64 } : { target: GPU_MIN_INVOCATIONS, splitPlane: true, wg: gpuWorkgroup(target) };
  const t = { ...base, ...fixed };
  return { ...t, wg: profileWorkgroup(t.wg, profile, target) };
}

/**
 * Invocations per weight-gradient vec4 for conv_dw_reduce under the gpu profile: doubled while the
 * reduction has fewer than GPU_MIN_INVOCATIONS invocations, every lane still has a chunk to add,
 * and the lanes fit the workgroup. A large gradient (or one of few chunks) keeps one: its sums are
 * short or its invocations many already.
 */
export function dwReduceLanes(size4: number, chunks: number, wg: number): number {
  let lanes = 1;
  while (size4 * lanes < GPU_MIN_INVOCATIONS && lanes * 2 <= chunks && lanes * 2 <= wg && wg % (lanes * 2) === 0) lanes *= 2;
  return lanes;
}

/** Every schedule worth timing (for a tuner): targets of 256 to 131,072 partial sums, with and without cut planes, workgroups of 64 and 256. */
export function reductionCandidates(target: ScheduleTarget): ReductionSchedule[] {
  const out: ReductionSchedule[] = [];
  for (const t of [256, 2048, GPU_MIN_INVOCATIONS, 131_072])
    for (const splitPlane of [false, true])
      for (const wg of [64, 256].filter((w) => w <= target.maxWorkgroupSize)) out.push({ target: t, splitPlane, wg });
  return out;
}
