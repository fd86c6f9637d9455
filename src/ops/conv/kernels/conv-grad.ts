// What the convolution gradient kernels (dX: kernels/train/conv_dx.wgsl and, under the gpu profile,
// kernels/train/conv_dx_gemm.wgsl; dW: kernels/train/conv_dw.wgsl) are specialized on alike: the
// planes, the two views they read or write, the channel blocks of the packed layout, the subgroup
// width and the workgroup.

import { type TemplateValues, u } from '../../../codegen/template.js';
import { convBlocks, convDims, packedConvValues, planeValues, type ConvGeometry } from '../../../codegen/conv-layout.js';
import { DeviceLimitError } from '../../../codegen/device-limits.js';
import { type DispatchLimits, type KernelArgs, splitTiles, kernelFeatures, viewValues } from '../../../codegen/kernels/common.js';
import { type BufView, build, type SlotDef, type TrainKernel } from '../../../codegen/kernels/train-common.js';

export interface ConvGradKernel {
  template: 'train/conv_dx' | 'train/conv_dx_gemm' | 'train/conv_dw';
  /** The step's name, for errors. */
  name: string;
  g: ConvGeometry;
  slots: SlotDef[];
  /** Template prefix -> view (`<PREFIX>_BS`, `<PREFIX>_OFF`). */
  views: Record<string, BufView>;
  /** The subgroup width the kernel shares loads within (0: none); absent for a kernel with no subgroup form. */
  subgroupSize?: number;
  /** Invocations per workgroup; workgroups of spatial tiles (split over x and z) and of channel blocks (y). */
  dispatch: { wg: number; tiles: number; yBlocks: number };
  limits: DispatchLimits;
  /** The kernel's own values (tiles, the tables its body walks). */
  values: TemplateValues;
  /** Scalars passed per dispatch (args.NAME) instead of baked in, so that layers can share the kernel. */
  args?: KernelArgs;
  /** The template's `//#if` flags. */
  flags?: Record<string, boolean>;
}

export function buildConvGrad(k: ConvGradKernel): TrainKernel {
  const { cig, cog, obg } = convBlocks(k.g);
  const { wg, tiles, yBlocks } = k.dispatch;
  if (yBlocks > k.limits.maxComputeWorkgroupsPerDimension) {
    throw new DeviceLimitError(`${k.name}: ${k.g.inC} input channels need ${yBlocks} workgroups along y, above the device's maxComputeWorkgroupsPerDimension (${k.limits.maxComputeWorkgroupsPerDimension})`);
  }
  const { nx, nz } = splitTiles(tiles, k.limits, k.name);
  const features = k.subgroupSize === undefined ? undefined : kernelFeatures(k.subgroupSize);
  const views = Object.entries(k.views).map(([prefix, v]) => viewValues(k.name, prefix, v));
  return build(
    k.template,
    k.slots,
    {
      ...planeValues(convDims(k.g)),
      ...Object.assign({}, ...views),
      CIG: u(cig),
      COG: u(cog),
      OCB: u(k.g.ocb),
      OBG: u(obg),
      ...packedConvValues(k.g),
      NX: u(nx),
      WG: wg,
      ...features?.values,
      ...k.values,
    },
    { ...features?.flags, ...k.flags },
    wg,
    [nx, yBlocks, nz],
    undefined,
    k.args,
  );
}
