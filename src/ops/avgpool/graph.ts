// Global average pooling: C x H x W -> C x 1 x 1.

import { NO_COUNTS, type GraphOp, type NodeBase } from '../../ir/node.js';

declare module '../../ir/node.js' {
  interface NodeTypes {
    avgpool: AvgPoolNode;
  }
}

export interface AvgPoolNode extends NodeBase {
  op: 'avgpool';
  input: number;
}

export const avgpoolGraph: GraphOp<AvgPoolNode> = {
  fusion: 'own',
  inputs: (n) => [n.input],
  infer: (_n, [s]) => ({ c: s.c, h: 1, w: 1 }),
  counts: () => NO_COUNTS,
  params: () => [],
  attributes: () => '',
  layerRow: () => 'avgpool',
};
