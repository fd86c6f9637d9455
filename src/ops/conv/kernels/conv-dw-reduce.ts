// Sums the per-chunk partial weight gradients of conv-dw.ts: one kernel for every layer (sizes are
// dispatch arguments). With `lanes` above 1 (the gpu profile's choice for a small gradient of many
// chunks), several invocations share each gradient vec4 and a workgroup tree adds their sums
// (kernels/train/conv_dw_reduce_tree.wgsl).

import { argU, type DispatchLimits } from '../../../codegen/kernels/common.js';
import { build, grid, type TrainKernel, reads, writes } from '../../../codegen/kernels/train-common.js';

/**
 * Sums the weight-gradient chunks of genConvDw into the gradient buffer, `wg` invocations per
 * workgroup and `lanes` (a power of two dividing `wg`) per gradient vec4: its reduction schedule's.
 */
export function genConvDwReduce(
  name: string,
  part: number,
  grad: { buffer: number; offset4: number },
  size4: number,
  chunks: number,
  wg: number,
  limits: DispatchLimits,
  lanes = 1,
): TrainKernel {
  if (!(lanes >= 1 && wg % lanes === 0 && (lanes & (lanes - 1)) === 0)) throw new Error(`${name}: ${lanes} lanes per vec4 must be a power of two dividing the workgroup of ${wg}`);
  const [nx, , nz] = grid(size4, wg / lanes, limits, name);
  const tree = lanes > 1;
  return build(
    tree ? 'train/conv_dw_reduce_tree' : 'train/conv_dw_reduce',
    [reads('part', part, 'array<vec4<f32>>'), writes('grad', grad.buffer, 'array<vec4<f32>>')],
    tree ? { WG: wg, LANES: lanes } : { WG: wg },
    {},
    wg,
    [nx, 1, nz],
    undefined,
    { TOTAL: argU(size4), CHUNKS: argU(chunks), OUT_OFF: argU(grad.offset4), NX: argU(nx) },
  );
}
