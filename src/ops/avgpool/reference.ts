// The reference of global average pooling.

import type { ReferenceOp } from '../../reference/op.js';
import { tensor, type Tensor } from '../../reference/tensor.js';
import type { AvgPoolNode } from './graph.js';

/** Global average pooling: C x H x W -> C x 1 x 1. */
export function avgpool(x: Tensor): Tensor {
  const y = tensor(x.n, x.c, 1, 1);
  const plane = x.h * x.w;
  for (let n = 0; n < x.n; n++) {
    for (let c = 0; c < x.c; c++) {
      let s = 0;
      for (let i = 0; i < plane; i++) s += x.data[(n * x.c + c) * plane + i];
      y.data[n * x.c + c] = s / plane;
    }
  }
  return y;
}

/** Global average pooling backward: each of the H*W positions gets dy / (H*W). */
export function avgpoolBackward(dy: Tensor, h: number, w: number): Tensor {
  if (dy.h !== 1 || dy.w !== 1) throw new Error(`avgpool backward: dy must be C x 1 x 1, got ${dy.c}x${dy.h}x${dy.w}`);
  const dx = tensor(dy.n, dy.c, h, w);
  const plane = h * w;
  for (let i = 0; i < dy.n * dy.c; i++) dx.data.fill(dy.data[i] / plane, i * plane, (i + 1) * plane);
  return dx;
}

export const avgpoolReference: ReferenceOp<AvgPoolNode> = {
  forward: (_n, [x]) => avgpool(x),
  backward: (_n, { x: [x], dy }) => [avgpoolBackward(dy, x.h, x.w)],
};
