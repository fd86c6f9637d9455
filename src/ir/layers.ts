// The per-layer table of `hrn stats --layers`: one row per linear layer (convolution, fully
// connected) or pooling, with the batch norm and the ReLU that follow it folded in, so that a row
// reads as the paper's layers do (conv-bn-relu). Every count of the graph lands in exactly one
// row: the rows of a stage add up to its per-stage figures.

import { nodeCounts, rowOf, type KeptRelus } from './count.js';
import { nodeInputs, type GraphNode, type LayerGraph } from './graph.js';
import { graphOp } from './node.js';

export interface LayerRow {
  /** The node that starts the row: `stem.conv1`, `S2.b1.shortcut.conv`, `head.fc`. */
  layer: string;
  /** The per-stage row it counts in (the stem in the first stage). */
  stage: string;
  /** What it computes: `conv7x7/2`, `conv3x3 g32`, `maxpool3x3/2`, `fc`, `relu`. */
  op: string;
  /** Output shape per image, CxHxW. */
  output: string;
  relus: number;
  flops: number;
  params: number;
  /** Percent of the network's ReLUs and FLOPs. */
  reluShare: number;
  flopsShare: number;
}

export function layerTable(g: LayerGraph, kept?: KeptRelus): LayerRow[] {
  const rows: LayerRow[] = [];
  /** The row each node's output belongs to, once known. */
  const rowOfNode = new Map<number, number>();
  const shape = (n: GraphNode) => `${n.shape.c}x${n.shape.h}x${n.shape.w}`;
  const open = (n: GraphNode): number => {
    rows.push({ layer: n.name, stage: rowOf(n, g), op: graphOp(n).layerRow?.(n) ?? n.op, output: shape(n), relus: 0, flops: 0, params: 0, reluShare: 0, flopsShare: 0 });
    return rows.length - 1;
  };
  // The row a value comes from: through batch norms, ReLUs and slices to their input, through an
  // add to its main path (the residual joins it), through a concat to its last part.
  const source = (id: number): number | undefined => {
    const known = rowOfNode.get(id);
    if (known !== undefined) return known;
    const n = g.nodes[id];
    const ins = nodeInputs(n);
    if (ins.length === 0) return undefined;
    return source(n.op === 'concat' ? ins[ins.length - 1] : ins[0]);
  };
  for (const n of g.nodes) {
    if (n.op === 'input') continue;
    const c = nodeCounts(n, g, kept);
    let row: number;
    if (graphOp(n).layerRow) {
      row = open(n);
    } else {
      const from = source(nodeInputs(n)[0]);
      // A ReLU or batch norm joins the layer it follows unless that layer counts in another stage
      // (pre-activation blocks start with the previous stage's output) or already has its ReLU.
      const joins = from !== undefined && rows[from].stage === rowOf(n, g) && !(n.op === 'relu' && rows[from].relus > 0);
      row = joins || (c.relus === 0 && c.params === 0 && from !== undefined) ? from! : open(n);
    }
    rowOfNode.set(n.id, row);
    rows[row].relus += c.relus;
    rows[row].flops += c.flops;
    rows[row].params += c.params;
  }
  const relus = rows.reduce((s, r) => s + r.relus, 0);
  const flops = rows.reduce((s, r) => s + r.flops, 0);
  for (const r of rows) {
    r.reluShare = relus === 0 ? 0 : (100 * r.relus) / relus;
    r.flopsShare = flops === 0 ? 0 : (100 * r.flops) / flops;
  }
  return rows;
}
