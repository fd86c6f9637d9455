// How a workgroup of an implicit-product conv kernel (kernels/conv_gemm.wgsl, kernels/train/
// conv_dx_gemm.wgsl) cuts its output tile: what the schedules weigh and the generators check.

import type { ConvTile } from '../conv-layout.js';
import { pow2AtLeast } from '../kernels/common.js';

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

