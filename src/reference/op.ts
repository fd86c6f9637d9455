// The contract of an op's reference (src/ops/<op>/reference.ts): its forward pass in inference and
// training semantics, and its backward pass, on whole batches. The graph runners (run.ts,
// backward.ts) walk the nodes and hand each op what it reads through these contexts. The table of
// every op's reference is handed over by src/ops/reference.ts (`defineReferenceOps`), which the
// tests' setup imports.

import type { GraphNode, NodeOf, OpName } from '../ir/graph.js';
import { OpTable } from '../util/op-table.js';
import type { Tensor } from './tensor.js';

/** A batch norm's statistics of one training batch, which its backward pass reads. */
export interface BnBatchStats {
  /** Per-channel batch mean. */
  mean: Float64Array;
  /** Per-channel biased batch variance (divided by N*H*W), what training normalizes with. */
  variance: Float64Array;
  /** 1 / sqrt(variance + eps). */
  invStd: Float64Array;
  /** Elements per channel, N*H*W. */
  count: number;
}

/** What backward needs from forward: every node's output and the batch-norm statistics. */
export interface Tape {
  training: boolean;
  /** Output of node i. */
  acts: Tensor[];
  bnStats: Map<number, BnBatchStats>;
}

export interface ForwardContext {
  /** The batch the graph runs on. */
  input: Tensor;
  /** Batch norm with batch statistics (training) or running statistics (inference). */
  training: boolean;
  /** Training: whether batch norms update their running statistics in place, and by what momentum. */
  updateRunningStats: boolean;
  momentum: number;
  /** Training: where a batch norm records its batch statistics, by node id. */
  bnStats: Map<number, BnBatchStats>;
  /** The weight tensor `name`, checked to hold `size` values where given. */
  param(name: string, size?: number): Float32Array;
}

export interface BackwardContext {
  /** d loss / d the node's output. */
  dy: Tensor;
  /** The forward values of the node's inputs, in order. */
  x: Tensor[];
  tape: Tape;
  param(name: string): Float32Array;
  /** Records d loss / d the weight tensor `name`. */
  grad(name: string, g: Float32Array): void;
  /** Records d loss / d the graph's input batch. */
  inputGrad(d: Tensor): void;
}

export interface ReferenceOp<N extends { id: number }> {
  forward(n: N, x: Tensor[], ctx: ForwardContext): Tensor;
  /** d loss / d each input, in the order of the node's inputs. */
  backward(n: N, ctx: BackwardContext): Tensor[];
}

const REFERENCE_OPS = new OpTable<ReferenceOp<GraphNode>>('reference', 'references');

/** Hands the reference every op's (src/ops/reference.ts does, once). */
export function defineReferenceOps(ops: { [K in OpName]: ReferenceOp<NodeOf<K>> }): void {
  // Each entry is for the node type its key names, which a table over the union cannot show.
  REFERENCE_OPS.define(ops as unknown as Record<string, ReferenceOp<GraphNode>>);
}

/** The reference of a node's op. */
export function referenceOp<N extends GraphNode>(n: N): ReferenceOp<N> {
  return REFERENCE_OPS.get(n.op) as unknown as ReferenceOp<N>;
}
