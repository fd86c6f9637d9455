// Convolution backward, input gradient, as an implicit matrix product with workgroup tiles
// (kernels/train/conv_dx_gemm.wgsl): the gpu profile's dX.

import { i, u } from '../../../codegen/template.js';
import { convBlocks, convDims, type ConvGeometry } from '../../../codegen/conv-layout.js';
import type { ConvDxSchedule } from '../../../codegen/schedule/types.js';
import { argU, type DispatchLimits } from '../../../codegen/kernels/common.js';
import { checkGemmTiles, gemmTiles } from '../../../codegen/schedule/gemm-tiles.js';
import { gemmTileValues } from './conv-gemm.js';
import { buildConvGrad } from './conv-grad.js';
import { type BufView, type GradTarget, type TrainKernel, reads, writes } from '../../../codegen/kernels/train-common.js';

/**
 * d input of a convolution as a product of [input channels] x [output channels x K x K] weights and
 * the dy values each tap reaches: 4 input channels x `schedule.pxb` input pixels per invocation,
 * `schedule.wg` invocations per workgroup (its `icb` is the 4 channels). `weights` is the parameter
 * buffer and the float offset of the packed weights in it.
 */
export function genConvDxGemm(name: string, g: ConvGeometry, dy: BufView, dx: GradTarget, weights: { buffer: number; offset: number }, schedule: ConvDxSchedule, limits: DispatchLimits): TrainKernel {
  const { cig, cog, kk } = convBlocks(g);
  const { ih, iw } = convDims(g);
  const tiles = gemmTiles(cig, schedule);
  checkGemmTiles(`${name}: dX`, tiles, schedule);
  const npix = g.batch * ih * iw;
  return buildConvGrad({
    template: 'train/conv_dx_gemm',
    name,
    g,
    slots: [reads('dy', dy.buffer), reads('wgt', weights.buffer), writes('dx', dx.buffer)],
    views: { DY: dy, DX: dx },
    dispatch: { wg: schedule.wg, tiles: Math.ceil(npix / tiles.tn), yBlocks: g.groups * Math.ceil(cig / tiles.tm) },
    limits,
    args: { W_OFF: argU(weights.offset) },
    values: {
      S: u(g.stride),
      PAD: i(g.pad),
      KSIZE: u(g.kernel),
      KK: u(kk),
      ...gemmTileValues(tiles, { rows: cig, columns: npix, terms: cog * kk }, schedule),
    },
    flags: { ACCUMULATE: dx.accumulate },
  });
}
