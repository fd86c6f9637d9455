// The reference of the fully connected layer, forward and backward.

import type { ReferenceOp } from '../../reference/op.js';
import { tensor, toF32, type Tensor } from '../../reference/tensor.js';
import type { FcNode } from './graph.js';

/** y = W x + b on the flattened C*H*W input; weight is [out, in]. */
export function fc(x: Tensor, weight: Float32Array, bias: Float32Array, outFeatures: number): Tensor {
  const inF = x.c * x.h * x.w;
  if (weight.length !== outFeatures * inF) throw new Error(`fc: weight has ${weight.length} values, want ${outFeatures * inF}`);
  const y = tensor(x.n, outFeatures, 1, 1);
  for (let n = 0; n < x.n; n++) {
    for (let o = 0; o < outFeatures; o++) {
      let acc = bias[o];
      for (let i = 0; i < inF; i++) acc += weight[o * inF + i] * x.data[n * inF + i];
      y.data[n * outFeatures + o] = acc;
    }
  }
  return y;
}

/** Fully connected backward: dx = dy W, dW = dy^T x, db = sum over the batch of dy. */
export function fcBackward(x: Tensor, weight: Float32Array, dy: Tensor): { dx: Tensor; dw: Float32Array; db: Float32Array } {
  const inF = x.c * x.h * x.w;
  const out = dy.c * dy.h * dy.w;
  if (weight.length !== out * inF) throw new Error(`fc backward: weight has ${weight.length} values, want ${out * inF}`);
  if (dy.n !== x.n) throw new Error('fc backward: batch sizes differ');
  const dx = new Float64Array(x.n * inF);
  const dw = new Float64Array(out * inF);
  const db = new Float64Array(out);
  for (let n = 0; n < x.n; n++) {
    for (let o = 0; o < out; o++) {
      const g = dy.data[n * out + o];
      db[o] += g;
      for (let i = 0; i < inF; i++) {
        dx[n * inF + i] += g * weight[o * inF + i];
        dw[o * inF + i] += g * x.data[n * inF + i];
      }
    }
  }
  return { dx: toF32(x.n, x.c, x.h, x.w, dx), dw: Float32Array.from(dw), db: Float32Array.from(db) };
}

export const fcReference: ReferenceOp<FcNode> = {
  forward(n, [x], ctx) {
    const inF = x.c * x.h * x.w;
    return fc(x, ctx.param(`${n.name}.weight`, n.outFeatures * inF), ctx.param(`${n.name}.bias`, n.outFeatures), n.outFeatures);
  },
  backward(n, { x: [x], dy, param, grad }) {
    const g = fcBackward(x, param(`${n.name}.weight`), dy);
    grad(`${n.name}.weight`, g.dw);
    grad(`${n.name}.bias`, g.db);
    return [g.dx];
  },
};
