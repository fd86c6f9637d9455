// Batch norm at inference as a per-channel scale and shift, and folded into the convolution in
// front of it. Written once for the inference kernels' packed parameters (program/uploads.ts) and the
// exports (export/fold-bn.ts), so that both compute the same numbers.

import { BN_EPS } from '../ir/graph.js';
import { getWeight, type Weights } from './weights.js';

export interface BnTensors {
  gamma: Float32Array;
  beta: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
}

/** Batch norm `name`'s learned scale and shift and running statistics; `channels` checks their length. */
export function bnTensors(weights: Weights, name: string, channels?: number): BnTensors {
  return {
    gamma: getWeight(weights, `${name}.gamma`, channels),
    beta: getWeight(weights, `${name}.beta`, channels),
    mean: getWeight(weights, `${name}.running_mean`, channels),
    variance: getWeight(weights, `${name}.running_var`, channels),
  };
}

/** Per-channel scale and shift equal to inference batch norm: y = x * scale + shift. */
export function bnScaleShift(bn: BnTensors, eps = BN_EPS): { scale: Float32Array; shift: Float32Array } {
  const c = bn.gamma.length;
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    const sc = bn.gamma[i] / Math.sqrt(bn.variance[i] + eps);
    scale[i] = sc;
    shift[i] = bn.beta[i] - bn.mean[i] * sc;
  }
  return { scale, shift };
}

/**
 * Folds batch norm into a convolution: w' = w * scale[oc], b' = b * scale + shift (that is,
 * (b - mean) * scale + beta). Takes and returns the weight in PyTorch layout [outC, inC/groups, k, k];
 * without batch norm, returns the weight as is and the bias (zeros when there is none).
 */
export function foldBn(
  weight: Float32Array,
  bias: Float32Array | undefined,
  outC: number,
  bn: BnTensors | undefined,
): { weight: Float32Array; bias: Float32Array } {
  const per = weight.length / outC;
  if (!bn) return { weight, bias: bias ?? new Float32Array(outC) };
  const { scale, shift } = bnScaleShift(bn);
  const w = new Float32Array(weight.length);
  const b = new Float32Array(outC);
  for (let oc = 0; oc < outC; oc++) {
    for (let j = 0; j < per; j++) w[oc * per + j] = weight[oc * per + j] * scale[oc];
    b[oc] = (bias ? bias[oc] : 0) * scale[oc] + shift[oc];
  }
  return { weight: w, bias: b };
}
