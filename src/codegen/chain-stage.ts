// The contract of an op that fuses into an elementwise chain (fusion role `chain`: batch norm, add,
// ReLU; codegen/graph/fuse.ts groups them). A chain is one elementwise kernel forward and one
// backward (kernels/ewise.wgsl, kernels/train/chain_bwd.wgsl), composed of its ops' parts: each
// op's arithmetic is its file kernels/chain/<op>.wgsl, and what that reads is its part
// (kernels/chain-parts.ts). What else an op brings is its own too: the parameter buffers the
// kernels bind for it, and the dispatches it needs around the chain (a batch norm's batch
// statistics and its d(gamma, beta), an SNL mask's gradient). Each such op's folder of src/ops/
// defines this in its kernels.ts, and the emitters call it for every node of a chain, in the
// chain's order forward and in reverse backward.

import type { NodeOf, OpName } from '../ir/graph.js';
import type { ChainKernelPart } from './kernels/chain-parts.js';
import type { ViewLayout } from './kernels/common.js';
import type { BufView, GradTarget, PlaneShape } from './kernels/train-common.js';
import type { ParamSource } from './plan-types.js';
import type { SlotRange, TrainBuilder } from './train/builder.js';
import type { BnStore, ParamStore } from './train/params.js';

/** A chain's node in the inference plan (codegen/graph/emit.ts). */
export interface ChainInferenceStage<N> {
  node: N;
  /** The chain's values' shape (every value of a chain has its first operand's). */
  shape: PlaneShape;
  /** Adds a parameter buffer that the runtime fills from the weights as `param` says. */
  paramBuffer(name: string, bytes: number, param: ParamSource): number;
}

/** A chain's node in a training step. */
export interface ChainTrainStage<N> {
  node: N;
  shape: PlaneShape;
  b: TrainBuilder;
  store: ParamStore;
  bn: BnStore;
}

/** The forward half, before the chain's elementwise kernel runs (codegen/train/forward.ts). */
export interface ChainTrainForward<N> extends ChainTrainStage<N> {
  /** The chain's first operand (an op that reads its input first, batch norm, is first: fuse.ts). */
  x: BufView;
  bnMomentum: number;
}

/** The backward half, before the chain's gradient kernel runs (codegen/train/backward.ts). */
export interface ChainTrainBackward<N> extends ChainTrainStage<N> {
  /** The chain's node names, `bn + add + relu`, which its dispatches' labels start with. */
  names: string;
  /** The gradient of the chain's output. */
  g: BufView;
  /** The chain's output as the backward half reads it (an op whose gradient follows its sign). */
  output(): BufView;
  /**
   * The parts of the ops after this one in the chain's gradient kernel: what the gradient that
   * reaches the op went through (a batch norm's gradient sums take them: chain-parts.ts).
   */
  after: readonly ChainKernelPart[];
  /**
   * The chain's first operand as the backward half reads it. Read only what is needed: a value
   * the backward half recomputes is recomputed when first read (codegen/train/recompute.ts).
   */
  input(): BufView;
  /** The training step's uniform (learning rate, SNL's L1 weight and frozen flag). */
  uniform: number;
  /** Whether the chain's first operand gets a gradient (the gradient kernel writes it). */
  inputGradient: boolean;
  /** Where an add's other operand's gradient goes, if it needs one (called once, by the add). */
  otherGradient(): GradTarget | undefined;
  /** The chain's add has the same value on both sides. */
  doubled: boolean;
}

/** A chain's node in a forward kernel, inference's or training's. */
export interface ChainForwardPart<N> {
  node: N;
  /** An add's other operand (the first again for an add of a value with itself). */
  other: ViewLayout | undefined;
}

/**
 * Where an op may stand in a chain (codegen/graph/fuse.ts): `first` only at its start (a batch
 * norm: its statistics read the chain's input); `join` anywhere, bringing the chain's second
 * operand (an add: one per chain); `last` only at its end (a ReLU: its gradient reads the chain's
 * output); `alone` in a chain of its own (an SNL-masked ReLU: its mask's gradient reads its input).
 */
export type ChainPlace = 'first' | 'join' | 'last' | 'alone';

export interface ChainStageKernels<N> {
  chainPlace(node: N): ChainPlace;
  /** The op's part in the chain's forward kernel (none: it has no work there, as a ReLU on no channels). */
  forwardPart(s: ChainForwardPart<N>): ChainKernelPart | undefined;
  /** The parameter buffers the inference kernel binds for the op, by slot name. */
  inferenceBuffers?(s: ChainInferenceStage<N>): Record<string, number>;
  /** The ranges the training step's elementwise kernel binds for the op, by slot name. */
  trainBuffers?(s: ChainTrainStage<N>): Record<string, SlotRange>;
  /** Dispatches the forward half runs before the chain's kernel. */
  trainForward?(s: ChainTrainForward<N>): void;
  /** Dispatches the backward half runs before the chain's gradient kernel, and the op's part in that kernel. */
  trainBackward(s: ChainTrainBackward<N>): ChainKernelPart | undefined;
  /** Whether what the backward half runs for the op reads the chain's first operand (so it is kept, or recomputed). */
  backwardReadsInput?(node: N): boolean;
  /** Whether the op's part in the gradient kernel reads the chain's output (so it is kept, or recomputed). */
  backwardReadsOutput?(node: N): boolean;
}

/**
 * The ops that fuse into chains. Empty here: each such op's kernels.ts adds its name
 * (`declare module '../../codegen/chain-stage.js' { interface ChainOps { bn: true } }`).
 */
export interface ChainOps {}

export type ChainOp = keyof ChainOps & OpName;

/** The chain ops' definitions, by name. */
export type ChainStages = { [K in ChainOp]: ChainStageKernels<NodeOf<K>> };
