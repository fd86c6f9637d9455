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
  /** Channels (rows of the result) per workgroup tile: 4 per invocation, a power of two from 4 to 32. */
  tm: number;
  /** Pixels per workgroup tile. */
  tn: number;
  tk: number;
  /** Invocations along the pixels. */
  tnt: number;
  /** Bytes of workgroup memory the tiles take. */
  bytes: number;
}

/** The tiles of a tile schedule (`pxb` pixels per invocation, `wg` invocations) for `rows` channels per group. */
export function gemmTiles(rows: number, t: Pick<ConvTile, 'pxb' | 'wg'>): GemmTiles {
  const tm = Math.min(32, Math.max(4, pow2AtLeast(rows)));
  const tnt = Math.max(1, Math.floor(t.wg / (tm / 4)));
  const tn = tnt * t.pxb;
  return { tm, tn, tk: GEMM_TK, tnt, bytes: GEMM_TK * (tm + tn) * 4 };
}

/**
 * The values of kernels/lib/gemm_tiles.wgsl but NX (the dispatch's split): a result of `rows`
 * channels per group by `columns` pixels, each a product over `terms`.
 */
export function gemmTileValues(tiles: GemmTiles, d: { rows: number; columns: number; terms: number }, t: Pick<ConvTile, 'pxb' | 'wg'>): TemplateValues {
  return {
    ROWS: u(d.rows),
    NPIX: u(d.columns),
    KDIM: u(d.terms),
    TM: u(tiles.tm),
    TN: u(tiles.tn),
    TK: u(tiles.tk),
    TNT: u(tiles.tnt),
    PXB: u(t.pxb),
    MT: u(Math.ceil(d.rows / tiles.tm)),
    WG: t.wg,
  };
}

/**
 * Fails (an internal error: the schedules keep within these) when `wg` is not whole rows of the
 * tile's invocations or the tiles do not fit in workgroup memory.
 */
export function checkGemmTiles(name: string, tiles: GemmTiles, t: Pick<ConvTile, 'pxb' | 'wg'>): void {
  if (!Number.isInteger(t.pxb) || t.pxb < 1) throw new Error(`${name}: tile pxb ${t.pxb} is not a positive integer`);
  if (t.wg % (tiles.tm / 4) !== 0) throw new Error(`${name}: workgroup ${t.wg} is not a multiple of the ${tiles.tm / 4} invocations a tile of ${tiles.tm} channels needs`);
  if (tiles.bytes > GEMM_WORKGROUP_BYTES) throw new Error(`${name}: tiles of ${tiles.tm} channels x ${tiles.tn} pixels need ${tiles.bytes} bytes of workgroup memory, above ${GEMM_WORKGROUP_BYTES}`);
}

/**
 * Invocations of an implicit-product kernel under tile schedule `t`: `rows` channels per group of
 * the result by `columns` pixels (over the whole batch).
 */
export function gemmInvocations(d: { rows: number; groups: number; columns: number }, t: Pick<ConvTile, 'pxb' | 'wg'>): number {
  const { tm, tn } = gemmTiles(d.rows, t);
  return Math.ceil(d.columns / tn) * t.wg * d.groups * Math.ceil(d.rows / tm);
}

/** What the implicit-product kernel needs of a forward conv's spec. */
export interface GemmConvSpec extends ConvShape, ForwardConvViews {
  relu?: { start: number; end: number };
  tile: ConvTile;
  f16Weights?: boolean;
}

export function genConvGemm(spec: GemmConvSpec, alias: SlotAliases, limits: DispatchLimits): GeneratedKernel {
  const { ocb, wg } = spec.tile;
  const cog = spec.outC / spec.groups;
  const tiles = gemmTiles(cog, spec.tile);
  checkGemmTiles(`${spec.name}: conv`, tiles, spec.tile);
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
    ...gemmTileValues(tiles, { rows: cog, columns: npix, terms: cig * k * k }, spec.tile),
    NX: u(nx),
    ...packedConvValues({ inC: spec.inC, outC: spec.outC, groups: spec.groups, kernel: k, ocb }),
  };
  return finish('conv_gemm', slots, alias, values, { RESIDUAL: !!spec.residual, RELU: relu !== undefined }, wg, [nx, yBlocks, nz]);
}
