// The contract of an op that is a step of its own (fusion role `own`: pooling, fc): its kernels
// are in its folder of src/ops/ (kernels.ts), and the inference plan's emitter and the training
// step's forward and backward halves hand it what it needs through these contexts. src/ops/index.ts
// hands codegen the table of those kernels (`defineStepKernels`).

import type { Shape } from '../ir/arch.js';
import type { GraphNode, NodeOf, OpName } from '../ir/graph.js';
import { OpTable } from '../util/op-table.js';
import type { BufView, DispatchLimits, GeneratedKernel, SlotAliases, ViewLayout } from './kernels/index.js';
import type { ParamSource } from './plan-types.js';
import type { Scheduler, ScheduleRecord } from './schedule/scheduler.js';
import type { TrainBuilder } from './train/builder.js';
import type { ParamStore } from './train/params.js';
import type { ForwardValues, Gradients } from './train/values.js';

/** One step of the inference plan (codegen/graph/emit.ts). */
export interface InferenceStep<N> {
  node: N;
  /** The dispatch's label: the step's node names. */
  label: string;
  batch: number;
  /** The step's input, per image. */
  inShape: Shape;
  /** Where the input and output live in their buffers, and which slots share a binding. */
  io: { input: ViewLayout; output: ViewLayout };
  alias: SlotAliases;
  /** The buffers of the input (`x_in`) and output (`y_out`). */
  buffers: { x_in: number; y_out: number };
  dl: DispatchLimits;
  scheduler: Scheduler;
  /** Weights stored as f16 (`hrn infer --f16-weights`). */
  f16Weights: boolean;
  /** Adds a parameter buffer that the runtime fills from the weights as `param` says. */
  paramBuffer(name: string, bytes: number, param: ParamSource): number;
  /** Adds the dispatch of `gen`, its slots bound to these buffers. */
  emit(gen: GeneratedKernel, slots: Record<string, number>, flops: number, schedule?: ScheduleRecord): void;
}

/** The forward half of a training step (codegen/train/forward.ts). */
export interface TrainForwardStep<N> {
  node: N;
  b: TrainBuilder;
  store: ParamStore;
  /** The step's input and output values. */
  x: BufView;
  y: BufView;
}

/** The backward half of a training step (codegen/train/backward.ts). */
export interface TrainBackwardStep<N> {
  node: N;
  /** The step's input node. */
  input: number;
  b: TrainBuilder;
  /** The forward values the kernels read. */
  saved: Pick<ForwardValues, 'view'>;
  grads: Gradients;
  store: ParamStore;
}

export interface StepKernels<N> {
  inference(s: InferenceStep<N>): void;
  trainForward(s: TrainForwardStep<N>): void;
  trainBackward(s: TrainBackwardStep<N>): void;
  /** Whether the backward half reads the step's forward input (so it must be kept or recomputed). */
  backwardReadsInput: boolean;
}

/**
 * The ops that are steps of their own. Empty here: each such op's kernels.ts adds its name
 * (`declare module '../../codegen/step-op.js' { interface OwnStepOps { fc: true } }`).
 */
export interface OwnStepOps {}

export type OwnStepOp = keyof OwnStepOps & OpName;

const STEP_KERNELS = new OpTable<StepKernels<GraphNode>>('kernels of its own', 'kernels of their own');

/** Hands codegen the kernels of every op that is a step of its own (src/ops/index.ts does, once). */
export function defineStepKernels(kernels: { [K in OwnStepOp]: StepKernels<NodeOf<K>> }): void {
  // Each entry is for the node type its key names, which a table over the union cannot show.
  STEP_KERNELS.define(kernels as unknown as Record<string, StepKernels<GraphNode>>);
}

/** Whether a node's op has kernels of its own (its fusion role is `own`). */
export function hasStepKernels(n: GraphNode): n is NodeOf<OwnStepOp> {
  return STEP_KERNELS.has(n.op);
}

/** The kernels of an op that is a step of its own. */
export function stepKernels<N extends NodeOf<OwnStepOp>>(n: N): StepKernels<N> {
  return STEP_KERNELS.get(n.op) as unknown as StepKernels<N>;
}
