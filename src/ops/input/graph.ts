// The network's input: the batch of images. Its shape comes from the network declaration.

import type { GraphOp, NodeBase } from '../../ir/node.js';
import { NO_COUNTS } from '../../ir/node.js';

declare module '../../ir/node.js' {
  interface NodeTypes {
    input: InputNode;
  }
}

export interface InputNode extends NodeBase {
  op: 'input';
}

export const inputGraph: GraphOp<InputNode> = {
  fusion: 'placed',
  inputs: () => [],
  infer: (_n, _inputs, fail) => fail('input nodes are created with an explicit shape'),
  counts: () => NO_COUNTS,
  params: () => [],
  attributes: () => '',
};
