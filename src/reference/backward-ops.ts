// Reference backward of every layer-graph op, plus the training-mode pieces the forward ops in
// ops.ts do not cover (batch norm with batch statistics and the running-statistics update). Plain
// loops over NCHW float32 tensors, float64 accumulation, rounded once per output; conventions as
// in backward.ts.

import { BN_EPS, convOutSize, slice, tensor, windowMax, type ConvParams, type Tensor } from './ops.js';

function toF32(n: number, c: number, h: number, w: number, acc: Float64Array): Tensor {
  return tensor(n, c, h, w, Float32Array.from(acc));
}

export function sameShape(a: Tensor, b: Tensor, what: string): void {
  if (a.n !== b.n || a.c !== b.c || a.h !== b.h || a.w !== b.w) {
    throw new Error(`${what}: shapes ${a.n}x${a.c}x${a.h}x${a.w} and ${b.n}x${b.c}x${b.h}x${b.w} differ`);
  }
}

// ---------------------------------------------------------------- convolution

function convDims(x: { c: number; h: number; w: number }, p: Omit<ConvParams, 'weight' | 'bias'>) {
  const { outChannels: co, kernel: k, stride: s, pad, groups: g } = p;
  if (x.c % g !== 0 || co % g !== 0) throw new Error(`conv backward: channels ${x.c} -> ${co} not divisible by groups ${g}`);
  return { co, k, s, pad, cig: x.c / g, cog: co / g, ho: convOutSize(x.h, k, s, pad), wo: convOutSize(x.w, k, s, pad) };
}

/**
 * d loss / d input of a convolution, given d loss / d output `dy`; `inShape` is the input's
 * C x H x W (H, W are needed: with stride > 1 several input sizes give the same output size).
 */
export function conv2dBackwardInput(dy: Tensor, p: Omit<ConvParams, 'bias'>, inShape: { c: number; h: number; w: number }): Tensor {
  const { co, k, s, pad, cig, cog, ho, wo } = convDims(inShape, p);
  if (dy.c !== co || dy.h !== ho || dy.w !== wo) throw new Error(`conv backward: dy is ${dy.c}x${dy.h}x${dy.w}, the output is ${co}x${ho}x${wo}`);
  const { c: C, h: H, w: W } = inShape;
  const dx = new Float64Array(dy.n * C * H * W);
  for (let n = 0; n < dy.n; n++) {
    for (let oc = 0; oc < co; oc++) {
      const grp = Math.floor(oc / cog);
      for (let oy = 0; oy < ho; oy++) {
        for (let ox = 0; ox < wo; ox++) {
          const g = dy.data[((n * co + oc) * ho + oy) * wo + ox];
          if (g === 0) continue;
          for (let icl = 0; icl < cig; icl++) {
            const ic = grp * cig + icl;
            for (let ky = 0; ky < k; ky++) {
              const iy = oy * s + ky - pad;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < k; kx++) {
                const ix = ox * s + kx - pad;
                if (ix < 0 || ix >= W) continue;
                dx[((n * C + ic) * H + iy) * W + ix] += g * p.weight[((oc * cig + icl) * k + ky) * k + kx];
              }
            }
          }
        }
      }
    }
  }
  return toF32(dy.n, C, H, W, dx);
}

/** d loss / d weight ([outC, inC/groups, k, k]) and d loss / d bias ([outC]) of a convolution. */
export function conv2dBackwardWeight(x: Tensor, dy: Tensor, p: Omit<ConvParams, 'weight' | 'bias'>): { dw: Float32Array; db: Float32Array } {
  const { co, k, s, pad, cig, cog, ho, wo } = convDims(x, p);
  if (dy.n !== x.n || dy.c !== co || dy.h !== ho || dy.w !== wo) throw new Error(`conv backward: dy is ${dy.n}x${dy.c}x${dy.h}x${dy.w}, the output is ${x.n}x${co}x${ho}x${wo}`);
  const dw = new Float64Array(co * cig * k * k);
  const db = new Float64Array(co);
  for (let oc = 0; oc < co; oc++) {
    const grp = Math.floor(oc / cog);
    for (let icl = 0; icl < cig; icl++) {
      const ic = grp * cig + icl;
      for (let ky = 0; ky < k; ky++) {
        for (let kx = 0; kx < k; kx++) {
          let acc = 0;
          for (let n = 0; n < x.n; n++) {
            for (let oy = 0; oy < ho; oy++) {
              const iy = oy * s + ky - pad;
              if (iy < 0 || iy >= x.h) continue;
              for (let ox = 0; ox < wo; ox++) {
                const ix = ox * s + kx - pad;
                if (ix < 0 || ix >= x.w) continue;
                acc += dy.data[((n * co + oc) * ho + oy) * wo + ox] * x.data[((n * x.c + ic) * x.h + iy) * x.w + ix];
              }
            }
          }
          dw[((oc * cig + icl) * k + ky) * k + kx] = acc;
        }
      }
    }
    let b = 0;
    for (let n = 0; n < x.n; n++) for (let i = 0; i < ho * wo; i++) b += dy.data[(n * co + oc) * ho * wo + i];
    db[oc] = b;
  }
  return { dw: Float32Array.from(dw), db: Float32Array.from(db) };
}

export interface ConvGrads {
  dx: Tensor;
  dw: Float32Array;
  /** Always computed; meaningful when the convolution has a bias. */
  db: Float32Array;
}

export function conv2dBackward(x: Tensor, p: ConvParams, dy: Tensor): ConvGrads {
  return { dx: conv2dBackwardInput(dy, p, x), ...conv2dBackwardWeight(x, dy, p) };
}

// ---------------------------------------------------------------- batch norm, training mode

export interface BnBatchStats {
  /** Per-channel batch mean. */
  mean: Float64Array;
  /** Per-channel biased batch variance (divided by N*H*W), what training normalizes with. */
  variance: Float64Array;
  /** 1 / sqrt(variance + eps). */
  invStd: Float64Array;
  /** Elements per channel, N*H*W. */
  count: number;
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

// ---------------------------------------------------------------- the rest

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

/** Both inputs of an add receive dy. */
export function addBackward(dy: Tensor): [Tensor, Tensor] {
  return [tensor(dy.n, dy.c, dy.h, dy.w, dy.data.slice()), tensor(dy.n, dy.c, dy.h, dy.w, dy.data.slice())];
}

/** dy of channels [start, start + dy.c) scattered into a zero gradient of `inChannels` channels. */
export function sliceBackward(dy: Tensor, inChannels: number, start: number): Tensor {
  if (start < 0 || start + dy.c > inChannels) throw new Error(`slice backward: [${start}, ${start + dy.c}) outside 0..${inChannels}`);
  const dx = tensor(dy.n, inChannels, dy.h, dy.w);
  const plane = dy.h * dy.w;
  for (let n = 0; n < dy.n; n++) dx.data.set(dy.data.subarray(n * dy.c * plane, (n + 1) * dy.c * plane), (n * inChannels + start) * plane);
  return dx;
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

/** Global average pooling backward: each of the H*W positions gets dy / (H*W). */
export function avgpoolBackward(dy: Tensor, h: number, w: number): Tensor {
  if (dy.h !== 1 || dy.w !== 1) throw new Error(`avgpool backward: dy must be C x 1 x 1, got ${dy.c}x${dy.h}x${dy.w}`);
  const dx = tensor(dy.n, dy.c, h, w);
  const plane = h * w;
  for (let i = 0; i < dy.n * dy.c; i++) dx.data.fill(dy.data[i] / plane, i * plane, (i + 1) * plane);
  return dx;
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

// ---------------------------------------------------------------- whole graph
