// Reference backward of every layer-graph op, plus the training-mode pieces the forward ops in
// ops.ts do not cover (batch norm with batch statistics and the running-statistics update), and a
// whole-graph forward/backward that ties them together. The oracle for the GPU training kernels:
// plain loops over NCHW float32 tensors, float64 accumulation, rounded once per output.
//
// Conventions (PyTorch's, so gradients compare one to one):
// - ReLU: the gradient at exactly 0 is 0.
// - Batch norm in training: normalizes with the biased batch variance (over N, H, W); the running
//   variance is updated with the unbiased one, running = (1 - momentum) * running + momentum * batch,
//   momentum 0.1.
// - Gradients of a value used twice (a residual shortcut) add up.

import { maskName, type GraphNode, type LayerGraph } from '../ir/graph.js';
import { maskedRelu, maskedReluBackward } from './masked-relu.js';
import { weightSpecs, type Weights } from '../weights/weights.js';
import {
  add,
  avgpool,
  maxpool,
  concat,
  conv2d,
  fc,
  reluRange,
  slice,
  tensor,
  type ConvParams,
  type Tensor,
} from './ops.js';
import { runReferenceAll } from './run.js';

import {
  avgpoolBackward,
  batchNormEvalBackward,
  batchNormTrain,
  batchNormTrainBackward,
  concatBackward,
  conv2dBackward,
  fcBackward,
  maxpoolBackward,
  reluRangeBackward,
  sameShape,
  sliceBackward,
  updateRunningStats,
  type BnBatchStats,
} from './backward-ops.js';

export * from './backward-ops.js';

export interface ForwardOptions {
  /** Batch norm with batch statistics (training) or running statistics (inference). */
  training: boolean;
  /** Training only: update the running statistics in `weights` in place (default true). */
  updateRunningStats?: boolean;
  /** Running-statistics momentum, default 0.1. */
  momentum?: number;
}

/** What backward needs from forward: every node's output and the batch-norm statistics. */
export interface Tape {
  training: boolean;
  /** Output of node i. */
  acts: Tensor[];
  bnStats: Map<number, BnBatchStats>;
}

function param(weights: Weights, name: string): Float32Array {
  const t = weights.get(name);
  if (!t) throw new Error(`reference: missing tensor ${name}`);
  return t.data;
}

function convParams(node: Extract<GraphNode, { op: 'conv' }>, weights: Weights): ConvParams {
  const p: ConvParams = {
    outChannels: node.outChannels,
    kernel: node.kernel,
    stride: node.stride,
    pad: node.pad,
    groups: node.groups,
    weight: param(weights, `${node.name}.weight`),
  };
  if (node.bias) p.bias = param(weights, `${node.name}.bias`);
  return p;
}

/**
 * Runs the graph on a batch, recording what backward needs. Logits are `tape.acts[graph.output]`.
 * Inference mode is run.ts's `runReferenceAll`; training mode differs only in batch norm.
 */
