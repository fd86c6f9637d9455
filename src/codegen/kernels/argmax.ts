// Argmax over [batch, K] logits (kernels/argmax.wgsl).

import { DEFAULT_DISPATCH_LIMITS, type GeneratedKernel, genPerImage } from './common.js';

export function genArgmax(name: string, batch: number, k: number, limits = DEFAULT_DISPATCH_LIMITS): GeneratedKernel {
  return genPerImage('argmax', name, batch, k, 'u32', limits);
}
