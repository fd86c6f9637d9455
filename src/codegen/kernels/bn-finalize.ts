// Batch-norm batch statistics, second phase: mean, variance, scale/shift and running statistics.

import type { ReductionSplit } from '../schedule/reduction.js';
import { argF, argU } from './common.js';
import { buildPerChannel, finalizeSlots, type PlaneShape, type TrainKernel, writes } from './train-common.js';

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
