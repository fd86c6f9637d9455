// Fully connected layer with bias on the flattened input (the classifier).

import type { Shape } from '../../ir/arch.js';
import type { GraphOp, NodeBase } from '../../ir/node.js';

declare module '../../ir/node.js' {
  interface NodeTypes {
    fc: FcNode;
  }
}

export interface FcNode extends NodeBase {
  op: 'fc';
  input: number;
  outFeatures: number;
}

const features = (s: Shape) => s.c * s.h * s.w;

export const fcGraph: GraphOp<FcNode> = {
  fusion: 'own',
  inputs: (n) => [n.input],
  infer: (n) => ({ c: n.outFeatures, h: 1, w: 1 }),
  counts: (n, [s]) => ({ relus: 0, flops: s.c * n.outFeatures, params: s.c * n.outFeatures + n.outFeatures }),
  params: (n, [s]) => [
    { role: 'weight', shape: [n.outFeatures, features(s)], trainable: true },
    { role: 'bias', shape: [n.outFeatures], trainable: true },
  ],
  attributes: () => '',
  layerRow: () => 'fc',
};
