// Convolution backward, bias gradient.

import { u } from '../../../codegen/template.js';
import { convBlocks, packedConvValues, type ConvGeometry } from '../../../codegen/conv-layout.js';
import { DEFAULT_DISPATCH_LIMITS, type DispatchLimits, fixedWorkgroup } from '../../../codegen/kernels/common.js';
import { type BufView, build, type TrainKernel, WG, reads, writes } from '../../../codegen/kernels/train-common.js';

/** Bias gradient of a convolution, written at its packed position (offset in floats). */
export function genConvDb(g: ConvGeometry, dy: BufView, grad: { buffer: number; offset: number }, limits: DispatchLimits = DEFAULT_DISPATCH_LIMITS): TrainKernel {
  const { cog } = convBlocks(g);
  const wg = fixedWorkgroup(WG, limits);
  return build(
    'train/conv_db',
    [reads('g_in', dy.buffer), writes('grad', grad.buffer)],
    {
      OC: u(g.outC),
      COG: u(cog),
      ...packedConvValues(g),
      OHW: u(g.outH * g.outW),
      N: u(g.batch),
      DY_BS: u(dy.batchStride),
      DY_OFF: u(dy.offset),
      GB_OFF: u(grad.offset),
      WG: wg,
    },
    {},
    wg,
    [Math.ceil(g.outC / wg), 1, 1],
  );
}
