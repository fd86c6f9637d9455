// Backward of a chain with batch norm, second phase: d(gamma, beta) and the input-gradient coefficients.

import { f, u } from '../template.js';
import { buildPerChannel, finalizeSlots, type TrainKernel } from './train-common.js';

export function genChainBwdFinalize(
  name: string,
  c: number,
  count: number,
  bufs: { part: number; params: number; state: number; grads: number; coef: number },
  off: { gamma: number; dgamma: number; dbeta: number; stats: number },
  chunks: number,
): TrainKernel {
  return buildPerChannel(
    'train/chain_bwd_finalize',
    c,
    [
      ...finalizeSlots(bufs, 'read'),
      { name: 'grad', type: 'array<f32>', access: 'write', buffer: bufs.grads },
      { name: 'coef', type: 'array<vec4<f32>>', access: 'write', buffer: bufs.coef },
    ],
    {
      NCH: u(chunks),
      COUNT: f(count),
      GAMMA_OFF: u(off.gamma),
      DGAMMA_OFF: u(off.dgamma),
      DBETA_OFF: u(off.dbeta),
      ST_OFF: u(off.stats),
    },
  );
}
