// Kernel signatures: what a schedule is chosen for. Two dispatches with the same signature run the
// same kernel over the same shapes (whatever their layers are called), so a schedule timed for one
// is the right one for the other; `hrn tune` times one per signature and its cache is keyed by
// them. A signature names the kernel, not only the family, where one family has several kernels
// whose costs differ (fc's forward and backward kernels, the two first-level reductions).

import type { ConvGeometry, ConvShape } from '../conv-layout.js';
import type { ScheduleFamily } from './types.js';

/** The fully connected kernels: inference forward, training forward, weight and input gradients. */
export type FcKernel = 'fc' | 'fc_train' | 'fc_dw' | 'fc_dx';

/** The first levels of the per-channel reductions: batch statistics, and the batch-norm gradient's sums. */
export type ReductionKernel = 'bn_stats' | 'chain_bwd_reduce';

export type KernelSignature =
  /** A forward convolution; `sg`: the subgroup width its kernel shares loads across. */
  | { family: 'conv'; shape: ConvShape; sg: number }
  /** Convolution gradients: the packed weight layout (`ocb`) is part of the shape they read or write. */
  | { family: 'conv_dx'; shape: ConvGeometry; sg: number }
  | { family: 'conv_dw'; shape: ConvGeometry; sg: number }
  | { family: 'fc'; kernel: FcKernel; batch: number; inFeatures: number; outFeatures: number }
  | { family: 'reduction'; kernel: ReductionKernel; batch: number; c: number; plane: number };

/** `4x32x32`. */
const chw = (c: number, h: number, w: number) => `${c}x${h}x${w}`;

function convText(s: ConvShape): string {
  return `b${s.batch} ${chw(s.inC, s.inH, s.inW)}>${chw(s.outC, s.outH, s.outW)} k${s.kernel} s${s.stride} p${s.pad} g${s.groups}`;
}

/**
 * The signature as a key, readable as the tune table prints it:
 * `conv b128 4x32x32>8x16x16 k3 s2 p1 g1 sg8`, `conv_dw ... ocb8 sg8`, `fc_dw b128 120>10`,
 * `bn_stats b128 c8 p256`.
 */
export function signatureKey(s: KernelSignature): string {
  switch (s.family) {
    case 'conv':
      return `conv ${convText(s.shape)} sg${s.sg}`;
    case 'conv_dx':
    case 'conv_dw':
      return `${s.family} ${convText(s.shape)} ocb${s.shape.ocb} sg${s.sg}`;
    case 'fc':
      return `${s.kernel} b${s.batch} ${s.inFeatures}>${s.outFeatures}`;
    default:
      return `${s.kernel} b${s.batch} c${s.c} p${s.plane}`;
  }
}

/** The family a key's schedule belongs to (its first word names the kernel). */
export function familyOfKey(key: string): ScheduleFamily | undefined {
  const kernel = key.split(' ')[0];
  if (kernel === 'conv' || kernel === 'conv_dx' || kernel === 'conv_dw') return kernel;
  if (kernel === 'fc' || kernel === 'fc_train' || kernel === 'fc_dw' || kernel === 'fc_dx') return 'fc';
  if (kernel === 'bn_stats' || kernel === 'chain_bwd_reduce') return 'reduction';
  return undefined;
}
