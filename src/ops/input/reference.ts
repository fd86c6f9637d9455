// The reference of the graph's input: the batch itself, and where the input's gradient ends.

import type { ReferenceOp } from '../../reference/op.js';
import type { InputNode } from './graph.js';

export const inputReference: ReferenceOp<InputNode> = {
  forward: (_n, _x, ctx) => ctx.input,
  backward(_n, { dy, inputGrad }) {
    inputGrad(dy);
    return [];
  },
};
