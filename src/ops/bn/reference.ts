// The reference of batch norm: inference (running statistics), training (batch statistics and
// PyTorch's running-statistics update) and both backward passes.

import type { BnBatchStats, ReferenceOp } from '../../reference/op.js';
import { sameShape, tensor, type Tensor } from '../../reference/tensor.js';
import { BN_EPS } from '../../ir/graph.js';
import type { BatchNormNode } from './graph.js';

export type { BnBatchStats };

export interface BnParams {
  gamma: Float32Array;
  beta: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  eps?: number;
}

/** Inference batch norm: (x - running_mean) / sqrt(running_var + eps) * gamma + beta. */
export function batchNorm(x: Tensor, p: BnParams): Tensor {
  const eps = p.eps ?? BN_EPS;
  const y = tensor(x.n, x.c, x.h, x.w);
  const plane = x.h * x.w;
  for (let n = 0; n < x.n; n++) {
    for (let c = 0; c < x.c; c++) {
      const inv = 1 / Math.sqrt(p.variance[c] + eps);
      for (let i = 0; i < plane; i++) {
        const at = (n * x.c + c) * plane + i;
        y.data[at] = (x.data[at] - p.mean[c]) * inv * p.gamma[c] + p.beta[c];
      }
    }
  }
  return y;
}

/** Batch statistics per channel (two passes, float64). */
export function bnBatchStats(x: Tensor, eps = BN_EPS): BnBatchStats {
  const plane = x.h * x.w;
  const count = x.n * plane;
  const mean = new Float64Array(x.c);
  const variance = new Float64Array(x.c);
  const invStd = new Float64Array(x.c);
  for (let c = 0; c < x.c; c++) {
    let s = 0;
    for (let n = 0; n < x.n; n++) for (let i = 0, at = (n * x.c + c) * plane; i < plane; i++) s += x.data[at + i];
    const m = s / count;
    let q = 0;
    for (let n = 0; n < x.n; n++) {
      for (let i = 0, at = (n * x.c + c) * plane; i < plane; i++) {
        const d = x.data[at + i] - m;
        q += d * d;
      }
    }
    mean[c] = m;
    variance[c] = q / count;
    invStd[c] = 1 / Math.sqrt(q / count + eps);
  }
  return { mean, variance, invStd, count };
}

/** Training-mode batch norm: y = (x - batch mean) * invStd * gamma + beta. */
export function batchNormTrain(x: Tensor, gamma: Float32Array, beta: Float32Array, eps = BN_EPS): { y: Tensor; stats: BnBatchStats } {
  if (gamma.length !== x.c || beta.length !== x.c) throw new Error(`batch norm: ${gamma.length} gammas and ${beta.length} betas for ${x.c} channels`);
  const stats = bnBatchStats(x, eps);
  const y = tensor(x.n, x.c, x.h, x.w);
  const plane = x.h * x.w;
  for (let n = 0; n < x.n; n++) {
    for (let c = 0; c < x.c; c++) {
      const m = stats.mean[c];
      const a = stats.invStd[c] * gamma[c];
      for (let i = 0, at = (n * x.c + c) * plane; i < plane; i++) y.data[at + i] = (x.data[at + i] - m) * a + beta[c];
    }
  }
  return { y, stats };
}

/** PyTorch's running-statistics update (unbiased variance), in place. */
export function updateRunningStats(runningMean: Float32Array, runningVar: Float32Array, stats: BnBatchStats, momentum = 0.1): void {
  const unbias = stats.count > 1 ? stats.count / (stats.count - 1) : 1;
  for (let c = 0; c < runningMean.length; c++) {
    runningMean[c] = (1 - momentum) * runningMean[c] + momentum * stats.mean[c];
    runningVar[c] = (1 - momentum) * runningVar[c] + momentum * stats.variance[c] * unbias;
  }
}

