// Convolution backward, bias gradient.

import { u } from '../template.js';
import { convBlocks, type ConvGeometry } from '../conv-layout.js';
import { type BufView, build, type TrainKernel, WG, reads, writes } from './train-common.js';

/** Bias gradient of a convolution, written at its packed position (offset in floats). */
export function genConvDb(g: ConvGeometry, dy: BufView, grad: { buffer: number; offset: number }): TrainKernel {
  const { cog, obg } = convBlocks(g);
  return build(
    'train/conv_db',
    [reads('g_in', dy.buffer), writes('grad', grad.buffer)],
    {
      OC: u(g.outC),
      COG: u(cog),
      OCB: u(g.ocb),
      OBG: u(obg),
      OHW: u(g.outH * g.outW),
      N: u(g.batch),
      DY_BS: u(dy.batchStride),
      DY_OFF: u(dy.offset),
      GB_OFF: u(grad.offset),
      WG,
    },
    {},
    WG,
    [Math.ceil(g.outC / WG), 1, 1],
  );
}
