// The reference ops, forward, inference semantics: the oracle the WebGPU kernels are tested
// against. Each layer-graph op's reference is in its folder of src/ops/ (reference.ts); this module
// gathers them with the tensor helpers and the loss side (softmax, argmax). Accumulation is in
// float64 (JS numbers) and rounded once.

export { BN_EPS } from '../ops/bn/graph.js';
export { convOutSize } from '../ir/node.js';
export { forChannelRange, tensor, type Tensor } from './tensor.js';
export { conv2d, type ConvParams } from '../ops/conv/reference.js';
export { batchNorm, type BnParams } from '../ops/bn/reference.js';
export { reluRange } from '../ops/relu/reference.js';
export { add } from '../ops/add/reference.js';
export { slice } from '../ops/slice/reference.js';
export { concat } from '../ops/concat/reference.js';
export { avgpool } from '../ops/avgpool/reference.js';
export { maxpool, windowMax } from '../ops/maxpool/reference.js';
export { fc } from '../ops/fc/reference.js';

/** Row-wise softmax of [batch, classes] logits, max-subtracted. */
export function softmax(logits: Float32Array, batch: number): Float32Array {
  const k = logits.length / batch;
  const out = new Float32Array(logits.length);
  for (let n = 0; n < batch; n++) {
    let m = -Infinity;
    for (let i = 0; i < k; i++) m = Math.max(m, logits[n * k + i]);
    let s = 0;
    for (let i = 0; i < k; i++) s += Math.exp(logits[n * k + i] - m);
    for (let i = 0; i < k; i++) out[n * k + i] = Math.exp(logits[n * k + i] - m) / s;
  }
  return out;
}

/** Index of the largest logit per row; the first one on ties. */
export function argmax(logits: Float32Array, batch: number): Uint32Array {
  const k = logits.length / batch;
  const out = new Uint32Array(batch);
  for (let n = 0; n < batch; n++) {
    let best = 0;
    for (let i = 1; i < k; i++) if (logits[n * k + i] > logits[n * k + best]) best = i;
    out[n] = best;
  }
  return out;
}
