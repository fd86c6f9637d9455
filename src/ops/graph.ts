// The table of the layer graph's ops at the graph level: one entry per folder of src/ops/. Adding
// an op adds its folder, its node type to the GraphNode union and one line to the table here, and
// one line to each other table of this folder (reference.ts, export.ts, and kernels.ts for an op
// that is a step of its own).

import type { Shape } from '../ir/arch.js';
import type { GraphOp, SpecOf } from '../ir/node.js';
import { addGraph, type AddNode } from './add/graph.js';
import { avgpoolGraph, type AvgPoolNode } from './avgpool/graph.js';
import { bnGraph, type BatchNormNode } from './bn/graph.js';
import { concatGraph, type ConcatNode } from './concat/graph.js';
import { convGraph, type ConvNode } from './conv/graph.js';
import { fcGraph, type FcNode } from './fc/graph.js';
import { inputGraph, type InputNode } from './input/graph.js';
import { maxpoolGraph, type MaxPoolNode } from './maxpool/graph.js';
import { reluGraph, type ReluNode } from './relu/graph.js';
import { sliceGraph, type SliceNode } from './slice/graph.js';

export type GraphNode = InputNode | ConvNode | BatchNormNode | ReluNode | AddNode | SliceNode | ConcatNode | AvgPoolNode | MaxPoolNode | FcNode;

export type OpName = GraphNode['op'];
/** A node as lowering writes it, without the `id` and `shape` that the graph builder fills in. */
export type NodeSpec = GraphNode extends infer N ? (N extends GraphNode ? SpecOf<N> : never) : never;
/** The node type of one op. */
export type NodeOf<K extends OpName> = Extract<GraphNode, { op: K }>;

const GRAPH_OPS: { [K in OpName]: GraphOp<NodeOf<K>> } = {
  input: inputGraph,
  conv: convGraph,
  bn: bnGraph,
  relu: reluGraph,
  add: addGraph,
  slice: sliceGraph,
  concat: concatGraph,
  avgpool: avgpoolGraph,
  maxpool: maxpoolGraph,
  fc: fcGraph,
};

/** The graph-level definition of a node's op. */
export function graphOp<N extends Pick<GraphNode, 'op'>>(n: N): GraphOp<Extract<GraphNode, { op: N['op'] }>> {
  // The table's type pairs each op with its node type; TypeScript cannot follow that through a union.
  return GRAPH_OPS[n.op] as unknown as GraphOp<Extract<GraphNode, { op: N['op'] }>>;
}

/** The ids a node reads from. */
export function nodeInputs(n: GraphNode): number[] {
  return graphOp(n).inputs(n);
}

/** The shapes of a node's inputs, in order, as `shapeOf` gives them by id. */
export function inputShapes(n: NodeSpec, shapeOf: (id: number) => Shape): Shape[] {
  return graphOp(n).inputs(n).map(shapeOf);
}
