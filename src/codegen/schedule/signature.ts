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

/**
 * The per-element kernels: a chain's batch norm, add and ReLU (forward) with its sizes as constants
 * (inference) or as dispatch arguments (training), and the chain's gradient.
 */
export type ElementwiseKernel = 'ewise' | 'ewise_train' | 'chain_bwd';

export type KernelSignature =
  /** A forward convolution; `sg`: the subgroup width its kernel shares loads across. */
  | { family: 'conv'; shape: ConvShape; sg: number }
  /** Convolution gradients: the packed weight layout (`ocb`) is part of the shape they read or write. */
  | { family: 'conv_dx'; shape: ConvGeometry; sg: number }
  | { family: 'conv_dw'; shape: ConvGeometry; sg: number }
  | { family: 'fc'; kernel: FcKernel; batch: number; inFeatures: number; outFeatures: number }
  | { family: 'reduction'; kernel: ReductionKernel; batch: number; c: number; plane: number }
  /** `vec`: the elements' vector width (4 where the plane and every view are multiples of 4, else 1). */
  | { family: 'elementwise'; kernel: ElementwiseKernel; batch: number; c: number; plane: number; vec: number };

/** `4x32x32`. */
const chw = (c: number, h: number, w: number) => `${c}x${h}x${w}`;

function convText(s: ConvShape): string {
  return `b${s.batch} ${chw(s.inC, s.inH, s.inW)}>${chw(s.outC, s.outH, s.outW)} k${s.kernel} s${s.stride} p${s.pad} g${s.groups}`;
}

/**
 * The signature as a key, readable as the tune table prints it:
 * `conv b128 4x32x32>8x16x16 k3 s2 p1 g1 sg8`, `conv_dw ... ocb8 sg8`, `fc_dw b128 120>10`,
 * `bn_stats b128 c8 p256`, `ewise b128 c8 p256 v4`.
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
    case 'elementwise':
      return `${s.kernel} b${s.batch} c${s.c} p${s.plane} v${s.vec}`;
    default:
      return `${s.kernel} b${s.batch} c${s.c} p${s.plane}`;
  }
}

const CONV = /^(conv|conv_dx|conv_dw) b(\d+) (\d+)x(\d+)x(\d+)>(\d+)x(\d+)x(\d+) k(\d+) s(\d+) p(\d+) g(\d+)(?: ocb(\d+))? sg(\d+)$/;
const FC = /^(fc|fc_train|fc_dw|fc_dx) b(\d+) (\d+)>(\d+)$/;
const REDUCTION = /^(bn_stats|chain_bwd_reduce) b(\d+) c(\d+) p(\d+)$/;
const ELEMENTWISE = /^(ewise|ewise_train|chain_bwd) b(\d+) c(\d+) p(\d+) v(1|4)$/;

/** The signature a key names (signatureKey's inverse), or undefined for text that is not a key. */
export function parseSignatureKey(key: string): KernelSignature | undefined {
  const n = (x: string) => Number(x);
  let m = CONV.exec(key);
  if (m) {
    const [, kernel, batch, inC, inH, inW, outC, outH, outW, k, stride, pad, groups, ocb, sg] = m;
    const shape: ConvShape = { batch: n(batch), inC: n(inC), inH: n(inH), inW: n(inW), outC: n(outC), outH: n(outH), outW: n(outW), kernel: n(k), stride: n(stride), pad: n(pad), groups: n(groups) };
    if (kernel === 'conv') return ocb === undefined ? { family: 'conv', shape, sg: n(sg) } : undefined;
    if (ocb === undefined) return undefined;
    return { family: kernel as 'conv_dx' | 'conv_dw', shape: { ...shape, ocb: n(ocb) }, sg: n(sg) };
  }
  m = FC.exec(key);
  if (m) return { family: 'fc', kernel: m[1] as FcKernel, batch: n(m[2]), inFeatures: n(m[3]), outFeatures: n(m[4]) };
  m = REDUCTION.exec(key);
  if (m) return { family: 'reduction', kernel: m[1] as ReductionKernel, batch: n(m[2]), c: n(m[3]), plane: n(m[4]) };
  m = ELEMENTWISE.exec(key);
  if (m) return { family: 'elementwise', kernel: m[1] as ElementwiseKernel, batch: n(m[2]), c: n(m[3]), plane: n(m[4]), vec: n(m[5]) };
  return undefined;
}

/** The family a key's schedule belongs to (its first word names the kernel). */
export function familyOfKey(key: string): ScheduleFamily | undefined {
  return parseSignatureKey(key)?.family;
}
