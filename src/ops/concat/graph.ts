// Values of one spatial size stacked along channels, in order (ReLU-reuse joins its parts).

import { NO_COUNTS, type GraphOp, type NodeBase } from '../../ir/node.js';

declare module '../../ir/node.js' {
  interface NodeTypes {
    concat: ConcatNode;
  }
}

export interface ConcatNode extends NodeBase {
  op: 'concat';
  inputs: number[];
}

export const concatGraph: GraphOp<ConcatNode> = {
  fusion: 'placed',
  inputs: (n) => [...n.inputs],
  infer(_n, shapes, fail) {
    const first = shapes[0] ?? fail('concat of nothing');
    if (shapes.some((s) => s.h !== first.h || s.w !== first.w)) fail('concat of different spatial sizes');
    return { c: shapes.reduce((sum, s) => sum + s.c, 0), h: first.h, w: first.w };
  },
  counts: () => NO_COUNTS,
  params: () => [],
  attributes: () => '',
};
