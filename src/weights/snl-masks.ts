// Counting what trained SNL masks keep. A mask entry keeps its ReLU when it is positive: the
// kernels clamp entries to [0, 1], and any effective m > 0 leaves m*relu(x) in the output, a
// nonlinearity that private inference must still evaluate with a garbled circuit. After
// binarization every entry is 0 or 1, and the count is the budget's.

import { maskName, type LayerGraph, type ReluNode } from '../ir/graph.js';
import type { Weights } from './weights.js';

/** The masked ReLU layers of a graph, in node order. */
export function maskedRelus(graph: LayerGraph): ReluNode[] {
  return graph.nodes.filter((n): n is ReluNode => n.op === 'relu' && n.mask !== undefined);
}

/**
 * ReLUs each masked layer keeps, by layer name: its positive mask entries (times the plane for a
 * per-channel mask). Throws when a mask tensor is missing; the caller checks the weights' shapes.
 */
export function keptRelus(graph: LayerGraph, weights: Weights): Map<string, number> {
  const out = new Map<string, number>();
  for (const n of maskedRelus(graph)) {
    const t = weights.get(maskName(n));
    if (t === undefined) throw new Error(`no mask tensor ${maskName(n)}`);
    let positive = 0;
    for (const v of t.data) if (v > 0) positive++;
    out.set(n.name, n.mask === 'pixel' ? positive : positive * n.shape.h * n.shape.w);
  }
  return out;
}

/** Whether every mask entry is exactly 0 or 1 (masks after SNL's binarization). */
export function masksBinary(graph: LayerGraph, weights: Weights): boolean {
  return maskedRelus(graph).every((n) => (weights.get(maskName(n))?.data ?? []).every((v) => v === 0 || v === 1));
}
