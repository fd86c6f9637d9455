// The training-level IR: the layer graph, the shared fusion, and what each training pass has built
// so far (buffers, kernels, dispatches). Every pass works on a fork of the previous pass's builder
// and storage, so the state it was given stays as it was (the passes are pure, as the graph passes
// are), and the printer (print.ts) shows each state as text for `--debug`.

import type { LayerGraph } from '../../ir/graph.js';
import type { LossSpec, SgdHyper } from '../kernels/index.js';
import { need, type GraphState } from '../graph/state.js';
import type { TrainBuilder } from './builder.js';
import type { TrainStep } from './forward.js';
import type { BnStore, ParamStore } from './params.js';
import type { TrainMemory, TrainPlan } from './types.js';
import type { ForwardValues, Gradients } from './values.js';

/** What a training step is compiled for, beyond the plan options the graph passes share. */
export interface TrainSettings {
  loss: LossSpec;
  sgd: SgdHyper;
  /** Which parameters get weight decay. */
  decay: (name: string) => boolean;
  bnMomentum: number;
}

/** The buffers the loss reads and writes. */
export interface LossBuffers {
  labels: number;
  teacher?: number;
  sums: number;
  uniform: number;
}

export interface TrainState extends GraphState {
  graph: LayerGraph;
  train: TrainSettings;
  /** `params`: the builder with the parameter and batch-norm buffers, and their layout. */
  builder?: TrainBuilder;
  store?: ParamStore;
  bn?: BnStore;
  /** `values`: the steps in the order they run (fused steps and concatenation copies) and their storage. */
  steps?: readonly TrainStep[];
  fwd?: ForwardValues;
  grads?: Gradients;
  /** `loss`: its buffers. */
  loss?: LossBuffers;
  /** `allocate`: where the buffers live in GPU memory. */
  memory?: TrainMemory;
  /** `program`: the step's plan, with the program the runtime runs. */
  trainPlan?: TrainPlan;
}

/** Copies of the state's builder and value storage for a pass to extend. */
export function fork(state: TrainState, pass: string): { b: TrainBuilder; fwd: ForwardValues; grads: Gradients } {
  const b = need(state, 'builder', pass).clone();
  return { b, fwd: need(state, 'fwd', pass).clone(b), grads: need(state, 'grads', pass).clone(b) };
}
