// The packed parameter layout that the conv kernels read: output-channel blocks of `ocb` lanes
// per group, and packing and unpacking between it and weights.ts's PyTorch layout. Codegen sizes
// buffers by it and the program's upload and read-back transforms (uploads.ts) apply it; it holds
// no WGSL.

import { numel } from '../weights/weights.js';

/** Packed layout sizes for a convolution's weights and bias (see kernels/conv.wgsl). */
export function convPacking(outC: number, groups: number, ocb: number): { obPerGroup: number; blocks: number } {
  const cog = outC / groups;
  const obPerGroup = Math.ceil(cog / ocb);
  return { obPerGroup, blocks: groups * obPerGroup };
}

/** How a trainable tensor is stored in the flat parameter buffer. */
export type ParamLayout =
  | { kind: 'plain' }
  | { kind: 'conv-weight'; outC: number; inC: number; kernel: number; groups: number; ocb: number }
  | { kind: 'conv-bias'; outC: number; groups: number; ocb: number };

/** A tensor's place in a flat parameter buffer. */
export interface PackedParam {
  /** Its shape in weights.ts (PyTorch layout). */
  shape: number[];
  /** Float offset in the flat buffer. */
  offset: number;
  /** Floats it occupies there (the packed layout plus any kernel padding). */
  length: number;
  layout: ParamLayout;
}

/** The bias in output-channel blocks: index ob * ocb + l (zero past the end of a group's channels). */
export function packConvBias(bias: ArrayLike<number>, outC: number, groups: number, ocb: number): Float32Array {
  const cog = outC / groups;
  const { obPerGroup, blocks } = convPacking(outC, groups, ocb);
  const out = new Float32Array(blocks * ocb);
  for (let oc = 0; oc < outC; oc++) {
    const g = Math.floor(oc / cog);
    const ocl = oc - g * cog;
    out[(g * obPerGroup + Math.floor(ocl / ocb)) * ocb + (ocl % ocb)] = bias[oc];
  }
  return out;
}

/**
 * The conv kernel's weight layout: vec4 index ((ob * CIG + ic) * K*K + ky*K + kx) * NV + v holds
 * output channels ocl + 4v .. ocl + 4v + 3 of output-channel block ob (zero-filled past the end of
 * a group's channels). Bias: vec4 index ob * NV + v, same channels.
 */
export function packConv(
  weight: Float32Array,
  bias: Float32Array,
  outC: number,
  inC: number,
  kernel: number,
  groups: number,
  ocb: number,
): { weight: Float32Array; bias: Float32Array } {
  const cig = inC / groups;
  const cog = outC / groups;
  const kk = kernel * kernel;
  const { obPerGroup, blocks } = convPacking(outC, groups, ocb);
  const w = new Float32Array(blocks * cig * kk * ocb);
  for (let g = 0; g < groups; g++) {
    for (let bl = 0; bl < obPerGroup; bl++) {
      const ob = g * obPerGroup + bl;
      for (let l = 0; l < ocb; l++) {
        const ocl = bl * ocb + l;
        if (ocl >= cog) continue;
        const oc = g * cog + ocl;
        for (let ic = 0; ic < cig; ic++) {
          for (let t = 0; t < kk; t++) {
            w[((ob * cig + ic) * kk + t) * ocb + l] = weight[(oc * cig + ic) * kk + t];
          }
        }
      }
    }
  }
  return { weight: w, bias: packConvBias(bias, outC, groups, ocb) };
}

/** Inverse of packConv for the weight: packed -> [outC, inC/groups, k, k]. */
export function unpackConvWeight(packed: Float32Array, outC: number, inC: number, kernel: number, groups: number, ocb: number): Float32Array {
  const cig = inC / groups;
  const cog = outC / groups;
  const kk = kernel * kernel;
  const obg = Math.ceil(cog / ocb);
  const w = new Float32Array(outC * cig * kk);
  for (let g = 0; g < groups; g++) {
    for (let ocl = 0; ocl < cog; ocl++) {
      const ob = g * obg + Math.floor(ocl / ocb);
      const l = ocl % ocb;
      const oc = g * cog + ocl;
      for (let ic = 0; ic < cig; ic++) for (let t = 0; t < kk; t++) w[(oc * cig + ic) * kk + t] = packed[((ob * cig + ic) * kk + t) * ocb + l];
    }
  }
  return w;
}

/** Inverse of packConv for the bias: packed blocks -> [outC]. */
export function unpackConvBias(packed: Float32Array, outC: number, groups: number, ocb: number): Float32Array {
  const cog = outC / groups;
  const obg = Math.ceil(cog / ocb);
  const b = new Float32Array(outC);
  for (let oc = 0; oc < outC; oc++) {
    const g = Math.floor(oc / cog);
    const ocl = oc - g * cog;
    b[oc] = packed[(g * obg + Math.floor(ocl / ocb)) * ocb + (ocl % ocb)];
  }
  return b;
}

/** A tensor in weights.ts layout -> its contents in the flat buffer (length `entry.length`). */
export function packParam(entry: Pick<PackedParam, 'length' | 'layout'>, data: Float32Array): Float32Array {
  const out = new Float32Array(entry.length);
  const l = entry.layout;
  if (l.kind === 'conv-weight') {
    const packed = packConv(data, new Float32Array(l.outC), l.outC, l.inC, l.kernel, l.groups, l.ocb).weight;
    out.set(packed);
  } else if (l.kind === 'conv-bias') {
    out.set(packConvBias(data, l.outC, l.groups, l.ocb));
  } else {
    out.set(data);
  }
  return out;
}

/** Contents of the flat buffer (from entry.offset) -> the tensor in weights.ts layout. */
export function unpackParam(entry: PackedParam, flat: Float32Array): Float32Array {
  const slice = flat.subarray(entry.offset, entry.offset + entry.length);
  const l = entry.layout;
  if (l.kind === 'conv-weight') return unpackConvWeight(slice, l.outC, l.inC, l.kernel, l.groups, l.ocb);
  if (l.kind === 'conv-bias') return unpackConvBias(slice, l.outC, l.groups, l.ocb);
  return Float32Array.from(slice.subarray(0, numel(entry.shape)));
}
