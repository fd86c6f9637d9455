// The packed convolution layout, owned here for forward and backward: output-channel blocks of
// `ocb` lanes per group, the register tiles the kernels use, and the sizes of packed tensors.

import { workgroupFor } from './kernels/common.js';

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

/** The register block chosen for a convolution (also decides the packed weight layout). */
export function convTile(spec: Pick<ConvShape, 'outC' | 'groups' | 'outW' | 'outH' | 'kernel' | 'stride' | 'pad' | 'batch'> & { tile?: Partial<ConvTile> }): ConvTile {
  const cog = spec.outC / spec.groups;
  const flat = spec.kernel === 1 && spec.stride === 1 && spec.pad === 0;
  const rowLen = flat ? spec.outH * spec.outW : spec.outW;
  const ocb = spec.tile?.ocb ?? (cog <= 4 ? 4 : 8);
  const pxb = spec.tile?.pxb ?? Math.min(4, rowLen);
  const rows = flat ? 1 : spec.outH;
  const spatial = spec.batch * rows * Math.ceil(rowLen / pxb);
  const wg = spec.tile?.wg ?? workgroupFor(spatial);
  if (ocb % 4 !== 0 || ocb <= 0) throw new Error(`conv tile: ocb ${ocb} is not a positive multiple of 4`);
  return { ocb, pxb, wg };
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
