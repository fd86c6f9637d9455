// Softmax over [batch, K] logits (kernels/softmax.wgsl).

import { DEFAULT_DISPATCH_LIMITS, type GeneratedKernel, genPerImage } from './common.js';

export function genSoftmax(name: string, batch: number, k: number, limits = DEFAULT_DISPATCH_LIMITS): GeneratedKernel {
  return genPerImage('softmax', name, batch, k, 'f32', limits);
}
