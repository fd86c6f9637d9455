// The packed convolution layout as the kernels see it, for forward and backward: the register
// tiles, the sizes of packed tensors and the plane constants. Packing itself (weights.ts layout to
// the packed one and back) lives in src/program/param-layout.ts, where the program's upload and
// read-back transforms use it.

import { u } from './template.js';

/** A forward convolution's register tile and workgroup (its schedule: see schedule/conv.ts). */
export interface ConvTile {
  /** Output channels per invocation: a multiple of 4. */
  ocb: number;
  /** Output pixels (along a row) per invocation. */
  pxb: number;
  /** Invocations per workgroup. */
  wg: number;
  /**
   * Output rows per invocation of the direct kernel (default 1): the block's input rows are read
   * once each, for every output row they feed, and the whole window is unrolled.
   */
  rows?: number;
  /**
   * The implicit-product kernel with workgroup tiles (kernels/conv_gemm.wgsl) in place of the
   * direct one: ocb then only fixes the packed layout, and pxb counts pixels per invocation across
   * rows and images. Absent: the direct kernel.
   */
  gemm?: boolean;
  /**
   * The direct kernel's halo by subgroupShuffle: the input columns a pixel block's window reads
   * beyond its own (the padding's width on either side, at stride 1 with rows that keep their
   * width) come from the lanes that compute the neighbouring blocks of the row, which load them as
   * part of their own aligned vec4 quads; a lane whose neighbour is in another subgroup loads them
   * itself. Only where schedule/conv.ts's haloApplies allows it and the input views are 4-aligned;
   * else, and when absent, every lane loads its halo.
   */
  halo?: boolean;
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

/** The constants of kernels/lib/packed_conv.wgsl (the packed layout's index math) for a convolution. */
export function packedConvValues(g: Pick<ConvGeometry, 'inC' | 'outC' | 'groups' | 'kernel' | 'ocb'>): Record<string, string> {
  return {
    PACK_CIG: u(g.inC / g.groups),
    PACK_KK: u(g.kernel * g.kernel),
    PACK_OCB: u(g.ocb),
    PACK_OBG: u(Math.ceil(g.outC / g.groups / g.ocb)),
  };
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

/** The plane sizes every convolution template declares: input and output rows, columns, planes. */
export function planeValues(d: { ih: number; iw: number; oh: number; ow: number }): Record<string, string> {
  return { IH: u(d.ih), IW: u(d.iw), IHW: u(d.ih * d.iw), OH: u(d.oh), OW: u(d.ow), OHW: u(d.oh * d.ow) };
}
