// Fully connected backward, input gradient.

import { u } from '../template.js';
import { type DispatchLimits } from './common.js';
import { type BufView, build, type FcGeometry, type GradTarget, grid, type TrainKernel, WG } from './train-common.js';

export function genFcDx(
  name: string,
  fc: FcGeometry,
  g: BufView,
  dx: GradTarget,
  weight: { buffer: number; offset: number },
  limits: DispatchLimits,
): TrainKernel {
  const vec = fc.inFeatures % 4 === 0 && weight.offset % 4 === 0 && dx.offset % 4 === 0 && dx.batchStride % 4 === 0 ? 4 : 1;
  const T = vec === 4 ? 'vec4<f32>' : 'f32';
  const inT = fc.inFeatures / vec;
  const total = fc.batch * inT;
  const [nx, , nz] = grid(total, WG, limits, name);
  return build(
    'train/fc_dx',
    [
      { name: 'g_in', type: 'array<f32>', access: 'read', buffer: g.buffer },
      { name: 'prm', type: `array<${T}>`, access: 'read', buffer: weight.buffer },
      { name: 'dx', type: `array<${T}>`, access: 'write', buffer: dx.buffer },
    ],
    {
      IN: u(inT),
      OUT: u(fc.outFeatures),
      TOTAL: u(total),
      G_BS: u(g.batchStride),
      G_OFF: u(g.offset),
      W_OFF: u(weight.offset / vec),
      DX_BS: u(dx.batchStride / vec),
      DX_OFF: u(dx.offset / vec),
      NX: u(nx),
      WG,
      T,
    },
    { ACC: dx.accumulate },
    WG,
    [nx, 1, nz],
  );
}
