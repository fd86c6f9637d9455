// Runs a whole layer graph with the ops' references: the oracle for the WebGPU executor (inference)
// and, in training mode, for the training step's forward pass.

import type { LayerGraph } from '../ir/graph.js';
import { nodeInputs } from '../ir/graph.js';
import { getWeight, type Weights } from '../weights/weights.js';
import { referenceOp, type BnBatchStats } from './op.js';
import { tensor, type Tensor } from './tensor.js';

export interface RunOptions {
  /** Batch norm with batch statistics (training) or running statistics (inference). */
  training: boolean;
  /** Training only: update the running statistics in `weights` in place (default true). */
  updateRunningStats?: boolean;
  /** Running-statistics momentum, default 0.1. */
  momentum?: number;
}

/** Every node's output for a batch (index = node id), and in training the batch norms' statistics. */
export function runNodes(graph: LayerGraph, weights: Weights, input: Tensor, o: RunOptions): { acts: Tensor[]; bnStats: Map<number, BnBatchStats> } {
  const acts: Tensor[] = [];
  const ctx = {
    input,
    training: o.training,
    updateRunningStats: o.updateRunningStats ?? true,
    momentum: o.momentum ?? 0.1,
    bnStats: new Map<number, BnBatchStats>(),
    param: (name: string, size?: number) => getWeight(weights, name, size),
  };
  for (const node of graph.nodes) {
    const s = node.shape;
    const y = referenceOp(node).forward(node, nodeInputs(node).map((i) => acts[i]), ctx);
    if (y.c !== s.c || y.h !== s.h || y.w !== s.w) {
      throw new Error(`reference: ${node.name} produced ${y.c}x${y.h}x${y.w}, graph says ${s.c}x${s.h}x${s.w}`);
    }
    acts.push(y);
  }
  return { acts, bnStats: ctx.bnStats };
}

/** Every node's output for a batch (index = node id), inference semantics. */
export function runReferenceAll(graph: LayerGraph, weights: Weights, input: Float32Array, batch: number): Tensor[] {
  const s = graph.nodes[0].shape;
  return runNodes(graph, weights, tensor(batch, s.c, s.h, s.w, input), { training: false }).acts;
}

/** The graph's output (the logits, [batch, classes]) for an NCHW input batch. */
export function runReference(graph: LayerGraph, weights: Weights, input: Float32Array, batch: number): Float32Array {
  const inputNode = graph.nodes.find((n) => n.op === 'input');
  if (!inputNode) throw new Error(`reference: graph ${graph.name} has no input node`);
  const per = inputNode.shape.c * inputNode.shape.h * inputNode.shape.w;
  if (input.length !== per * batch) {
    throw new Error(`reference: input has ${input.length} values, batch ${batch} of ${inputNode.shape.c}x${inputNode.shape.h}x${inputNode.shape.w} needs ${per * batch}`);
  }
  return runReferenceAll(graph, weights, input, batch)[graph.output].data;
}
