// Reference implementations of every layer-graph op, forward, inference semantics. These are the
// oracle the WebGPU kernels are tested against: plain loops over NCHW float32 tensors, written to
// be obviously right rather than fast. Accumulation is in float64 (JS numbers) and rounded once.

import { convOutSize } from '../ir/builder.js';
import { BN_EPS } from '../ir/graph.js';

/** A batch of activations, NCHW, float32, densely packed. */
export interface Tensor {
  n: number;
  c: number;
  h: number;
  w: number;
  data: Float32Array;
}

export { BN_EPS };

export function tensor(n: number, c: number, h: number, w: number, data?: Float32Array): Tensor {
  const size = n * c * h * w;
  if (data && data.length !== size) {
    throw new Error(`tensor ${n}x${c}x${h}x${w} needs ${size} values, got ${data.length}`);
  }
  return { n, c, h, w, data: data ?? new Float32Array(size) };
}

export interface ConvParams {
  outChannels: number;
  kernel: number;
  stride: number;
  pad: number;
  groups: number;
  /** [outC, inC/groups, k, k] */
  weight: Float32Array;
  bias?: Float32Array;
}

// One definition of a convolution's output size, shared with shape inference.
export { convOutSize };

/** Cross-correlation with zero padding, as in every deep-learning framework. */
export function conv2d(x: Tensor, p: ConvParams): Tensor {
  const { outChannels: co, kernel: k, stride: s, pad, groups: g } = p;
  if (x.c % g !== 0 || co % g !== 0) throw new Error(`conv2d: channels ${x.c} -> ${co} not divisible by groups ${g}`);
  const cig = x.c / g;
  const cog = co / g;
  if (p.weight.length !== co * cig * k * k) throw new Error(`conv2d: weight has ${p.weight.length} values, want ${co * cig * k * k}`);
  const ho = convOutSize(x.h, k, s, pad);
  const wo = convOutSize(x.w, k, s, pad);
  const y = tensor(x.n, co, ho, wo);
  for (let n = 0; n < x.n; n++) {
    for (let oc = 0; oc < co; oc++) {
      const grp = Math.floor(oc / cog);
      for (let oy = 0; oy < ho; oy++) {
        for (let ox = 0; ox < wo; ox++) {
          let acc = p.bias ? p.bias[oc] : 0;
          for (let icl = 0; icl < cig; icl++) {
            const ic = grp * cig + icl;
            for (let ky = 0; ky < k; ky++) {
              const iy = oy * s + ky - pad;
              if (iy < 0 || iy >= x.h) continue;
              for (let kx = 0; kx < k; kx++) {
                const ix = ox * s + kx - pad;
                if (ix < 0 || ix >= x.w) continue;
                const xv = x.data[((n * x.c + ic) * x.h + iy) * x.w + ix];
                const wv = p.weight[((oc * cig + icl) * k + ky) * k + kx];
                acc += xv * wv;
              }
            }
          }
          y.data[((n * co + oc) * ho + oy) * wo + ox] = acc;
        }
      }
    }
  }
  return y;
}

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

/** Visits each element of channels [start, end) of `x`, every image: its flat index, channel and place in the plane. */
export function forChannelRange(x: Tensor, start: number, end: number, visit: (at: number, c: number, i: number) => void): void {
  const plane = x.h * x.w;
  for (let n = 0; n < x.n; n++) {
    for (let c = start; c < end; c++) {
      for (let i = 0; i < plane; i++) visit((n * x.c + c) * plane + i, c, i);
    }
  }
}

/** max(x, 0) on channels [start, end), identity on the others. */
export function reluRange(x: Tensor, start: number, end: number): Tensor {
  const y = tensor(x.n, x.c, x.h, x.w, x.data.slice());
  forChannelRange(x, start, end, (at) => {
    if (y.data[at] < 0) y.data[at] = 0;
  });
  return y;
}

export function add(a: Tensor, b: Tensor): Tensor {
  if (a.n !== b.n || a.c !== b.c || a.h !== b.h || a.w !== b.w) throw new Error('add: shapes differ');
  const y = tensor(a.n, a.c, a.h, a.w);
  for (let i = 0; i < y.data.length; i++) y.data[i] = a.data[i] + b.data[i];
  return y;
}

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

/** Stacks along channels, in order. */
export function concat(xs: Tensor[]): Tensor {
  const first = xs[0];
  if (!first) throw new Error('concat of nothing');
  const c = xs.reduce((s, x) => s + x.c, 0);
  const y = tensor(first.n, c, first.h, first.w);
  const plane = first.h * first.w;
  for (let n = 0; n < first.n; n++) {
    let base = 0;
    for (const x of xs) {
      for (let ch = 0; ch < x.c; ch++) {
        for (let i = 0; i < plane; i++) {
          y.data[(n * c + base + ch) * plane + i] = x.data[(n * x.c + ch) * plane + i];
        }
      }
      base += x.c;
    }
  }
  return y;
}

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
