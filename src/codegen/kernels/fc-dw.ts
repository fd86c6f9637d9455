// Fully connected backward, weight and bias gradients.

import { u } from '../template.js';
import { type DispatchLimits } from './common.js';
import { type BufView, build, type FcGeometry, grid, type TrainKernel, WG } from './train-common.js';

export function genFcDw(
  name: string,
  fc: FcGeometry,
  g: BufView,
  x: BufView,
  grad: { buffer: number; weight: number; bias: number },
  limits: DispatchLimits,
): TrainKernel {
  const vec = fc.inFeatures % 4 === 0 && x.offset % 4 === 0 && x.batchStride % 4 === 0 ? 4 : 1;
  const T = vec === 4 ? 'vec4<f32>' : 'f32';
  const inT = fc.inFeatures / vec;
  const total = fc.outFeatures * inT + fc.outFeatures;
  const [nx, , nz] = grid(total, WG, limits, name);
  const store = vec === 4 ? [0, 1, 2, 3].map((c) => `    grad[at + ${u(c)}] = acc.${'xyzw'[c]};`).join('\n') : '    grad[at] = acc;';
  return build(
    'train/fc_dw',
    [
      { name: 'g_in', type: 'array<f32>', access: 'read', buffer: g.buffer },
      { name: 'x_in', type: `array<${T}>`, access: 'read', buffer: x.buffer },
      { name: 'grad', type: 'array<f32>', access: 'write', buffer: grad.buffer },
    ],
    {
      IN: u(inT),
      OUT: u(fc.outFeatures),
      N: u(fc.batch),
      TOTAL: u(total),
      G_BS: u(g.batchStride),
      G_OFF: u(g.offset),
      X_BS: u(x.batchStride / vec),
      X_OFF: u(x.offset / vec),
      GW_OFF: u(grad.weight),
      GB_OFF: u(grad.bias),
      VEC: vec,
      STORE: store,
      NX: u(nx),
      WG,
      T,
    },
    {},
    WG,
    [nx, 1, nz],
  );
}
