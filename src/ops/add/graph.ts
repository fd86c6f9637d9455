// Elementwise sum of two values of one shape: the residual join.

import { NO_COUNTS, type GraphOp, type NodeBase } from '../../ir/node.js';

declare module '../../ir/node.js' {
  interface NodeTypes {
    add: AddNode;
  }
}

export interface AddNode extends NodeBase {
  op: 'add';
  inputs: [number, number];
}

export const addGraph: GraphOp<AddNode> = {
  fusion: 'chain',
  inputs: (n) => [...n.inputs],
  infer(_n, [a, b], fail) {
    if (a.c !== b.c || a.h !== b.h || a.w !== b.w) fail(`adding ${a.c}x${a.h}x${a.w} and ${b.c}x${b.h}x${b.w}`);
    return { ...a };
  },
  counts: () => NO_COUNTS,
  params: () => [],
  attributes: () => '',
};
