// Forward convolution as an implicit matrix product with workgroup tiles (kernels/conv_gemm.wgsl):
// the gpu profile's shape for the forward conv, with the direct kernel's spec and epilogue.

import { u, type TemplateValues } from '../../../codegen/template.js';
import { packedConvValues, type ConvShape, type ConvTile } from '../../../codegen/conv-layout.js';
import { DeviceLimitError } from '../../../codegen/device-limits.js';
import { type DispatchLimits, finish, type GeneratedKernel, type Slot, type SlotAliases, splitTiles, kernelFeatures } from '../../../codegen/kernels/common.js';
import { checkGemmTiles, type GemmTiles, gemmTiles } from '../../../codegen/schedule/gemm-tiles.js';
import { type ForwardConvViews, forwardConvValues } from './conv-forward-values.js';

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
    ...forwardConvValues(spec, { ih: spec.inH, iw: spec.inW, oh: spec.outH, ow: spec.outW }),
    ...(relu ? { RELU_START: u(relu.start), RELU_END: u(relu.end) } : {}),
    KK: u(k * k),
    ...gemmTileValues(tiles, { rows: cog, columns: npix, terms: cig * k * k }, spec.tile),
    NX: u(nx),
    ...packedConvValues({ inC: spec.inC, outC: spec.outC, groups: spec.groups, kernel: k, ocb }),
  };
  return finish('conv_gemm', slots, alias, values, { RESIDUAL: !!spec.residual, RELU: relu !== undefined, ...kernelFeatures(0, spec.f16Weights === true).flags }, wg, [nx, yBlocks, nz]);
}
