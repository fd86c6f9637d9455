// The reference of the ReLU on a channel range, and of SNL's partial ReLU (Cho et al. 2022), the
// oracle of the masked kernels: on channels [start, end), y = m*relu(x) + (1-m)*x =
// x + m*(max(x, 0) - x), identity elsewhere. The mask holds one entry per element of those
// channels (`pixel`, NCHW order without the batch) or one per channel (`channel`). Training may
// move an entry outside [0, 1]; the effective mask m is the entry clamped to [0, 1], and its
// gradient passes the clamp unchanged (straight through), so that a mask pushed past an end can
// come back. Accumulation is in float64, rounded once.

import type { ReferenceOp } from '../../reference/op.js';
import { forChannelRange, sameShape, tensor, type Tensor } from '../../reference/tensor.js';
import { maskName } from '../../ir/graph.js';
import type { ReluNode } from './graph.js';

/** max(x, 0) on channels [start, end), identity on the others. */
export function reluRange(x: Tensor, start: number, end: number): Tensor {
  const y = tensor(x.n, x.c, x.h, x.w, x.data.slice());
  forChannelRange(x, start, end, (at) => {
    if (y.data[at] < 0) y.data[at] = 0;
  });
  return y;
}

/** Backward of max(x, 0) on channels [start, end): dy passes where x > 0 or outside the range. */
export function reluRangeBackward(x: Tensor, dy: Tensor, start: number, end: number): Tensor {
  sameShape(x, dy, 'relu backward');
  const dx = tensor(dy.n, dy.c, dy.h, dy.w, dy.data.slice());
  const plane = x.h * x.w;
  for (let n = 0; n < x.n; n++) {
    for (let c = start; c < end; c++) {
      for (let i = 0, at = (n * x.c + c) * plane; i < plane; i++) if (!(x.data[at + i] > 0)) dx.data[at + i] = 0;
    }
  }
  return dx;
}

export type MaskGranularity = 'pixel' | 'channel';

/** Entries of a mask over channels [start, end) of a C x H x W activation. */
export function maskSize(x: Pick<Tensor, 'h' | 'w'>, start: number, end: number, granularity: MaskGranularity): number {
  return granularity === 'pixel' ? (end - start) * x.h * x.w : end - start;
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

function maskIndex(c: number, i: number, start: number, plane: number, granularity: MaskGranularity): number {
  return granularity === 'pixel' ? (c - start) * plane + i : c - start;
}

function checkMask(x: Tensor, mask: Float32Array, start: number, end: number, granularity: MaskGranularity): void {
  const want = maskSize(x, start, end, granularity);
  if (mask.length !== want) throw new Error(`masked relu: a ${granularity} mask over channels ${start}..${end} needs ${want} entries, got ${mask.length}`);
}

export function maskedRelu(x: Tensor, start: number, end: number, mask: Float32Array, granularity: MaskGranularity): Tensor {
  checkMask(x, mask, start, end, granularity);
  const y = tensor(x.n, x.c, x.h, x.w, x.data.slice());
  const plane = x.h * x.w;
  forChannelRange(x, start, end, (at, c, i) => {
    const v = x.data[at];
    const m = clamp01(mask[maskIndex(c, i, start, plane, granularity)]);
    y.data[at] = v + m * (Math.max(v, 0) - v);
  });
  return y;
}

/**
 * Gradients of the partial ReLU: dx = dy where x > 0 (and outside the range), (1 - m) dy where not;
 * dm = sum over the batch (and, per channel, the plane) of dy * (max(x, 0) - x), through the clamp.
 */
export function maskedReluBackward(
  x: Tensor,
  dy: Tensor,
  start: number,
  end: number,
  mask: Float32Array,
  granularity: MaskGranularity,
): { dx: Tensor; dm: Float32Array } {
  checkMask(x, mask, start, end, granularity);
  const dx = tensor(dy.n, dy.c, dy.h, dy.w, dy.data.slice());
  const dm = new Float64Array(mask.length);
  const plane = x.h * x.w;
  forChannelRange(x, start, end, (at, c, i) => {
    const k = maskIndex(c, i, start, plane, granularity);
    const v = x.data[at];
    if (!(v > 0)) dx.data[at] = (1 - clamp01(mask[k])) * dy.data[at];
    dm[k] += dy.data[at] * (Math.max(v, 0) - v);
  });
  return { dx, dm: Float32Array.from(dm) };
}

export const reluReference: ReferenceOp<ReluNode> = {
  forward: (n, [x], ctx) =>
    n.mask === undefined
      ? reluRange(x, n.start, n.end)
      : maskedRelu(x, n.start, n.end, ctx.param(maskName(n), maskSize(x, n.start, n.end, n.mask)), n.mask),
  backward(n, { x: [x], dy, param, grad }) {
    if (n.mask === undefined) return [reluRangeBackward(x, dy, n.start, n.end)];
    const g = maskedReluBackward(x, dy, n.start, n.end, param(maskName(n)), n.mask);
    grad(maskName(n), g.dm);
    return [g.dx];
  },
};
