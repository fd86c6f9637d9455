// The reference of the elementwise sum.

import type { ReferenceOp } from '../../reference/op.js';
import { tensor, type Tensor } from '../../reference/tensor.js';
import type { AddNode } from './graph.js';

export function add(a: Tensor, b: Tensor): Tensor {
  if (a.n !== b.n || a.c !== b.c || a.h !== b.h || a.w !== b.w) throw new Error('add: shapes differ');
  const y = tensor(a.n, a.c, a.h, a.w);
  for (let i = 0; i < y.data.length; i++) y.data[i] = a.data[i] + b.data[i];
  return y;
}

/** Both inputs of an add receive dy. */
export function addBackward(dy: Tensor): [Tensor, Tensor] {
  return [tensor(dy.n, dy.c, dy.h, dy.w, dy.data.slice()), tensor(dy.n, dy.c, dy.h, dy.w, dy.data.slice())];
}

export const addReference: ReferenceOp<AddNode> = {
  forward: (_n, [a, b]) => add(a, b),
  backward: (_n, { dy }) => addBackward(dy),
};
