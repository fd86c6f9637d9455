// The graph-level IR: a layer graph and what each graph pass has decided about it so far. Every
// pass fills in one more field and hands back a new state; the printer (print.ts) shows all of
// them, so `--debug` prints the IR after each pass and `--debug=diff` shows what the pass added.

import type { ArchIR } from '../../ir/arch.js';
import type { ConcatNode, ConvNode, GraphNode, LayerGraph } from '../../ir/graph.js';
import type { Program } from '../../program/types.js';
import type { PlanBody, PlanBuffer, PlanLimits } from '../plan-types.js';
import type { ScheduleSettings } from '../schedule/scheduler.js';
import type { OwnStepOp } from '../step-op.js';

/** Plan options with every default filled in. */
export interface GraphPassOptions {
  batch: number;
  subgroupSize: number;
  limits: PlanLimits;
  /** Share activation buffers between values never live together. */
  reuse: boolean;
  /** Fuse conv/bn/add/relu chains; false runs every op as its own kernel. */
  fuse: boolean;
  /**
   * Fold a conv's following bn / residual add / ReLU into the conv kernel (inference). Training keeps
   * the conv alone, because its bn needs batch statistics of the conv's output.
   */
  convEpilogue: boolean;
  /** Compute softmax probabilities and argmax classes of the output. */
  head: boolean;
  /** Store conv and fc weights as f16 (inference; needs the device's `shader-f16`). */
  f16Weights: boolean;
  /** The schedule profile and overrides. */
  schedule: ScheduleSettings;
}

export interface ReluRange {
  start: number;
  end: number;
  /** SNL's partial ReLU (ReluNode.mask): only on a standalone ReLU chain. */
  mask?: 'pixel' | 'channel';
}

/** A conv, with a bn, a residual add and a ReLU range folded into its epilogue (inference). */
export interface ConvStep {
  kind: 'conv';
  /** The node whose value the step materializes (the chain's last node). */
  anchor: number;
  /** The graph nodes the step computes, in order. */
  nodes: number[];
  conv: ConvNode;
  bn?: number;
  residual?: number;
  relu?: ReluRange;
}

/**
 * An elementwise chain ([bn] [add] [relu], as its ops' places allow: codegen/chain-stage.ts) that
 * does not start at a conv: its nodes, in order, and its operands. Each node's part in the chain's
 * kernels is its op's.
 */
export interface ChainStep {
  kind: 'chain';
  anchor: number;
  nodes: number[];
  /** The chain's first operand (the bn's input, the add's first input, or the ReLU's input). */
  a: number;
  /** The add's other operand (absent for an add of a value with itself: see `doubled`). */
  b?: number;
  /** An add with the same value on both sides. */
  doubled: boolean;
}

/** A step of an op whose fusion role is `own`: its kernels are in its folder of src/ops/ (kernels.ts). */
export interface SimpleStep {
  kind: OwnStepOp;
  anchor: number;
  nodes: number[];
  input: number;
}

/** A copy of one value into a concatenation (or the output) at a channel offset. */
export interface CopyStep {
  kind: 'copy';
  /** The concat (or output) value whose storage receives the copy. */
  anchor: number;
  nodes: number[];
  src: number;
  dst: number;
  offset: number;
}

export type FusedStep = ConvStep | ChainStep | SimpleStep;
export type Step = FusedStep | CopyStep;

export interface Fusion {
  /** In the order they run: by anchor. */
  steps: FusedStep[];
  /** Nodes computed inside another node's step. */
  absorbed: ReadonlySet<number>;
  /** The step that materializes each node it anchors. */
  producedBy: ReadonlyMap<number, FusedStep>;
}

/** Where every materialized value lives: a channel range of a root value's storage. */
export interface Placement {
  /** Values written straight into a concatenation at a channel offset. */
  placed: ReadonlyMap<number, { parent: number; offset: number }>;
  copies: CopyStep[];
  /** The value holding the output: the graph's output, or a dense copy of it (`synthetic`). */
  outputValue: number;
  /** A one-input concat numbered after the graph's nodes, when the output must be copied. */
  synthetic?: ConcatNode;
  /** Value id -> root value and first channel within it. */
  views: ReadonlyMap<number, { root: number; chan: number }>;
  /** Fused steps and copies in dispatch order. */
  order: Step[];
}

/** A root value: one with storage of its own (its node's full C x H x W per image). */
export interface Root {
  id: number;
  node: GraphNode;
  c: number;
  plane: number;
  bytes: number;
  kind: 'input' | 'activation' | 'output';
  /** Index in `Placement.order` of the first step writing it. */
  firstWrite: number;
  /** Index in `Placement.order` of the last step reading it (-1: never read). */
  lastRead: number;
}

export interface Liveness {
  roots: ReadonlyMap<number, Root>;
}

export interface Allocation {
  /** Input, output and activation buffers (parameter buffers come with the kernels). */
  buffers: PlanBuffer[];
  /** Root value id -> buffer id. */
  bufferOf: ReadonlyMap<number, number>;
  /** Activation bytes if every root had a buffer of its own. */
  noReuseBytes: number;
}

export interface GraphState {
  options: GraphPassOptions;
  /** The network being compiled, when compilation started from the architecture. */
  arch?: ArchIR;
  graph?: LayerGraph;
  fusion?: Fusion;
  placement?: Placement;
  liveness?: Liveness;
  allocation?: Allocation;
  plan?: PlanBody;
  /** `program`: what the runtime runs. */
  program?: Program;
}

/** A field a pass (graph or training) needs from an earlier pass, or an internal error naming both. */
export function need<S extends GraphState, K extends keyof S>(state: S, key: K, pass: string): NonNullable<S[K]> {
  const v = state[key];
  if (v === undefined) throw new Error(`graph pass ${pass}: no ${String(key)} yet (a pass that provides it must run first)`);
  return v as NonNullable<S[K]>;
}

/** The node of a value id, the synthetic output copy included. */
export function nodeOf(graph: LayerGraph, placement: Pick<Placement, 'synthetic'>, id: number): GraphNode {
  if (id < graph.nodes.length) return graph.nodes[id];
  if (placement.synthetic !== undefined && placement.synthetic.id === id) return placement.synthetic;
  throw new Error(`graph passes: no value ${id} (internal error)`);
}
