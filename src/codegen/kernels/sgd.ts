// The optimizer: SGD with momentum (optionally Nesterov) and weight decay, one dispatch per parameter run.

import { f, u } from '../template.js';
import { type DispatchLimits, fixedWorkgroup } from './common.js';
import { build, grid, type TrainKernel, WG, reads, writes } from './train-common.js';

/** SGD's defaults everywhere in hrn: the GPU plan, the CPU reference and the `train` command. */
export const SGD_DEFAULTS = Object.freeze({ momentum: 0.9, weightDecay: 5e-4, nesterov: false });

export interface SgdHyper {
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
}

/** SGD over floats [offset, offset + length) of the flat buffers (both multiples of 4). */
export function genSgd(
  name: string,
  range: { offset: number; length: number },
  bufs: { params: number; grads: number; momentum: number; uniform: number },
  h: SgdHyper,
  limits: DispatchLimits,
): TrainKernel {
  if (range.offset % 4 !== 0 || range.length % 4 !== 0) throw new Error(`${name}: SGD range must be vec4-aligned`);
  const len = range.length / 4;
  const wg = fixedWorkgroup(WG, limits);
  const [nx, , nz] = grid(len, wg, limits, name);
  return build(
    'train/sgd',
    [writes('prm', bufs.params, 'array<vec4<f32>>'), reads('grad', bufs.grads, 'array<vec4<f32>>'), writes('mom', bufs.momentum, 'array<vec4<f32>>')],
    { OFF: u(range.offset / 4), LEN: u(len), WD: f(h.weightDecay), MOMENTUM: f(h.momentum), NX: u(nx), WG: wg },
    { NESTEROV: h.nesterov },
    wg,
    [nx, 1, nz],
    bufs.uniform,
  );
}
