// Backward of a chain with batch norm, second phase: d(gamma, beta) and the input-gradient coefficients.

import { f, u } from '../template.js';
import { pow2AtLeast } from './common.js';
import { build, type TrainKernel, WG } from './train-common.js';

export function genChainBwdFinalize(
  name: string,
  c: number,
  count: number,
  bufs: { part: number; params: number; state: number; grads: number; coef: number },
  off: { gamma: number; dgamma: number; dbeta: number; stats: number },
  chunks: number,
): TrainKernel {
  const wg = Math.min(WG, Math.max(8, pow2AtLeast(c)));
  return build(
    'train/chain_bwd_finalize',
    [
      { name: 'part', type: 'array<vec2<f32>>', access: 'read', buffer: bufs.part },
      { name: 'prm', type: 'array<f32>', access: 'read', buffer: bufs.params },
      { name: 'st', type: 'array<f32>', access: 'read', buffer: bufs.state },
      { name: 'grad', type: 'array<f32>', access: 'write', buffer: bufs.grads },
      { name: 'coef', type: 'array<vec4<f32>>', access: 'write', buffer: bufs.coef },
    ],
    {
      C: u(c),
      NCH: u(chunks),
      COUNT: f(count),
      GAMMA_OFF: u(off.gamma),
      DGAMMA_OFF: u(off.dgamma),
      DBETA_OFF: u(off.dbeta),
      ST_OFF: u(off.stats),
      WG: wg,
    },
    {},
    wg,
    [Math.ceil(c / wg), 1, 1],
  );
}
