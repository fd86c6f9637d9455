// Fully connected backward, weight and bias gradients.

import { u } from '../template.js';
import type { FcSchedule } from '../schedule/types.js';
import { type DispatchLimits } from './common.js';
import { type BufView, build, fcBackward, type FcGeometry, type TrainKernel, reads, writes } from './train-common.js';

export function genFcDw(
  name: string,
  fc: FcGeometry,
  g: BufView,
  x: BufView,
  grad: { buffer: number; weight: number; bias: number },
  schedule: FcSchedule,
  limits: DispatchLimits,
): TrainKernel {
  const vec = fc.inFeatures % 4 === 0 && x.offset % 4 === 0 && x.batchStride % 4 === 0 ? 4 : 1;
  const k = fcBackward(name, fc, g, vec, (inT) => fc.outFeatures * inT + fc.outFeatures, schedule.wg, limits);
  const store = vec === 4 ? [0, 1, 2, 3].map((c) => `    {{grad}}[at + ${u(c)}] = acc.${'xyzw'[c]};`).join('\n') : '    {{grad}}[at] = acc;';
  return build(
    'train/fc_dw',
    [reads('g_in', g.buffer), reads('x_in', x.buffer, `array<${k.T}>`), writes('grad', grad.buffer)],
    {
      ...k.values,
      N: u(fc.batch),
      X_BS: u(x.batchStride / vec),
      X_OFF: u(x.offset / vec),
      GW_OFF: u(grad.weight),
      GB_OFF: u(grad.bias),
      VEC: vec,
      STORE: store,
    },
    {},
    schedule.wg,
    k.workgroups,
  );
}
