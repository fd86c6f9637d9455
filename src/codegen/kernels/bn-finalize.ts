// Batch-norm batch statistics, second phase: mean, variance, scale/shift and running statistics.

import { f, u } from '../template.js';
import type { ReductionSplit } from '../schedule/reduction.js';
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
      NCH: u(split.chunks),
      N: u(sh.batch),
      IPC: u(split.imagesPerChunk),
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
      ...(cut ? { PCH: u(split.planeChunks), PPC: u(split.planePerChunk), PLANE: u(plane) } : {}),
    },
    wg,
    { SPLIT: cut },
  );
}
