// What every node of the layer graph carries, and the contract of an op's graph-level definition
// (src/ops/<op>/graph.ts): its inputs, shape rule, counts, parameters and text. The definitions
// see only the node and the shapes of its inputs, never the whole graph, so that they depend on
// nothing but this module and the architecture's types.
//
// The IR imports no op's folder: each op's graph.ts adds its node type to `NodeTypes` below (a
// TypeScript module augmentation), and src/ops/index.ts hands this module the table of the
// definitions (`defineGraphOps`).

import { OpTable } from '../util/op-table.js';
import type { Shape } from './arch.js';

/**
 * The node type of each op, by op name. Empty here: each op's folder adds its own
 * (`declare module '../../ir/node.js' { interface NodeTypes { conv: ConvNode } }`).
 */
export interface NodeTypes {}

/** A node of the layer graph: one of the ops' node types. */
export type GraphNode = NodeTypes[keyof NodeTypes];
export type OpName = keyof NodeTypes;
/** The node type of one op. */
export type NodeOf<K extends OpName> = NodeTypes[K];

/** Which part of the network a node belongs to, for per-stage tables. */
export type Region = 'stem' | 'head' | string;

export interface NodeBase {
  id: number;
  name: string;
  /** `S1`..`Sn` for stage nodes; the stem is reported in `S1` by counting, but kept distinct here. */
  region: Region;
  /** Output shape, set by shape inference. */
  shape: Shape;
}

export interface Counts {
  relus: number;
  flops: number;
  params: number;
}

/** The role of a weight tensor in its node; the tensor is named `<node>.<role>`. */
export type WeightRole = 'weight' | 'bias' | 'gamma' | 'beta' | 'running_mean' | 'running_var' | 'mask';

/** A tensor a node needs, as its op defines it (weights/weights.ts names and checks them). */
export interface ParamSpec {
  role: WeightRole;
  shape: number[];
  /** True for learned parameters; false for batch-norm running statistics (buffers). */
  trainable: boolean;
}

/** A node as lowering writes it: the graph builder fills in `id` and `shape`. */
export type SpecOf<N extends NodeBase> = Omit<N, 'id' | 'shape'>;
/** A node as lowering writes it, of any op. */
export type NodeSpec = GraphNode extends infer N ? (N extends NodeBase ? SpecOf<N> : never) : never;

/** Reports a shape that lowering should never have built: a bug in hrn, named by the node. */
export type ShapeFailure = (why: string) => never;

/**
 * How code generation groups an op into kernels (codegen/graph/fuse.ts): `conv` starts a conv step
 * that may absorb the batch norm, residual add and ReLU after it; `chain` ops (batch norm, add,
 * ReLU) make one elementwise kernel together; `own` ops are a step of their own, whose kernels are
 * in the op's folder (kernels.ts); `placed` ops run no kernel: placement gives them storage (a
 * view, or the place their inputs are written to).
 */
export type FusionRole = 'conv' | 'chain' | 'own' | 'placed';

/** One op of the layer graph at the graph level. `inputs` below are the shapes of its inputs, in order. */
export interface GraphOp<N extends NodeBase> {
  /** The ids the node reads from, in order. */
  inputs(n: SpecOf<N>): number[];
  /** The output shape (per image) of a node with these input shapes. */
  infer(n: SpecOf<N>, inputs: Shape[], fail: ShapeFailure): Shape;
  /** ReLUs, FLOPs and parameters by the paper's conventions; `kept`: the ReLUs a trained SNL mask keeps. */
  counts(n: N, inputs: Shape[], kept?: number): Counts;
  /** The weight tensors the node needs, in order. */
  params(n: N, inputs: Shape[]): ParamSpec[];
  /** The attributes `printGraph` shows after the operands (`{k=3, s=1, p=1}`), or ''. */
  attributes(n: N): string;
  fusion: FusionRole;
  /** For an op that starts a row of `hrn stats --layers`: what the row's op column says. */
  layerRow?(n: N): string;
}

/** Output size along one axis of a sliding window: a convolution's, or a pooling's. */
export function convOutSize(size: number, kernel: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - kernel) / stride) + 1;
}

/** The counts of an op that has no ReLU, no multiply-add and no parameter. */
export const NO_COUNTS: Readonly<Counts> = Object.freeze({ relus: 0, flops: 0, params: 0 });

const GRAPH_OPS = new OpTable<GraphOp<GraphNode>>('graph-level definition', 'graph-level definitions');

/** Hands the IR the graph-level definition of every op (src/ops/index.ts does, once). */
export function defineGraphOps(ops: { [K in OpName]: GraphOp<NodeOf<K>> }): void {
  // Each entry is for the node type its key names, which a table over the union cannot show.
  GRAPH_OPS.define(ops as unknown as Record<string, GraphOp<GraphNode>>);
}

/** The graph-level definition of a node's op. */
export function graphOp<N extends Pick<GraphNode, 'op'>>(n: N): GraphOp<Extract<GraphNode, { op: N['op'] }>> {
  return GRAPH_OPS.get(n.op) as unknown as GraphOp<Extract<GraphNode, { op: N['op'] }>>;
}

/** The ids a node reads from. */
export function nodeInputs(n: GraphNode): number[] {
  return graphOp(n).inputs(n);
}

/** The shapes of a node's inputs, in order, as `shapeOf` gives them by id. */
export function inputShapes(n: NodeSpec, shapeOf: (id: number) => Shape): Shape[] {
  return graphOp(n).inputs(n).map(shapeOf);
}
