// Sums the per-chunk partial weight gradients of conv-dw.ts: one kernel for every layer (sizes are
// dispatch arguments).

import { argU, type DispatchLimits } from './common.js';
import { build, grid, type TrainKernel, reads, writes } from './train-common.js';

/** Sums the weight-gradient chunks of genConvDw into the gradient buffer, `wg` invocations per workgroup (its reduction schedule's). */
export function genConvDwReduce(
  name: string,
  part: number,
  grad: { buffer: number; offset4: number },
  size4: number,
  chunks: number,
  wg: number,
  limits: DispatchLimits,
): TrainKernel {
  const [nx, , nz] = grid(size4, wg, limits, name);
  return build(
    'train/conv_dw_reduce',
    [reads('part', part, 'array<vec4<f32>>'), writes('grad', grad.buffer, 'array<vec4<f32>>')],
    { WG: wg },
    {},
    wg,
    [nx, 1, nz],
    undefined,
    { TOTAL: argU(size4), CHUNKS: argU(chunks), OUT_OFF: argU(grad.offset4), NX: argU(nx) },
  );
}
