// The layer graph: what lowering produces and code generation consumes. Nodes are in topological
// order; each has a unique id and a stable `name` that also names its weights (e.g. `S2.b1.conv1`).
// Activations are C x H x W per image (the batch is a runtime dimension). Each op's node type and
// graph-level rules are in its folder of src/ops/ (graph.ts), which adds the type to `NodeTypes`
// (ir/node.ts); the names below are for the code that handles one op's nodes.

import type { GraphNode, NodeOf } from './node.js';

export { graphOp, inputShapes, nodeInputs, type GraphNode, type NodeBase, type NodeOf, type NodeSpec, type OpName, type Region } from './node.js';
export type InputNode = NodeOf<'input'>;
export type ConvNode = NodeOf<'conv'>;
export type BatchNormNode = NodeOf<'bn'>;
export type ReluNode = NodeOf<'relu'>;
export type AddNode = NodeOf<'add'>;
export type SliceNode = NodeOf<'slice'>;
export type ConcatNode = NodeOf<'concat'>;
export type AvgPoolNode = NodeOf<'avgpool'>;
export type MaxPoolNode = NodeOf<'maxpool'>;
export type FcNode = NodeOf<'fc'>;

/** The epsilon every batch norm adds to the variance (PyTorch's default), in training and inference. */
export const BN_EPS = 1e-5;

/** Entries of a masked ReLU's mask (0 for an unmasked one): SNL's mask is a tensor of the weights. */
export function maskLength(n: Pick<ReluNode, 'mask' | 'start' | 'end' | 'shape'>): number {
  if (n.mask === undefined) return 0;
  const c = n.end - n.start;
  return n.mask === 'pixel' ? c * n.shape.h * n.shape.w : c;
}

/** The weight name of a masked ReLU's mask tensor (`S1.b1.relu1.mask`). */
export function maskName(n: Pick<ReluNode, 'name'>): string {
  return `${n.name}.mask`;
}

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
