// Global average pooling backward.

import { f, u } from '../template.js';
import { type DispatchLimits, fixedWorkgroup } from './common.js';
import { type BufView, build, type GradTarget, grid, type PlaneShape, type TrainKernel, tUnits, vecFor, WG, reads, writes } from './train-common.js';

export function genAvgPoolBwd(name: string, sh: PlaneShape, g: BufView, dx: GradTarget, limits: DispatchLimits): TrainKernel {
  const plane = sh.h * sh.w;
  const vec = vecFor(plane, [dx]);
  const T = vec === 4 ? 'vec4<f32>' : 'f32';
  const total = sh.batch * sh.c * (plane / vec);
  const wg = fixedWorkgroup(WG, limits);
  const [nx, , nz] = grid(total, wg, limits, name);
  return build(
    'train/avgpool_bwd',
    [reads('g_in', g.buffer), writes('dx', dx.buffer, `array<${T}>`)],
    {
      C: u(sh.c),
      PLANE: u(plane / vec),
      TOTAL: u(total),
      G_BS: u(g.batchStride),
      G_OFF: u(g.offset),
      DX_BS: tUnits(dx.batchStride, vec, name),
      DX_OFF: tUnits(dx.offset, vec, name),
      INV_HW: f(1 / plane),
      NX: u(nx),
      WG: wg,
      T,
    },
    { ACC: dx.accumulate },
    wg,
    [nx, 1, nz],
  );
}