export function forwardGraph(graph: LayerGraph, weights: Weights, input: Tensor, o: ForwardOptions): Tape {
  const bnStats = new Map<number, BnBatchStats>();
  const first = graph.nodes[0];
  if (first && (input.c !== first.shape.c || input.h !== first.shape.h || input.w !== first.shape.w)) {
    throw new Error(`reference: input is ${input.c}x${input.h}x${input.w}, the graph wants ${first.shape.c}x${first.shape.h}x${first.shape.w}`);
  }
  if (!o.training) return { training: false, acts: runReferenceAll(graph, weights, input.data, input.n), bnStats };
  const acts: Tensor[] = [];
  for (const node of graph.nodes) {
    let y: Tensor;
    switch (node.op) {
      case 'input':
        y = input;
        break;
      case 'conv':
        y = conv2d(acts[node.input], convParams(node, weights));
        break;
      case 'bn': {
        const x = acts[node.input];
        const gamma = param(weights, `${node.name}.gamma`);
        const beta = param(weights, `${node.name}.beta`);
        const r = batchNormTrain(x, gamma, beta);
        y = r.y;
        bnStats.set(node.id, r.stats);
        if (o.updateRunningStats ?? true) {
          updateRunningStats(param(weights, `${node.name}.running_mean`), param(weights, `${node.name}.running_var`), r.stats, o.momentum ?? 0.1);
        }
        break;
      }
      case 'relu':
        y = node.mask === undefined
          ? reluRange(acts[node.input], node.start, node.end)
          : maskedRelu(acts[node.input], node.start, node.end, param(weights, maskName(node)), node.mask);
        break;
      case 'add':
        y = add(acts[node.inputs[0]], acts[node.inputs[1]]);
        break;
      case 'slice':
        y = slice(acts[node.input], node.start, node.end);
        break;
      case 'concat':
        y = concat(node.inputs.map((i) => acts[i]));
        break;
      case 'avgpool':
        y = avgpool(acts[node.input]);
        break;
      case 'maxpool':
        y = maxpool(acts[node.input], node.kernel, node.stride, node.pad);
        break;
      case 'fc':
        y = fc(acts[node.input], param(weights, `${node.name}.weight`), param(weights, `${node.name}.bias`), node.outFeatures);
        break;
    }
    acts.push(y);
  }
  return { training: o.training, acts, bnStats };
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
    switch (node.op) {
      case 'input':
        dInput = dy;
        break;
      case 'conv': {
        const x = tape.acts[node.input];
        const g = conv2dBackward(x, convParams(node, weights), dy);
        grads.set(`${node.name}.weight`, g.dw);
        if (node.bias) grads.set(`${node.name}.bias`, g.db);
        accumulate(node.input, g.dx);
        break;
      }
      case 'bn': {
        const x = tape.acts[node.input];
        const gamma = param(weights, `${node.name}.gamma`);
        const stats = tape.bnStats.get(id);
        const g = tape.training && stats
          ? batchNormTrainBackward(x, gamma, stats, dy)
          : batchNormEvalBackward(x, gamma, param(weights, `${node.name}.running_mean`), param(weights, `${node.name}.running_var`), dy);
        grads.set(`${node.name}.gamma`, g.dgamma);
        grads.set(`${node.name}.beta`, g.dbeta);
        accumulate(node.input, g.dx);
        break;
      }
      case 'relu': {
        if (node.mask === undefined) {
          accumulate(node.input, reluRangeBackward(tape.acts[node.input], dy, node.start, node.end));
          break;
        }
        const g = maskedReluBackward(tape.acts[node.input], dy, node.start, node.end, param(weights, maskName(node)), node.mask);
        grads.set(maskName(node), g.dm);
        accumulate(node.input, g.dx);
        break;
      }
      case 'add':
        accumulate(node.inputs[0], dy);
        accumulate(node.inputs[1], dy);
        break;
      case 'slice':
        accumulate(node.input, sliceBackward(dy, tape.acts[node.input].c, node.start));
        break;
      case 'concat': {
        const parts = concatBackward(dy, node.inputs.map((i) => tape.acts[i].c));
        node.inputs.forEach((i, k) => accumulate(i, parts[k]));
        break;
      }
      case 'avgpool': {
        const x = tape.acts[node.input];
        accumulate(node.input, avgpoolBackward(dy, x.h, x.w));
        break;
      }
      case 'maxpool':
        accumulate(node.input, maxpoolBackward(tape.acts[node.input], dy, node.kernel, node.stride, node.pad));
        break;
      case 'fc': {
        const x = tape.acts[node.input];
        const g = fcBackward(x, param(weights, `${node.name}.weight`), dy);
        grads.set(`${node.name}.weight`, g.dw);
        grads.set(`${node.name}.bias`, g.db);
        accumulate(node.input, g.dx);
        break;
      }
    }
  }
  // Parameters that do not reach the loss get zero gradients, so every trainable tensor has one.
  for (const spec of weightSpecs(graph)) {
    if (spec.trainable && !grads.has(spec.name)) grads.set(spec.name, new Float32Array(spec.shape.reduce((a, b) => a * b, 1)));
  }
  const inp = tape.acts[0];
  return { grads, dInput: dInput ?? tensor(inp.n, inp.c, inp.h, inp.w) };
}
