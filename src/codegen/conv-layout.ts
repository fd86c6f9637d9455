// The packed convolution layout, owned here for forward and backward: output-channel blocks of
// `ocb` lanes per group, the register tiles the kernels use, the sizes of packed tensors, and
// packing and unpacking between it and weights.ts's PyTorch layout. The runtime only moves the
// packed buffers.

import { numel } from '../weights/weights.js';
import { u } from './template.js';

/** A forward convolution's register tile and workgroup (its schedule: see schedule/conv.ts). */
export interface ConvTile {
  /** Output channels per invocation: a multiple of 4. */
  ocb: number;
  /** Output pixels (along a row) per invocation. */
  pxb: number;
  /** Invocations per workgroup. */
  wg: number;
}

/** A convolution's shape: input and output C x H x W per image, the window, and the groups. */
export interface ConvShape {
  batch: number;
  inC: number;
  inH: number;
  inW: number;
  outC: number;
  outH: number;
  outW: number;
  kernel: number;
  stride: number;
  pad: number;
  groups: number;
}

/** Packed layout sizes for a convolution's weights and bias (see kernels/conv.wgsl). */
export function convPacking(outC: number, groups: number, ocb: number): { obPerGroup: number; blocks: number } {
  const cog = outC / groups;
  const obPerGroup = Math.ceil(cog / ocb);
  return { obPerGroup, blocks: groups * obPerGroup };
}

export interface ConvGeometry extends ConvShape {
  /** Output channels per packed weight block (the forward kernel's tile.ocb): 4 or 8, a multiple of 4. */
  ocb: number;
}

function convFlat(g: ConvGeometry): boolean {
  return g.kernel === 1 && g.stride === 1 && g.pad === 0;
}

/** The spatial dims the kernels work on (a flat 1x1 convolution is one long row). */
export function convDims(g: ConvGeometry) {
  const flat = convFlat(g);
  return {
    ih: flat ? 1 : g.inH,
    iw: flat ? g.inH * g.inW : g.inW,
    oh: flat ? 1 : g.outH,
    ow: flat ? g.outH * g.outW : g.outW,
  };
}

export function convBlocks(g: ConvGeometry) {
  const cig = g.inC / g.groups;
  const cog = g.outC / g.groups;
  const obg = Math.ceil(cog / g.ocb);
  return { cig, cog, obg, blocks: g.groups * obg, nv: g.ocb / 4, kk: g.kernel * g.kernel };
}

/** Floats of the packed weight layout (without the forward kernel's subgroup padding). */
export function packedConvSize(g: Pick<ConvGeometry, 'inC' | 'outC' | 'groups' | 'kernel' | 'ocb'>): number {
  const cig = g.inC / g.groups;
  const obg = Math.ceil(g.outC / g.groups / g.ocb);
  return g.groups * obg * cig * g.kernel * g.kernel * g.ocb;
}

/**
 * Floats kept after a packed conv weight for the forward kernel's subgroup loads: the lanes of a
 * row's last load may read up to `sg` - 1 vec4s past the row (never used, but they must be inside
 * the buffer when Dawn's bounds checks are off).
 */
export function convWeightPadding(sg: number): number {
  return sg > 0 ? 4 * sg : 0;
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

/** The plane sizes every convolution template declares: input and output rows, columns, planes. */
export function planeValues(d: { ih: number; iw: number; oh: number; ow: number }): Record<string, string> {
  return { IH: u(d.ih), IW: u(d.iw), IHW: u(d.ih * d.iw), OH: u(d.oh), OW: u(d.ow), OHW: u(d.oh * d.ow) };
}
