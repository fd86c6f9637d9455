// Forward convolution (kernels/conv.wgsl), with a folded batch norm, a residual add and a ReLU
// range in its epilogue (the tables of the window it computes are conv-window.ts's).

import { type TemplateItem, u, type TemplateValues } from '../../../codegen/template.js';
import { convPacking } from '../../../program/param-layout.js';
import { packedConvValues } from '../../../codegen/conv-layout.js';
import { DeviceLimitError } from '../../../codegen/device-limits.js';
import { type StoreItem, storeBlock } from './store-loop.js';
import { genConvGemm } from './conv-gemm.js';
import { forwardConvValues } from './conv-forward-values.js';
import type { ConvKernelSpec } from '../../../codegen/conv-kernels.js';
import { choose, windowTables, type ConvLayoutChoice } from './conv-window.js';
import { DEFAULT_DISPATCH_LIMITS, finish, type GeneratedKernel, type Slot, type SlotAliases, splitTiles, kernelFeatures } from '../../../codegen/kernels/common.js';

/**
 * The epilogue's tables and flags (kernels/lib/conv_epilogue.wgsl): per output row of the block,
 * its vec4 store block or its pixels; per accumulator vec4, its bias and channels.
 */
function epilogueTables(c: ConvLayoutChoice): { values: TemplateValues; flags: Record<string, boolean> } {
  const { spec, nv, pxb, rb } = c;
  const chTail = c.cog % c.ocb !== 0;
  const relu = spec.relu && spec.relu.end > spec.relu.start ? spec.relu : undefined;
  const reluAll = relu !== undefined && relu.start === 0 && relu.end === spec.outC;
  // Store item (q, v, j): the quad of pixels q*4 .. q*4 + 3 of channel 4v + j, as one vec4.
  const stores = (slot: number): StoreItem[] => {
    const items: StoreItem[] = [];
    for (let q = 0; q < pxb / 4; q++) {
      for (let v = 0; v < nv; v++) {
        for (let j = 0; j < 4; j++) {
          const ch = v * 4 + j;
          const comp = 'xyzw'[j];
          const px = [0, 1, 2, 3].map((t) => `a${slot + q * 4 + t}_${v}.${comp}`).join(', ');
          items.push({ value: `vec4<f32>(${px}) + b${v}.${comp}`, offset: `${u(ch)} * (OUT_HW / 4u) + ${u(q)}`, channel: u(ch), ...(chTail ? { when: `ocl + ${u(ch)} < COG` } : {}) });
        }
      }
    }
    return items;
  };
  const rows: TemplateItem[] = Array.from({ length: rb }, (_, r) => ({
    r,
    ru: u(r),
    oy: rb === 1 ? 'oy' : `oy_${r}`,
    stores: c.vecOut ? [storeBlock(stores(r * pxb))] : [],
    pixels: c.vecOut ? [] : Array.from({ length: pxb }, (_, px) => ({ pxu: u(px), a: r * pxb + px })),
  }));
  const vecs = Array.from({ length: nv }, (_, v) => ({ v, vu: u(v), channels: [0, 1, 2, 3].map((j) => ({ ch: u(v * 4 + j), comp: 'xyzw'[j] })) }));
  return {
    values: {
      NV: u(nv),
      OUT_VECS: vecs,
      OUT_ROWS: rows,
      STORE_BUFFER: '{{y_out}}',
      ...(relu && !reluAll ? { RELU_START: u(relu.start), RELU_END: u(relu.end) } : {}),
    },
    flags: { VEC_OUT: c.vecOut, PX_TAIL: c.ow % pxb !== 0, CH_TAIL: chTail, RELU_ALL: reluAll, RELU_RANGE: relu !== undefined && !reluAll },
  };
}

export function genConv(spec: ConvKernelSpec, alias: SlotAliases = {}, limits = DEFAULT_DISPATCH_LIMITS): GeneratedKernel {
  if (spec.tile.gemm) return genConvGemm(spec, alias, limits);
  const { ocb, pxb, wg } = spec.tile;
  const rb = spec.tile.rows ?? 1;
  if (ocb % 4 !== 0 || ocb <= 0) throw new Error(`${spec.name}: conv tile ocb ${ocb} is not a positive multiple of 4`);
  const c = choose(spec, alias, ocb, pxb, rb);
  const { nv, k, sg } = c;
  if (pxb < 1 || pxb > c.ow) throw new Error(`${spec.name}: conv tile pxb ${pxb} is not 1 to the row's ${c.ow} pixels`);
  if (!Number.isInteger(rb) || rb < 1 || rb > c.oh) throw new Error(`${spec.name}: conv tile rows ${rb} is not 1 to the image's ${c.oh} rows`);
  // subgroupBroadcast reads lanes 0 .. sg-1: a workgroup must be whole subgroups
  if (sg > 0 && wg % sg !== 0) throw new Error(`${spec.name}: conv workgroup ${wg} is not a multiple of the subgroup width ${sg}`);
  const g = spec.groups;
  const rowBlocks = Math.ceil(c.oh / rb);
  const spatial = spec.batch * rowBlocks * c.wb;
  const { obPerGroup, blocks } = convPacking(spec.outC, g, ocb);
  if (blocks > limits.maxComputeWorkgroupsPerDimension) {
    throw new DeviceLimitError(`${spec.name}: ${spec.outC} output channels need ${blocks} workgroups along y, above the device's maxComputeWorkgroupsPerDimension (${limits.maxComputeWorkgroupsPerDimension})`);
  }
  const { nx, nz } = splitTiles(Math.ceil(spatial / wg), limits, spec.name);
  const acc: TemplateItem[] = [];
  for (let px = 0; px < rb * pxb; px++) for (let v = 0; v < nv; v++) acc.push({ px, v });
  const window = windowTables(c);
  const features = kernelFeatures(sg, spec.f16Weights === true);
  const epilogue = epilogueTables(c);
  const slots: Slot[] = [
    { name: 'x_in', type: 'array<f32>', write: false },
    { name: 'wgt', type: spec.f16Weights ? 'array<vec4<f16>>' : 'array<vec4<f32>>', write: false },
    { name: 'bias', type: 'array<vec4<f32>>', write: false },
    { name: 'y_out', type: c.vecOut ? 'array<vec4<f32>>' : 'array<f32>', write: true },
  ];
  if (c.vecIn) slots.splice(1, 0, { name: 'x_in4', type: 'array<vec4<f32>>', write: false });
  if (spec.residual) slots.push({ name: 'r_in', type: c.vecOut ? 'array<vec4<f32>>' : 'array<f32>', write: false });
  const values: TemplateValues = {
    ...forwardConvValues(spec, c),
    OBG: u(obPerGroup),
    KKNV: u(k * k * nv),
    ...packedConvValues({ inC: spec.inC, outC: spec.outC, groups: g, kernel: k, ocb }),
    ...features.values,
    PXB: u(pxb),
    WB: u(c.wb),
    SPATIAL: u(spatial),
    NX: u(nx),
    WG: wg,
    OCB: ocb,
    ACC: acc,
    ...window.values,
    ...epilogue.values,
    ...(rb > 1 ? { RB: u(rb), ROW_BLOCKS: u(rowBlocks) } : {}),
    ...(c.halo ? { SG_LAST: u(sg - 1) } : {}),
  };
  return finish('conv', slots, alias, values, { RESIDUAL: !!spec.residual, ROWS: rb > 1, HALO: c.halo, ...features.flags, ...window.flags, ...epilogue.flags }, wg, [nx, blocks, nz]);
}
