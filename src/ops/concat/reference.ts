// The reference of stacking values along channels.

import type { ReferenceOp } from '../../reference/op.js';
import { tensor, type Tensor } from '../../reference/tensor.js';
import { slice } from '../slice/reference.js';
import type { ConcatNode } from './graph.js';

/** Stacks along channels, in order. */
export function concat(xs: Tensor[]): Tensor {
  const first = xs[0];
  if (!first) throw new Error('concat of nothing');
  const c = xs.reduce((s, x) => s + x.c, 0);
  const y = tensor(first.n, c, first.h, first.w);
  const plane = first.h * first.w;
  for (let n = 0; n < first.n; n++) {
    let base = 0;
    for (const x of xs) {
      for (let ch = 0; ch < x.c; ch++) {
        for (let i = 0; i < plane; i++) {
          y.data[(n * c + base + ch) * plane + i] = x.data[(n * x.c + ch) * plane + i];
        }
      }
      base += x.c;
    }
  }
  return y;
}

/** dy split back along channels into pieces of the given channel counts. */
export function concatBackward(dy: Tensor, channels: readonly number[]): Tensor[] {
  const total = channels.reduce((a, b) => a + b, 0);
  if (total !== dy.c) throw new Error(`concat backward: pieces of ${channels.join('+')} channels for ${dy.c}`);
  let start = 0;
  return channels.map((c) => {
    const t = slice(dy, start, start + c);
    start += c;
    return t;
  });
}

export const concatReference: ReferenceOp<ConcatNode> = {
  forward: (_n, xs) => concat(xs),
  backward: (_n, { x, dy }) => concatBackward(dy, x.map((t) => t.c)),
};
