// Batch-norm batch statistics, first phase: per-chunk partial sums.

import type { ReductionSplit } from '../schedule/reduction.js';
import { argF, type DispatchLimits, sumLanes } from './common.js';
import { type BufView, build, chunkedReduction, type PlaneShape, type TrainKernel, argUnits, vecFor, reads, writes } from './train-common.js';

/** The partial sums of `split` (its reduction schedule's), `wg` invocations per workgroup. */
export function genBnStats(name: string, sh: PlaneShape, x: BufView, part: number, split: ReductionSplit, wg: number, limits: DispatchLimits): TrainKernel {
  const plane = sh.h * sh.w;
  const vec = vecFor(plane, [x]);
  const T = vec === 4 ? 'vec4<f32>' : 'f32';
  const r = chunkedReduction(name, sh, vec, split, wg, limits);
  const args = { ...r.args, X_BS: argUnits(x.batchStride, vec, name), X_OFF: argUnits(x.offset, vec, name), PLANE_ELEMS: argF(plane) };
  return build(
    'train/bn_stats',
    [reads('x_in', x.buffer, `array<${T}>`), writes('part', part, 'array<vec2<f32>>')],
    { WG: r.wg, T, REDUCE_ACC: sumLanes(vec, 'acc'), REDUCE_Q: sumLanes(vec, 'q') },
    r.flags,
    r.wg,
    r.workgroups,
    undefined,
    r.flags.SPLIT ? { ...args, UNIT_ELEMS: argF(vec) } : args,
  );
}
