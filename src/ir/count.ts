// Counting by the paper's conventions (docs/architecture.md, "Counting"): ReLUs are activation elements that pass
// through a ReLU; FLOPs are multiply-accumulates of convolutions (3x3 and 1x1 alike) and the fully
// connected layer; the stem is reported in the first stage.

import type { Shape } from './arch.js';
import type { ConvNode, GraphNode, LayerGraph } from './graph.js';
import type { Counts } from './node.js';
import { graphOp, inputShapes } from './node.js';
export type { Counts } from './node.js';

type ConvShape = Pick<ConvNode, 'outChannels' | 'kernel' | 'groups'> & { shape: Shape };

/**
 * Multiply-accumulates of one image through `conv`, whose input has `inC` channels: what every FLOPs
 * figure counts for a convolution (the kernels' dispatch loads count 2 FLOPs per multiply-add of
 * their batch).
 */
export function convMacs(conv: ConvShape, inC: number): number {
  return conv.outChannels * (inC / conv.groups) * conv.kernel * conv.kernel * conv.shape.h * conv.shape.w;
}

export interface StageCounts extends Counts {
  stage: string;
}

export interface GraphCounts {
  /** One row per stage in order, then `head` (the classifier). */
  rows: StageCounts[];
  total: Counts;
}

/**
 * ReLUs each masked (SNL) ReLU layer keeps, by layer name, as read from a trained mask. A masked
 * layer missing from it counts every candidate ReLU (an upper bound).
 */
export type KeptRelus = ReadonlyMap<string, number>;

export function nodeCounts(n: GraphNode, g: LayerGraph, kept?: KeptRelus): Counts {
  return graphOp(n).counts(n, inputShapes(n, (id) => g.nodes[id].shape), kept?.get(n.name));
}

/** The reporting row of a node: stem and input fold into the first stage. */
export function rowOf(n: GraphNode, g: LayerGraph): string {
  if (n.region === 'stem') return g.stages[0] ?? 'head';
  return n.region;
}

export function countGraph(g: LayerGraph, kept?: KeptRelus): GraphCounts {
  const rows = new Map<string, StageCounts>();
  for (const s of [...g.stages, 'head']) rows.set(s, { stage: s, relus: 0, flops: 0, params: 0 });
  const total: Counts = { relus: 0, flops: 0, params: 0 };
  for (const n of g.nodes) {
    const c = nodeCounts(n, g, kept);
    const row = rows.get(rowOf(n, g));
    if (!row) throw new Error(`counting: node ${n.name} is in unknown region ${n.region}`);
    row.relus += c.relus;
    row.flops += c.flops;
    row.params += c.params;
    total.relus += c.relus;
    total.flops += c.flops;
    total.params += c.params;
  }
  return { rows: [...rows.values()], total };
}

/** Per-stage ReLU share of the total, in percent (0 when there are no ReLUs). */
export function reluShares(counts: GraphCounts): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of counts.rows) {
    if (r.stage === 'head') continue;
    out.set(r.stage, counts.total.relus === 0 ? 0 : (100 * r.relus) / counts.total.relus);
  }
  return out;
}
