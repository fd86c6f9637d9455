// The reference of taking a range of channels.

import type { ReferenceOp } from '../../reference/op.js';
import { tensor, type Tensor } from '../../reference/tensor.js';
import type { SliceNode } from './graph.js';

/** Channels [start, end). */
export function slice(x: Tensor, start: number, end: number): Tensor {
  const c = end - start;
  const y = tensor(x.n, c, x.h, x.w);
  const plane = x.h * x.w;
  for (let n = 0; n < x.n; n++) {
    for (let ch = 0; ch < c; ch++) {
      for (let i = 0; i < plane; i++) {
        y.data[(n * c + ch) * plane + i] = x.data[(n * x.c + start + ch) * plane + i];
      }
    }
  }
  return y;
}

/** dy of channels [start, start + dy.c) scattered into a zero gradient of `inChannels` channels. */
export function sliceBackward(dy: Tensor, inChannels: number, start: number): Tensor {
  if (start < 0 || start + dy.c > inChannels) throw new Error(`slice backward: [${start}, ${start + dy.c}) outside 0..${inChannels}`);
  const dx = tensor(dy.n, inChannels, dy.h, dy.w);
  const plane = dy.h * dy.w;
  for (let n = 0; n < dy.n; n++) dx.data.set(dy.data.subarray(n * dy.c * plane, (n + 1) * dy.c * plane), (n * inChannels + start) * plane);
  return dx;
}

export const sliceReference: ReferenceOp<SliceNode> = {
  forward: (n, [x]) => slice(x, n.start, n.end),
  backward: (n, { x: [x], dy }) => [sliceBackward(dy, x.c, n.start)],
};