/**
 * Backward of training-mode batch norm (the statistics depend on x):
 *   dbeta = sum dy,  dgamma = sum dy * xhat,
 *   dx = gamma * invStd / M * (M * dy - dbeta - xhat * dgamma),  M = N*H*W.
 */
export function batchNormTrainBackward(x: Tensor, gamma: Float32Array, stats: BnBatchStats, dy: Tensor): { dx: Tensor; dgamma: Float32Array; dbeta: Float32Array } {
  sameShape(x, dy, 'batch norm backward');
  const plane = x.h * x.w;
  const M = stats.count;
  const dgamma = new Float64Array(x.c);
  const dbeta = new Float64Array(x.c);
  const dx = tensor(x.n, x.c, x.h, x.w);
  for (let c = 0; c < x.c; c++) {
    const m = stats.mean[c];
    const is = stats.invStd[c];
    let sg = 0;
    let sgx = 0;
    for (let n = 0; n < x.n; n++) {
      for (let i = 0, at = (n * x.c + c) * plane; i < plane; i++) {
        const g = dy.data[at + i];
        sg += g;
        sgx += g * (x.data[at + i] - m) * is;
      }
    }
    dbeta[c] = sg;
    dgamma[c] = sgx;
    const a = (gamma[c] * is) / M;
    for (let n = 0; n < x.n; n++) {
      for (let i = 0, at = (n * x.c + c) * plane; i < plane; i++) {
        const xhat = (x.data[at + i] - m) * is;
        dx.data[at + i] = a * (M * dy.data[at + i] - sg - xhat * sgx);
      }
    }
  }
  return { dx, dgamma: Float32Array.from(dgamma), dbeta: Float32Array.from(dbeta) };
}

/** Backward of inference-mode batch norm (running statistics are constants). */
export function batchNormEvalBackward(x: Tensor, gamma: Float32Array, runningMean: Float32Array, runningVar: Float32Array, dy: Tensor, eps = BN_EPS): { dx: Tensor; dgamma: Float32Array; dbeta: Float32Array } {
  sameShape(x, dy, 'batch norm backward');
  const plane = x.h * x.w;
  const dgamma = new Float64Array(x.c);
  const dbeta = new Float64Array(x.c);
  const dx = tensor(x.n, x.c, x.h, x.w);
  for (let c = 0; c < x.c; c++) {
    const is = 1 / Math.sqrt(runningVar[c] + eps);
    for (let n = 0; n < x.n; n++) {
      for (let i = 0, at = (n * x.c + c) * plane; i < plane; i++) {
        const g = dy.data[at + i];
        dbeta[c] += g;
        dgamma[c] += g * (x.data[at + i] - runningMean[c]) * is;
        dx.data[at + i] = g * gamma[c] * is;
      }
    }
  }
  return { dx, dgamma: Float32Array.from(dgamma), dbeta: Float32Array.from(dbeta) };
}

export const bnReference: ReferenceOp<BatchNormNode> = {
  forward(n, [x], ctx) {
    const c = n.shape.c;
    const param = (role: string) => ctx.param(`${n.name}.${role}`, c);
    if (!ctx.training) return batchNorm(x, { gamma: param('gamma'), beta: param('beta'), mean: param('running_mean'), variance: param('running_var') });
    const r = batchNormTrain(x, param('gamma'), param('beta'));
    ctx.bnStats.set(n.id, r.stats);
    if (ctx.updateRunningStats) updateRunningStats(param('running_mean'), param('running_var'), r.stats, ctx.momentum);
    return r.y;
  },
  backward(n, { x: [x], dy, tape, param, grad }) {
    const gamma = param(`${n.name}.gamma`);
    const stats = tape.bnStats.get(n.id);
    const g = tape.training && stats
      ? batchNormTrainBackward(x, gamma, stats, dy)
      : batchNormEvalBackward(x, gamma, param(`${n.name}.running_mean`), param(`${n.name}.running_var`), dy);
    grad(`${n.name}.gamma`, g.dgamma);
    grad(`${n.name}.beta`, g.dbeta);
    return [g.dx];
  },
};
