// Fully connected backward, input gradient.

import { u } from '../template.js';
import type { FcSchedule } from '../schedule/types.js';
import { type DispatchLimits } from './common.js';
import { type BufView, build, fcBackward, type FcGeometry, type GradTarget, type TrainKernel, reads, writes } from './train-common.js';

export function genFcDx(
  name: string,
  fc: FcGeometry,
  g: BufView,
  dx: GradTarget,
  weight: { buffer: number; offset: number },
  schedule: FcSchedule,
  limits: DispatchLimits,
): TrainKernel {
  const vec = fc.inFeatures % 4 === 0 && weight.offset % 4 === 0 && dx.offset % 4 === 0 && dx.batchStride % 4 === 0 ? 4 : 1;
  const k = fcBackward(name, fc, g, vec, (inT) => fc.batch * inT, schedule.wg, limits);
  return build(
    'train/fc_dx',
    [reads('g_in', g.buffer), reads('prm', weight.buffer, `array<${k.T}>`), writes('dx', dx.buffer, `array<${k.T}>`)],
    {
      ...k.values,
      W_OFF: u(weight.offset / vec),
      DX_BS: u(dx.batchStride / vec),
      DX_OFF: u(dx.offset / vec),
    },
    { ACC: dx.accumulate },
    schedule.wg,
    k.workgroups,
  );
}
