// The reference of convolution: forward (cross-correlation with zero padding, as every deep-learning
// framework computes it) and backward, plain loops with float64 accumulation rounded once.

import { convOutSize } from '../../ir/node.js';
import type { ReferenceOp } from '../../reference/op.js';
import { tensor, toF32, type Tensor } from '../../reference/tensor.js';
import type { ConvNode } from './graph.js';

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

function convParams(n: ConvNode, inC: number, param: (name: string, size?: number) => Float32Array): ConvParams {
  const p: ConvParams = {
    outChannels: n.outChannels,
    kernel: n.kernel,
    stride: n.stride,
    pad: n.pad,
    groups: n.groups,
    weight: param(`${n.name}.weight`, (n.outChannels * inC * n.kernel * n.kernel) / n.groups),
  };
  if (n.bias) p.bias = param(`${n.name}.bias`, n.outChannels);
  return p;
}

export const convReference: ReferenceOp<ConvNode> = {
  forward: (n, [x], ctx) => conv2d(x, convParams(n, x.c, ctx.param)),
  backward(n, { x: [x], dy, param, grad }) {
    const g = conv2dBackward(x, convParams(n, x.c, param), dy);
    grad(`${n.name}.weight`, g.dw);
    if (n.bias) grad(`${n.name}.bias`, g.db);
    return [g.dx];
  },
};
