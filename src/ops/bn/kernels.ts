// The batch norm's kernels of its own: its batch statistics in training, first the per-chunk
// partial sums (kernels/train/bn_stats.wgsl), then their merge into mean, variance, scale, shift
// and running statistics (kernels/train/bn_finalize.wgsl). Its part of the fused chain's kernels is
// codegen's (kernels/ewise.wgsl, kernels/train/chain_bwd*.wgsl). src/ops/index.ts hands the table
// to codegen (codegen/op-kernels.ts says what it asks).

import type { BnKernels, BnOffsets } from '../../codegen/op-kernels.js';
import type { ReductionSplit } from '../../codegen/schedule/reduction.js';
import { argF, argU, type DispatchLimits } from '../../codegen/kernels/common.js';
import { type BufView, build, buildPerChannel, chunkedReduction, finalizeSlots, type PlaneShape, type TrainKernel, argUnits, vecFor, reads, writes } from '../../codegen/kernels/train-common.js';

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
    { WG: r.wg, T },
    { ...r.flags, VEC4: vec === 4 },
    r.wg,
    r.workgroups,
    undefined,
    r.flags.SPLIT ? { ...args, UNIT_ELEMS: argF(vec) } : args,
  );
}

/** Merges the partial sums genBnStats wrote for `split`, `wg` invocations per workgroup. */
export function genBnFinalize(
  sh: PlaneShape,
  bufs: { part: number; params: number; state: number; running: number },
  off: BnOffsets,
  split: ReductionSplit,
  wg: number,
  o: { eps: number; momentum: number },
): TrainKernel {
  const plane = sh.h * sh.w;
  const count = sh.batch * plane;
  const cut = split.planeChunks > 1;
  return buildPerChannel(
    'train/bn_finalize',
    sh.c,
    [...finalizeSlots(bufs, 'write'), writes('run', bufs.running)],
    {
      NCH: argU(split.chunks),
      N: argU(sh.batch),
      IPC: argU(split.imagesPerChunk),
      PLANE_ELEMS: argF(plane),
      COUNT: argF(count),
      UNBIAS: argF(count > 1 ? count / (count - 1) : 1),
      EPS: argF(o.eps),
      MOMENTUM: argF(o.momentum),
      GAMMA_OFF: argU(off.gamma),
      BETA_OFF: argU(off.beta),
      ST_OFF: argU(off.stats),
      SC_OFF: argU(off.scale),
      SH_OFF: argU(off.shift),
      RM_OFF: argU(off.runningMean),
      RV_OFF: argU(off.runningVar),
      ...(cut ? { PCH: argU(split.planeChunks), PPC: argU(split.planePerChunk), PLANE: argU(plane) } : {}),
    },
    wg,
    { SPLIT: cut },
  );
}

export const bnKernels: BnKernels = { stats: genBnStats, finalize: genBnFinalize };
