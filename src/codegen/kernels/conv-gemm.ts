// Forward convolution as an implicit matrix product with workgroup tiles (kernels/conv_gemm.wgsl):
// the gpu profile's shape for the forward conv, with the direct kernel's spec and epilogue.

import { u, type TemplateValues } from '../template.js';
import { packedConvValues, type ConvShape, type ConvTile } from '../conv-layout.js';
import { DeviceLimitError } from '../device-limits.js';
import { type DispatchLimits, finish, type GeneratedKernel, pow2AtLeast, type Slot, type SlotAliases, splitTiles, withF16 } from './common.js';
import { type ForwardConvViews, forwardConvValues } from './conv-forward-values.js';

/** Product terms each step of the kernel copies into workgroup memory. */
const GEMM_TK = 8;

/**
 * Workgroup memory every WebGPU device offers (the default maxComputeWorkgroupStorageSize); the
 * tiles are kept within it so that the kernel compiles under default limits.
 */
export const GEMM_WORKGROUP_BYTES = 16384;

/** How a workgroup of the implicit-product kernel cuts its output tile. */
export interface GemmTiles {
  /** Output channels per workgroup tile: 4 per invocation row, a power of two from 4 to 32. */
  tm: number;
  /** Pixels per workgroup tile. */
  tn: number;
  tk: number;
  /** Invocations along the pixels. */
  tnt: number;
  /** Bytes of workgroup memory the tiles take. */
  bytes: number;
}

/** The tiles of a tile schedule (`pxb` pixels per invocation, `wg` invocations) for `cog` channels per group. */
export function gemmTiles(cog: number, t: Pick<ConvTile, 'pxb' | 'wg'>): GemmTiles {
  const tm = Math.min(32, Math.max(4, pow2AtLeast(cog)));
  const tnt = Math.max(1, Math.floor(t.wg / (tm / 4)));
  const tn = tnt * t.pxb;
  return { tm, tn, tk: GEMM_TK, tnt, bytes: GEMM_TK * (tm + tn) * 4 };
}

/** Invocations of the implicit-product kernel for a shape and tile schedule. */
export function gemmInvocations(s: Pick<ConvShape, 'outC' | 'groups' | 'outH' | 'outW' | 'batch'>, t: Pick<ConvTile, 'pxb' | 'wg'>): number {
  const cog = s.outC / s.groups;
  const { tm, tn } = gemmTiles(cog, t);
  return Math.ceil((s.batch * s.outH * s.outW) / tn) * t.wg * s.groups * Math.ceil(cog / tm);
}

/** What the implicit-product kernel needs of a forward conv's spec. */
export interface GemmConvSpec extends ConvShape, ForwardConvViews {
  relu?: { start: number; end: number };
  tile: ConvTile;
  f16Weights?: boolean;
}

export function genConvGemm(spec: GemmConvSpec, alias: SlotAliases, limits: DispatchLimits): GeneratedKernel {
  const { ocb, pxb, wg } = spec.tile;
  const cog = spec.outC / spec.groups;
  const tiles = gemmTiles(cog, spec.tile);
  if (!Number.isInteger(pxb) || pxb < 1) throw new Error(`${spec.name}: conv tile pxb ${pxb} is not a positive integer`);
  if (wg % (tiles.tm / 4) !== 0) throw new Error(`${spec.name}: conv workgroup ${wg} is not a multiple of the ${tiles.tm / 4} invocations a tile of ${tiles.tm} channels needs`);
  if (tiles.bytes > GEMM_WORKGROUP_BYTES) throw new Error(`${spec.name}: conv tiles of ${tiles.tm} channels x ${tiles.tn} pixels need ${tiles.bytes} bytes of workgroup memory, above ${GEMM_WORKGROUP_BYTES}`);
  const npix = spec.batch * spec.outH * spec.outW;
  const yBlocks = spec.groups * Math.ceil(cog / tiles.tm);
  if (yBlocks > limits.maxComputeWorkgroupsPerDimension) {
    throw new DeviceLimitError(`${spec.name}: ${spec.outC} output channels need ${yBlocks} workgroups along y, above the device's maxComputeWorkgroupsPerDimension (${limits.maxComputeWorkgroupsPerDimension})`);
  }
  const { nx, nz } = splitTiles(Math.ceil(npix / tiles.tn), limits, spec.name);
  const relu = spec.relu && spec.relu.end > spec.relu.start ? spec.relu : undefined;
  const slots: Slot[] = [
    { name: 'x_in', type: 'array<f32>', write: false },
    { name: 'wgt', type: spec.f16Weights ? 'array<vec4<f16>>' : 'array<vec4<f32>>', write: false },
    { name: 'bias', type: 'array<f32>', write: false },
    { name: 'y_out', type: 'array<f32>', write: true },
  ];
  if (spec.residual) slots.push({ name: 'r_in', type: 'array<f32>', write: false });
  const k = spec.kernel;
  const cig = spec.inC / spec.groups;
  const values: TemplateValues = {
    ...withF16({ ENABLE: '' }, spec.f16Weights === true),
    ...forwardConvValues(spec, { ih: spec.inH, iw: spec.inW, oh: spec.outH, ow: spec.outW }),
    ...(relu ? { RELU_START: u(relu.start), RELU_END: u(relu.end) } : {}),
    KK: u(k * k),
    KDIM: u(cig * k * k),
    NPIX: u(npix),
    TM: u(tiles.tm),
    TN: u(tiles.tn),
    TK: u(tiles.tk),
    TNT: u(tiles.tnt),
    PXB: u(pxb),
    MT: u(Math.ceil(cog / tiles.tm)),
    NX: u(nx),
    WG: wg,
    ...packedConvValues({ inC: spec.inC, outC: spec.outC, groups: spec.groups, kernel: k, ocb }),
  };
  return finish('conv_gemm', slots, alias, values, { RESIDUAL: !!spec.residual, RELU: relu !== undefined }, wg, [nx, yBlocks, nz]);
}
