// Batch normalization over channels: batch statistics in training, running statistics (folded
// into the convolution before it where possible) in inference.

import { NO_COUNTS, type GraphOp, type NodeBase } from '../../ir/node.js';

declare module '../../ir/node.js' {
  interface NodeTypes {
    bn: BatchNormNode;
  }
}

export interface BatchNormNode extends NodeBase {
  op: 'bn';
  input: number;
}

export const bnGraph: GraphOp<BatchNormNode> = {
  fusion: 'chain',
  inputs: (n) => [n.input],
  infer: (_n, [s]) => ({ ...s }),
  // Learned scale and shift; running statistics are buffers, not parameters.
  counts: (n) => ({ ...NO_COUNTS, params: 2 * n.shape.c }),
  params: (n) => [
    { role: 'gamma', shape: [n.shape.c], trainable: true },
    { role: 'beta', shape: [n.shape.c], trainable: true },
    { role: 'running_mean', shape: [n.shape.c], trainable: false },
    { role: 'running_var', shape: [n.shape.c], trainable: false },
  ],
  attributes: () => '',
};
