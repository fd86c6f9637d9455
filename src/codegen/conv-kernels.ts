// The contract of the conv op's kernels. A conv heads a fused step (codegen/graph/fuse.ts): the
// inference and training emitters lay out its buffers, parameters and schedules, and the conv op's
// generators (src/ops/conv/kernels/) write its kernels: the forward conv, with a folded batch norm,
// a residual add and a ReLU range in its epilogue, and the input, weight and bias gradients.
// src/ops/index.ts hands them to codegen once (codegen/op-kernels.ts).

import type { ConvGeometry, ConvShape, ConvTile } from './conv-layout.js';
import type { DispatchLimits, GeneratedKernel, SlotAliases, ViewLayout } from './kernels/common.js';
import type { BufView, GradTarget, TrainKernel } from './kernels/train-common.js';
import type { ConvDwTiling } from './schedule/conv-dw.js';
import type { ConvDxSchedule } from './schedule/types.js';

/** A forward conv kernel: its shape, views, epilogue and schedule. */
export interface ConvKernelSpec extends ConvShape {
  name: string;
  input: ViewLayout;
  output: ViewLayout;
  residual?: ViewLayout;
  /** ReLU on output channels [start, end); absent: no ReLU. */
  relu?: { start: number; end: number };
  /** The schedule: register tile and workgroup (schedule/conv.ts chooses it). */
  tile: ConvTile;
  /**
   * Subgroup width to share weight loads across lanes (subgroupBroadcast); 0 or absent: no
   * subgroups. At most the device's smallest subgroup size (see kernelFeatures).
   */
  subgroupSize?: number;
  /** Read aligned input quads as vec4s where possible (default true). */
  vecInput?: boolean;
  /** Weights stored as f16 (the `shader-f16` feature), read into f32: accumulation stays f32. */
  f16Weights?: boolean;
}

/** Where a gradient kernel reads the packed weights, or adds into them: a buffer and a float offset. */
export interface WeightPlace {
  buffer: number;
  offset: number;
}

export interface ConvKernels {
  /** The forward conv (inference, and training's forward half with no epilogue). */
  forward(spec: ConvKernelSpec, alias: SlotAliases, limits: DispatchLimits): GeneratedKernel;
  /** dX from dy and the packed weights; `subgroupSize` > 0 shares the weight loads across a subgroup. */
  inputGradient(name: string, g: ConvGeometry, dy: BufView, dx: GradTarget, weights: WeightPlace, schedule: ConvDxSchedule, limits: DispatchLimits, subgroupSize: number): TrainKernel;
  /** dW in the packed layout, or with `tiling.chunks` > 1 its partial tiles (in `dst`, chunk-major). */
  weightGradient(name: string, g: ConvGeometry, x: BufView, dy: BufView, dst: { buffer: number; offset4: number }, tiling: ConvDwTiling, limits: DispatchLimits, subgroupSize: number): TrainKernel;
  /** The sum of dW's `chunks` partial tiles of `size4` vec4s each (in buffer `part`) into the gradient. */
  weightGradientSum(name: string, part: number, grad: { buffer: number; offset4: number }, size4: number, chunks: number, wg: number, limits: DispatchLimits, lanes: number): TrainKernel;
  /** The bias gradient: dy summed over the batch and the plane. */
  biasGradient(g: ConvGeometry, dy: BufView, grad: WeightPlace, limits: DispatchLimits): TrainKernel;
}
