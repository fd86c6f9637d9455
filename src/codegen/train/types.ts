// The training plan's types: every buffer and every dispatch of one training step.

import type { Shape } from '../../ir/arch.js';
import type { GraphPassObserver } from '../../passes/framework.js';
import type { BindingType, BufView, LossSpec, SgdHyper, TrainBinding } from '../kernels/index.js';
import type { ParamLayout } from '../../program/param-layout.js';
import type { ParamEntry, Program, RunningEntry } from '../../program/types.js';
import type { CompiledKernel, PlanLimits, ScheduleOptions } from '../plan-types.js';
import type { DispatchSchedule, PlanProfile } from '../schedule/types.js';

export type { ParamEntry, ParamLayout, RunningEntry };

export interface TrainPlanOptions extends ScheduleOptions {
  /** Images per step; the plan is compiled for it. */
  batch: number;
  /** The device's fixed subgroup size (GpuContext.subgroupSize) for the forward convolutions; 0: none. */
  subgroupSize?: number;
  limits?: Partial<PlanLimits>;
  loss?: LossSpec;
  sgd?: Partial<SgdHyper> & {
    /** Which parameters get weight decay (default all, as src/train/sgd.ts). */
    decay?: (name: string) => boolean;
  };
  /** Running-statistics momentum (default 0.1, PyTorch's). */
  bnMomentum?: number;
  /**
   * Let transient buffers (activations, gradients, scratch) that are never live at the same time
   * share GPU memory (default true); false gives every buffer memory of its own.
   */
  reuse?: boolean;
  /** Sees the IR after every training pass (`--debug`). */
  observer?: GraphPassObserver;
}

export type TrainBufferKind =
  | 'params'
  | 'grads'
  | 'momentum'
  | 'running'
  | 'bnstate'
  | 'activation'
  | 'gradient'
  | 'input'
  | 'labels'
  | 'teacher'
  | 'scratch'
  | 'coef'
  | 'sums'
  | 'uniform'
  | 'args'
  | 'zeros';

export interface TrainBuffer {
  id: number;
  name: string;
  kind: TrainBufferKind;
  bytes: number;
  /** Contents uploaded once when the buffer is created (the dispatch arguments). */
  init?: Uint32Array<ArrayBuffer>;
}

export interface TrainPlanKernel extends CompiledKernel {
  /** Binding types, by binding number (the bind group layout). */
  layout: BindingType[];
}

export type TrainPhase = 'forward' | 'loss' | 'backward' | 'optimizer';

export interface TrainDispatch {
  index: number;
  kernel: number;
  phase: TrainPhase;
  /** What it computes, for messages and profiles (e.g. `S1.b1.conv1 dW`). */
  label: string;
  bindings: TrainBinding[];
  workgroups: [number, number, number];
  /** Floating-point operations (a multiply-add counts 2); 0 for memory-bound kernels. */
  flops: number;
}

/** A GPU buffer that one or more buffers of the plan live in, one after another within a step. */
export interface TrainAllocation {
  id: number;
  bytes: number;
  /** The buffers living here, in the order the step first uses them; each starts at byte 0. */
  buffers: number[];
}

/** Where the plan's buffers live in GPU memory (the training pass `allocate`). */
export interface TrainMemory {
  allocations: TrainAllocation[];
  /** Allocation of each buffer, by buffer id. */
  allocationOf: number[];
  /** Bytes of all allocations: the step's GPU memory. */
  bytes: number;
  /**
   * Bytes if each of these buffers had an allocation of its own (with sharing on, the plan has a few
   * more buffers than without: chain outputs recomputed in the backward half).
   */
  noReuseBytes: number;
}

/** Where a node's value and its gradient live (for tests and tools). */
export interface ValueInfo {
  node: string;
  shape: Shape;
  forward?: BufView;
  grad?: BufView;
}

/** The training plan as the training passes build it, before the `program` pass lowers it. */
export interface TrainPlanBody {
  graph: string;
  batch: number;
  classes: number;
  subgroupSize: number;
  loss: LossSpec;
  sgd: SgdHyper;
  bnMomentum: number;
  buffers: TrainBuffer[];
  params: ParamEntry[];
  /** Floats of the flat parameter / gradient / momentum buffers. */
  paramFloats: number;
  running: RunningEntry[];
  kernels: TrainPlanKernel[];
  dispatches: TrainDispatch[];
  /** Gradient buffers zeroed at the start of every step. */
  clears: number[];
  /** Where the buffers live: buffers never live at the same time may share an allocation. */
  memory: TrainMemory;
  input: { buffer: number; shape: Shape; elements: number };
  labels: number;
  teacher?: number;
  /** Running sums the loss kernel adds to: LOSS_SUMS order. */
  sums: number;
  uniform: number;
  output: { node: string; logits: BufView; classes: number };
  bufferIds: { params: number; grads: number; momentum: number; running: number };
  values: ValueInfo[];
  /** The schedule profile the kernels were shaped by. */
  profile: PlanProfile;
  /** The schedule of every dispatch of a scheduled kernel family (conv, conv dX and dW, fc, reductions, elementwise), by dispatch index. */
  schedules: DispatchSchedule[];
}

/** The training plan, with the program the runtime runs (src/codegen/program.ts). */
export interface TrainPlan extends TrainPlanBody {
  program: Program;
}

export const ALIGN = 64; // floats: 256 bytes, WebGPU's minStorageBufferOffsetAlignment
export const alignUp = (n: number, a = ALIGN) => Math.ceil(n / a) * a;
