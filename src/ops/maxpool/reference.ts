// The reference of max pooling, forward and backward.

import { convOutSize } from '../../ir/node.js';
import type { ReferenceOp } from '../../reference/op.js';
import { tensor, type Tensor } from '../../reference/tensor.js';
import type { MaxPoolNode } from './graph.js';

/**
 * Max pooling over k x k windows with stride s and `p` rows and columns of padding on each side
 * that never win (a window only compares the values inside the input). Ties go to the first
 * position in row-major window order (the one the backward pass routes the gradient to).
 */
export function maxpool(x: Tensor, k: number, s: number, p = 0): Tensor {
  const oh = convOutSize(x.h, k, s, p);
  const ow = convOutSize(x.w, k, s, p);
  const y = tensor(x.n, x.c, oh, ow);
  for (let nc = 0; nc < x.n * x.c; nc++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        y.data[(nc * oh + i) * ow + j] = x.data[windowMax(x, nc, i * s - p, j * s - p, k)];
      }
    }
  }
  return y;
}

/** The index of the first maximum of the k x k window at (top, left) of plane `nc`, clipped to the input. */
export function windowMax(x: Tensor, nc: number, top: number, left: number, k: number): number {
  let best = -1;
  let m = -Infinity;
  for (let a = Math.max(0, top); a < Math.min(x.h, top + k); a++) {
    for (let b = Math.max(0, left); b < Math.min(x.w, left + k); b++) {
      const idx = (nc * x.h + a) * x.w + b;
      if (best < 0 || x.data[idx] > m) {
        m = x.data[idx];
        best = idx;
      }
    }
  }
  return best;
}

/** Max pooling backward: each window's gradient goes to its first maximum (row-major order). */
export function maxpoolBackward(x: Tensor, dy: Tensor, k: number, s: number, p = 0): Tensor {
  const dx = tensor(x.n, x.c, x.h, x.w);
  for (let nc = 0; nc < x.n * x.c; nc++) {
    for (let i = 0; i < dy.h; i++) {
      for (let j = 0; j < dy.w; j++) {
        dx.data[windowMax(x, nc, i * s - p, j * s - p, k)] += dy.data[(nc * dy.h + i) * dy.w + j];
      }
    }
  }
  return dx;
}

export const maxpoolReference: ReferenceOp<MaxPoolNode> = {
  forward: (n, [x]) => maxpool(x, n.kernel, n.stride, n.pad),
  backward: (n, { x: [x], dy }) => [maxpoolBackward(x, dy, n.kernel, n.stride, n.pad)],
};
