// Backward of a chain with batch norm, second phase: d(gamma, beta) and the input-gradient coefficients.

import { argF, argU } from './common.js';
import { buildPerChannel, finalizeSlots, type TrainKernel, writes } from './train-common.js';

export function genChainBwdFinalize(
  c: number,
  count: number,
  bufs: { part: number; params: number; state: number; grads: number; coef: number },
  off: { gamma: number; dgamma: number; dbeta: number; stats: number },
  chunks: number,
  wg: number,
): TrainKernel {
  return buildPerChannel(
    'train/chain_bwd_finalize',
    c,
    [
      ...finalizeSlots(bufs, 'read'),
      writes('grad', bufs.grads),
      writes('coef', bufs.coef, 'array<vec4<f32>>'),
    ],
    {
      NCH: argU(chunks),
      COUNT: argF(count),
      GAMMA_OFF: argU(off.gamma),
      DGAMMA_OFF: argU(off.dgamma),
      DBETA_OFF: argU(off.dbeta),
      ST_OFF: argU(off.stats),
    },
    wg,
  );
}
