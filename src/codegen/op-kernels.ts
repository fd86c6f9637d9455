// The kernels of the ops that codegen fuses into its steps (fusion roles `conv` and `chain`) and
// that are the op's alone: the conv's (codegen/conv-kernels.ts says what they are), the batch
// norm's batch statistics and the ReLU's SNL-mask gradient. They are in the ops' folders of
// src/ops/ (kernels.ts), and src/ops/index.ts hands them over once (`defineOpKernels`). The fused
// elementwise chain's kernels (ewise, chain_bwd with its reduction and finalize) combine several
// ops, and are codegen's (kernels/).

import type { ConvKernels } from './conv-kernels.js';
import type { DispatchLimits } from './kernels/common.js';
import type { MaskView } from './kernels/chain-bwd.js';
import type { BufView, GradTarget, PlaneShape, TrainKernel } from './kernels/train-common.js';
import type { ReductionSplit } from './schedule/reduction.js';

/** Offsets (floats) of one batch norm's state: in the parameter, bn-state and running buffers. */
export interface BnOffsets {
  gamma: number;
  beta: number;
  /** (mean, inv_std) pairs. */
  stats: number;
  scale: number;
  shift: number;
  runningMean: number;
  runningVar: number;
}

export interface BnKernels {
  /** The batch statistics' partial sums of `split` (its reduction schedule's), `wg` invocations per workgroup, into buffer `part`. */
  stats(name: string, sh: PlaneShape, x: BufView, part: number, split: ReductionSplit, wg: number, limits: DispatchLimits): TrainKernel;
  /** Merges the partial sums `stats` wrote into mean, variance, scale, shift and the running statistics. */
  finalize(sh: PlaneShape, bufs: { part: number; params: number; state: number; running: number }, off: BnOffsets, split: ReductionSplit, wg: number, o: { eps: number; momentum: number }): TrainKernel;
}

export interface ReluMaskDmSpec {
  name: string;
  /** The activation's shape (all its channels; the mask covers [start, end)). */
  shape: PlaneShape;
  relu: { start: number; end: number };
  /** Gradient of the ReLU's output. */
  g: BufView;
  /** The ReLU's input. */
  v: BufView;
  /** The mask (its entries decide where the L1 penalty applies). */
  mask: Omit<MaskView, 'granularity'>;
  /** Where the mask's gradient goes. */
  dm: GradTarget & Pick<MaskView, 'granularity'>;
  /** The training step's uniform (learning rate, ..., the L1 weight, the frozen flag). */
  uniform: number;
}

export interface ReluKernels {
  /** The gradient of an SNL-masked ReLU's mask, with the L1 penalty's. */
  maskGradient(s: ReluMaskDmSpec, limits: DispatchLimits): TrainKernel;
}

/** The kernels of the fused ops that have kernels of their own, by op. */
export interface OpKernels {
  conv: ConvKernels;
  bn: BnKernels;
  relu: ReluKernels;
}

let defined: OpKernels | undefined;

/** Hands codegen the fused ops' kernels (src/ops/index.ts does, once). */
export function defineOpKernels(kernels: OpKernels): void {
  if (defined !== undefined && defined !== kernels) throw new Error("codegen: the fused ops' kernels are defined twice");
  defined = kernels;
}

/** Whether an op is one of the fused ops with kernels of their own. */
export function hasOpKernels(op: string): op is keyof OpKernels {
  return op === 'conv' || op === 'bn' || op === 'relu';
}

/** The kernels of a fused op. */
export function opKernels<K extends keyof OpKernels>(op: K): OpKernels[K] {
  if (defined === undefined) throw new Error(`codegen: the ${op} op's kernels are not defined (whatever starts a program imports src/ops/index.ts, which hands them over)`);
  return defined[op];
}
