// Folding inference batch norm into the convolution in front of it, for exports that want fewer
// nodes. Only a batch norm whose input is a convolution that nothing else reads can fold; the
// others (after a concatenation in ReLU-reuse units, say) stay batch-norm nodes.

import type { ConvNode, LayerGraph } from '../ir/graph.js';
import { nodeInputs } from '../ir/graph.js';
import { bnTensors, foldBn } from '../weights/bn-fold.js';
import { getWeight, type WeightTensor, type Weights } from '../weights/weights.js';

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

/** The weight and bias of `conv` with batch norm `bnName` folded in, as the inference kernels fold it. */
export function foldedConv(conv: ConvNode, bnName: string, weights: Weights): { weight: WeightTensor; bias: WeightTensor } {
  const c = conv.outChannels;
  const w = weights.get(`${conv.name}.weight`);
  if (!w) throw new Error(`weights: missing tensor ${conv.name}.weight`);
  const bias = conv.bias ? getWeight(weights, `${conv.name}.bias`, c) : undefined;
  const folded = foldBn(w.data, bias, c, bnTensors(weights, bnName, c));
  return { weight: { shape: [...w.shape], data: folded.weight }, bias: { shape: [c], data: folded.bias } };
}
