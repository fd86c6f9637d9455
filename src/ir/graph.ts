// The layer graph: what lowering produces and code generation consumes. Nodes are in topological
// order; each has a unique id and a stable `name` that also names its weights (e.g. `S2.b1.conv1`).
// Activations are C x H x W per image (the batch is a runtime dimension). Each op's node type and
// graph-level rules are in its folder of src/ops/; this module gathers them with the graph itself.

export type { Region, NodeBase } from './node.js';
export type { InputNode } from '../ops/input/graph.js';
export type { ConvNode } from '../ops/conv/graph.js';
export { BN_EPS, type BatchNormNode } from '../ops/bn/graph.js';
export { maskLength, maskName, type ReluNode } from '../ops/relu/graph.js';
export type { AddNode } from '../ops/add/graph.js';
export type { SliceNode } from '../ops/slice/graph.js';
export type { ConcatNode } from '../ops/concat/graph.js';
export type { AvgPoolNode } from '../ops/avgpool/graph.js';
export type { MaxPoolNode } from '../ops/maxpool/graph.js';
export type { FcNode } from '../ops/fc/graph.js';
export { nodeInputs, type GraphNode } from '../ops/graph.js';
import type { GraphNode } from '../ops/graph.js';

export interface LayerGraph {
  name: string;
  /** Nodes in topological order; `nodes[i].id === i`. */
  nodes: GraphNode[];
  /** Id of the node whose output is the logits. */
  output: number;
  /** Stage names in order, for tables. */
  stages: string[];
  classes: number;
}
