// The layer graph: what lowering produces and code generation consumes. Nodes are in topological
// order; each has a unique id and a stable `name` that also names its weights (e.g. `S2.b1.conv1`).
// Activations are C x H x W per image (the batch is a runtime dimension).

import type { Shape } from './arch.js';

/** Which part of the network a node belongs to, for per-stage tables. */
export type Region = 'stem' | 'head' | string;

interface NodeBase {
  id: number;
  name: string;
  /** `S1`..`Sn` for stage nodes; the stem is reported in `S1` by counting, but kept distinct here. */
  region: Region;
  /** Output shape, set by shape inference. */
  shape: Shape;
}

export interface InputNode extends NodeBase {
  op: 'input';
}

export interface ConvNode extends NodeBase {
  op: 'conv';
  input: number;
  outChannels: number;
  kernel: number;
  stride: number;
  pad: number;
  /** Grouped convolution: input and output channels split into `groups` independent parts. */
  groups: number;
  bias: boolean;
}

/** Batch normalization over channels (training: batch statistics; inference: folded into conv). */
export interface BatchNormNode extends NodeBase {
  op: 'bn';
  input: number;
}

/** The epsilon every batch norm adds to the variance (PyTorch's default), in training and inference. */
export const BN_EPS = 1e-5;

/**
 * max(x, 0) on channels [start, end); identity on the rest. An ordinary ReLU has start 0 and
 * end = C. Partial ranges come from ReLU-reuse.
 */
export interface ReluNode extends NodeBase {
  op: 'relu';
  input: number;
  start: number;
  end: number;
  /**
   * SNL's partial ReLU: y = m*relu(x) + (1-m)*x with a mask m learned per element of channels
   * [start, end) (`pixel`: (end-start)*H*W entries) or per channel (`channel`: end-start entries).
   * Absent: an ordinary ReLU.
   */
  mask?: 'pixel' | 'channel';
}

/** Entries of a masked ReLU's mask (0 for an unmasked one). */
export function maskLength(n: ReluNode): number {
  if (n.mask === undefined) return 0;
  const c = n.end - n.start;
  return n.mask === 'pixel' ? c * n.shape.h * n.shape.w : c;
}

/** The weight name of a masked ReLU's mask tensor (`S1.b1.relu1.mask`). */
export function maskName(n: Pick<ReluNode, 'name'>): string {
  return `${n.name}.mask`;
}

export interface AddNode extends NodeBase {
  op: 'add';
  inputs: [number, number];
}

/** Channels [start, end) of the input. */
export interface SliceNode extends NodeBase {
  op: 'slice';
  input: number;
  start: number;
  end: number;
}

/** Inputs stacked along channels, in order. */
export interface ConcatNode extends NodeBase {
  op: 'concat';
  inputs: number[];
}

/** Global average pooling: C x H x W -> C x 1 x 1. */
export interface AvgPoolNode extends NodeBase {
  op: 'avgpool';
  input: number;
}

/**
 * Max pooling over kernel x kernel windows with the given stride. Padding adds `pad` rows and
 * columns on each side that never win a window (as if -infinity), so a window only sees real values.
 */
export interface MaxPoolNode extends NodeBase {
  op: 'maxpool';
  input: number;
  kernel: number;
  stride: number;
  pad: number;
}

/** Fully connected layer with bias on the flattened input. */
export interface FcNode extends NodeBase {
  op: 'fc';
  input: number;
  outFeatures: number;
}

export type GraphNode =
  | InputNode
  | ConvNode
  | BatchNormNode
  | ReluNode
  | AddNode
  | SliceNode
  | ConcatNode
  | AvgPoolNode
  | MaxPoolNode
  | FcNode;

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

/** The ids a node reads from. */
export function nodeInputs(n: GraphNode): number[] {
  switch (n.op) {
    case 'input':
      return [];
    case 'add':
      return [...n.inputs];
    case 'concat':
      return [...n.inputs];
    default:
      return [n.input];
  }
}
