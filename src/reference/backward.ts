// The reference's whole-graph forward (training or inference) and backward, which tie together the
// forward and backward passes of every op (src/ops/<op>/reference.ts). The oracle for the GPU
// training kernels: plain loops over NCHW float32 tensors, float64 accumulation, rounded once per output.
//
// Conventions (PyTorch's, so gradients compare one to one):
// - ReLU: the gradient at exactly 0 is 0.
// - Batch norm in training: normalizes with the biased batch variance (over N, H, W); the running
//   variance is updated with the unbiased one, running = (1 - momentum) * running + momentum * batch,
//   momentum 0.1.
// - Gradients of a value used twice (a residual shortcut) add up.

import { nodeInputs, type LayerGraph } from '../ir/graph.js';
import { getWeight, weightSpecs, type Weights } from '../weights/weights.js';
import { referenceOp, type Tape } from './op.js';
import { runNodes, type RunOptions } from './run.js';
import { sameShape, tensor, type Tensor } from './tensor.js';

export { sameShape };
export type { BnBatchStats } from './op.js';
export type { Tape };
export type ForwardOptions = RunOptions;

/** Runs the graph on a batch, recording what backward needs. Logits are `tape.acts[graph.output]`. */
export function forwardGraph(graph: LayerGraph, weights: Weights, input: Tensor, o: ForwardOptions): Tape {
  const first = graph.nodes[0];
  if (first && (input.c !== first.shape.c || input.h !== first.shape.h || input.w !== first.shape.w)) {
    throw new Error(`reference: input is ${input.c}x${input.h}x${input.w}, the graph wants ${first.shape.c}x${first.shape.h}x${first.shape.w}`);
  }
  return { training: o.training, ...runNodes(graph, weights, input, o) };
}

export interface GraphGradients {
  /** d loss / d tensor for every trainable tensor (named as in weights.ts). */
  grads: Map<string, Float32Array>;
  /** d loss / d input batch. */
  dInput: Tensor;
}

/**
 * Backpropagates `dLogits` (d loss / d logits, [batch, classes]) through the graph; `weights`
 * must be the weights the tape was recorded with (running statistics are not read in training mode).
 */
export function backwardGraph(graph: LayerGraph, weights: Weights, tape: Tape, dLogits: Tensor | ArrayLike<number>): GraphGradients {
  const out = tape.acts[graph.output];
  const dOut = 'data' in dLogits ? (dLogits as Tensor) : tensor(out.n, out.c, out.h, out.w, Float32Array.from(dLogits as ArrayLike<number>));
  sameShape(out, dOut, 'backward: d logits');
  const d: (Float64Array | undefined)[] = new Array(graph.nodes.length);
  const accumulate = (id: number, g: Tensor) => {
    const cur = d[id];
    if (!cur) d[id] = Float64Array.from(g.data);
    else for (let i = 0; i < cur.length; i++) cur[i] += g.data[i];
  };
  accumulate(graph.output, dOut);
  const grads = new Map<string, Float32Array>();
  let dInput: Tensor | undefined;
  for (let id = graph.nodes.length - 1; id >= 0; id--) {
    const node = graph.nodes[id];
    const acc = d[id];
    if (!acc) continue; // does not reach the loss
    const y = tape.acts[id];
    const dy = tensor(y.n, y.c, y.h, y.w, Float32Array.from(acc));
    d[id] = undefined;
    const inputs = nodeInputs(node);
    const dx = referenceOp(node).backward(node, {
      dy,
      x: inputs.map((i) => tape.acts[i]),
      tape,
      param: (name) => getWeight(weights, name),
      grad: (name, g) => grads.set(name, g),
      inputGrad: (g) => (dInput = g),
    });
    inputs.forEach((i, k) => accumulate(i, dx[k]));
  }
  // Parameters that do not reach the loss get zero gradients, so every trainable tensor has one.
  for (const spec of weightSpecs(graph)) {
    if (spec.trainable && !grads.has(spec.name)) grads.set(spec.name, new Float32Array(spec.shape.reduce((a, b) => a * b, 1)));
  }
  const inp = tape.acts[0];
  return { grads, dInput: dInput ?? tensor(inp.n, inp.c, inp.h, inp.w) };
}
