// Folding inference batch norm into the convolution in front of it, for exports that want fewer
// nodes. Only a batch norm whose input is a convolution that nothing else reads can fold; the
// others (after a concatenation in ReLU-reuse units, say) stay batch-norm nodes.

import type { ConvNode, LayerGraph } from '../ir/graph.js';
import { nodeInputs } from '../ir/graph.js';
import { getWeight, type WeightTensor, type Weights } from '../weights/weights.js';

/** Batch-norm epsilon of hrn's inference (the layout table in src/weights/weights.ts states it). */
export const BN_EPSILON = 1e-5;

/** For each foldable batch-norm node id, the id of the convolution it folds into. */
export function foldableBatchNorms(graph: LayerGraph): Map<number, number> {
  const readers = new Map<number, number>();
  for (const n of graph.nodes) for (const i of nodeInputs(n)) readers.set(i, (readers.get(i) ?? 0) + 1);
  if (readers.has(graph.output)) readers.set(graph.output, readers.get(graph.output)! + 1);
  const out = new Map<number, number>();
  for (const n of graph.nodes) {
    if (n.op !== 'bn') continue;
    const src = graph.nodes[n.input];
    if (src.op === 'conv' && readers.get(src.id) === 1 && src.id !== graph.output) out.set(n.id, src.id);
  }
  return out;
}

/**
 * The weight and bias of `conv` with batch norm `bnName` folded in:
 * w' = w * gamma / sqrt(var + eps) per output channel, b' = beta + (b - mean) * gamma / sqrt(var + eps).
 */
export function foldedConv(conv: ConvNode, bnName: string, weights: Weights): { weight: WeightTensor; bias: WeightTensor } {
  const c = conv.outChannels;
  const w = weights.get(`${conv.name}.weight`);
  if (!w) throw new Error(`weights: missing tensor ${conv.name}.weight`);
  const gamma = getWeight(weights, `${bnName}.gamma`, c);
  const beta = getWeight(weights, `${bnName}.beta`, c);
  const mean = getWeight(weights, `${bnName}.running_mean`, c);
  const variance = getWeight(weights, `${bnName}.running_var`, c);
  const bias = conv.bias ? getWeight(weights, `${conv.name}.bias`, c) : new Float32Array(c);
  const per = w.data.length / c;
  const weight = new Float32Array(w.data.length);
  const shift = new Float32Array(c);
  for (let o = 0; o < c; o++) {
    const scale = gamma[o] / Math.sqrt(variance[o] + BN_EPSILON);
    for (let i = 0; i < per; i++) weight[o * per + i] = w.data[o * per + i] * scale;
    shift[o] = beta[o] + (bias[o] - mean[o]) * scale;
  }
  return { weight: { shape: [...w.shape], data: weight }, bias: { shape: [c], data: shift } };
}
