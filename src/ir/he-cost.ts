// Homomorphic-encryption (HE) cost of the linear layers (convolutions and the fully connected
// layer) in a hybrid private-inference protocol, where the server evaluates linear layers on the
// client's encrypted activations and garbled circuits do the ReLUs (src/ir/cost.ts).
//
// The protocol model is Gazelle's packed convolution, as DELPHI uses it:
// - An activation of C x H x W is packed channel by channel into ciphertexts of S slots: a ciphertext
//   holds floor(S / HW) whole channels (or, when HW > S, one channel takes ceil(HW / S) of them).
// - A k x k convolution from Cin to Cout channels rotates each input ciphertext into its k^2 - 1
//   shifted copies, multiplies each copy by plaintext weights once per output channel
//   (ct_in * Cout * k^2 plaintext-ciphertext multiplications; each covers every channel that
//   ciphertext holds), and sums the channels that share an output ciphertext with one rotation per
//   input channel packed together (ct_out * min(channels per input ciphertext, Cin) rotations).
// - The fully connected layer is a 1 x 1 convolution on a 1 x 1 image.
// - A grouped convolution costs its groups, each on its own channels.
// - Communication: the client sends the layer's input ciphertexts and receives its output
//   ciphertexts.
//
// Latency = multiplications x HE_SECONDS_PER_MULT + rotations x HE_SECONDS_PER_ROTATION
// (he-constants.ts), or the same sum with constants measured by bench/he-primitives.ts. The two
// fitted constants are fitted (least squares on the relative error, non-negative) to the HE latencies of the
// DeepReShape paper's Tables 7 and 8, 26 networks from 45M to 12G FLOPs; the per-row errors are in
// docs/passes.md ("Private-inference cost") and printed by test/pi-latency.test.ts. The fit is why
// the constants are what they are; they describe the paper's setting, not this machine.

import type { LayerGraph } from './graph.js';
import { FITTED_HE_CONSTANTS, type HeConstants } from './he-constants.js';

export { HE_SECONDS_PER_MULT, HE_SECONDS_PER_ROTATION } from './he-constants.js';

/** Slots per ciphertext: BFV with polynomial degree 8192 and batching. */
export const HE_SLOTS = 8192;
/**
 * Bytes of one ciphertext: two polynomials of degree 8192 with a 218-bit coefficient modulus (the
 * largest that 128-bit security allows at that degree).
 */
export const HE_CIPHERTEXT_BYTES = (2 * HE_SLOTS * 218) / 8;

export interface HeCost {
  multiplications: number;
  rotations: number;
  /** Ciphertexts sent and received, all layers together. */
  ciphertexts: number;
  latencySeconds: number;
  communicationBytes: number;
  /** The latency constants `latencySeconds` was priced with. */
  constants: HeConstants;
}

/** Ciphertexts holding C channels of an H x W plane, and how many channels each holds. */
function packing(channels: number, plane: number): { cts: number; perCt: number } {
  if (plane <= HE_SLOTS) {
    const perCt = Math.floor(HE_SLOTS / plane);
    return { cts: Math.ceil(channels / perCt), perCt };
  }
  return { cts: channels * Math.ceil(plane / HE_SLOTS), perCt: 1 };
}

export interface LinearLayer {
  inChannels: number;
  inPlane: number;
  outChannels: number;
  outPlane: number;
  /** Side of a square kernel. */
  kernel: number;
  /** Kernel taps when the kernel is not square (an ONNX 1x7 or 3-D convolution); kernel^2 when absent. */
  taps?: number;
  groups: number;
  /** How many times the layer runs in one inference (a fully connected layer over several rows); 1 when absent. */
  repeat?: number;
}

export function heLayerCost(l: LinearLayer): Omit<HeCost, 'latencySeconds' | 'communicationBytes' | 'constants'> {
  const ci = l.inChannels / l.groups;
  const co = l.outChannels / l.groups;
  const inP = packing(ci, l.inPlane);
  const outP = packing(co, l.outPlane);
  const taps = l.taps ?? l.kernel * l.kernel;
  const times = l.groups * (l.repeat ?? 1);
  return {
    multiplications: times * inP.cts * co * taps,
    rotations: times * (inP.cts * (taps - 1) + outP.cts * Math.min(inP.perCt, ci)),
    ciphertexts: times * (inP.cts + outP.cts),
  };
}

/** The linear layers of a graph, as the HE model sees them. */
export function linearLayers(g: LayerGraph): LinearLayer[] {
  const out: LinearLayer[] = [];
  for (const n of g.nodes) {
    if (n.op !== 'conv' && n.op !== 'fc') continue;
    const i = g.nodes[n.input].shape;
    out.push(
      n.op === 'conv'
        ? { inChannels: i.c, inPlane: i.h * i.w, outChannels: n.outChannels, outPlane: n.shape.h * n.shape.w, kernel: n.kernel, groups: n.groups }
        : { inChannels: i.c * i.h * i.w, inPlane: 1, outChannels: n.outFeatures, outPlane: 1, kernel: 1, groups: 1 },
    );
  }
  return out;
}

/** The HE cost of a graph's linear layers, priced with the fitted constants unless given others. */
export function heCost(g: LayerGraph, constants: HeConstants = FITTED_HE_CONSTANTS): HeCost {
  return heCostOfLayers(linearLayers(g), constants);
}

/** The HE cost of linear layers however they were found (a layer graph, an ONNX file). */
export function heCostOfLayers(layers: readonly LinearLayer[], constants: HeConstants = FITTED_HE_CONSTANTS): HeCost {
  const total = { multiplications: 0, rotations: 0, ciphertexts: 0 };
  for (const l of layers) {
    const c = heLayerCost(l);
    total.multiplications += c.multiplications;
    total.rotations += c.rotations;
    total.ciphertexts += c.ciphertexts;
  }
  return {
    ...total,
    latencySeconds: total.multiplications * constants.secondsPerMultiplication + total.rotations * constants.secondsPerRotation,
    communicationBytes: total.ciphertexts * HE_CIPHERTEXT_BYTES,
    constants: { ...constants },
  };
}
