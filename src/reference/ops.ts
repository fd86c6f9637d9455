// The reference's tensor helpers and its loss side (softmax, argmax): with the ops' references,
// the oracle the WebGPU kernels are tested against. Each layer-graph op's reference is in its
// folder of src/ops/ (reference.ts), and src/ops/reference.ts gathers them. Accumulation is in
// float64 (JS numbers) and rounded once.

export { BN_EPS } from '../ir/graph.js';
export { convOutSize } from '../ir/node.js';
export { forChannelRange, tensor, type Tensor } from './tensor.js';

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
