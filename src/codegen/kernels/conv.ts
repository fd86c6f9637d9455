// Forward convolution (kernels/conv.wgsl), with a folded batch norm, a residual add and a ReLU
// range in its epilogue (the window it computes is built in conv-window.ts).

import { u, type TemplateValues } from '../template.js';
import { convPacking } from '../../program/param-layout.js';
import { packedConvValues } from '../conv-layout.js';
import { DeviceLimitError } from '../device-limits.js';
import { type StoreItem, storeBlock } from './store-loop.js';
import { genConvGemm } from './conv-gemm.js';
import { forwardConvValues } from './conv-forward-values.js';
import { choose, windowBody, windowRowsBody, type ConvKernelSpec, type ConvLayoutChoice } from './conv-window.js';
import { DEFAULT_DISPATCH_LIMITS, finish, type GeneratedKernel, type Slot, type SlotAliases, splitTiles, subgroupValues, withF16 } from './common.js';

export type { ConvKernelSpec };

/** The WGSL applying a ReLU range to `e` at channel expression `ch`, if any. */
function reluLineFor(spec: ConvKernelSpec, type: 'f32' | 'vec4<f32>'): (ch: string, e: string) => string | undefined {
  const relu = spec.relu && spec.relu.end > spec.relu.start ? spec.relu : undefined;
  const fullRelu = relu && relu.start === 0 && relu.end === spec.outC;
  return (ch, e) => {
    const zero = type === 'f32' ? '0.0' : 'vec4<f32>(0.0)';
    if (fullRelu) return `${e} = max(${e}, ${zero});`;
    if (relu) return `if (${ch} >= ${u(relu.start)} && ${ch} < ${u(relu.end)}) { ${e} = max(${e}, ${zero}); }`;
    return undefined;
  };
}

/** Stores of 4 pixels per channel as one vec4 (in a loop: see store-loop.ts). */
function vecEpilogue(c: ConvLayoutChoice, epi: string[], row: EpilogueRow = FIRST_ROW): void {
  const { spec, nv, pxb } = c;
  const { oy, slot, ind: pre } = row;
  const chTail = c.cog % c.ocb !== 0;
  const reluLine = reluLineFor(spec, 'vec4<f32>');
  epi.push(`${pre}  let o = (n * OUT_BATCH_STRIDE + OUT_OFFSET + oc0 * OUT_HW + ${oy} * OUT_W + ox0) / 4u;`);
  if (spec.residual) epi.push(`${pre}  let ro = (n * RES_BATCH_STRIDE + RES_OFFSET + oc0 * OUT_HW + ${oy} * OUT_W + ox0) / 4u;`);
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
  const body = ({ v, off, ch }: { v: string; off: string; ch: string }) => {
    const lines: string[] = [];
    if (spec.residual) lines.push(`${v} += {{r_in}}[ro + ${off}];`);
    const r = reluLine(`oc0 + ${ch}`, v);
    if (r) lines.push(r);
    lines.push(`{{y_out}}[o + ${off}] = ${v};`);
    return lines;
  };
  epi.push(...storeBlock({ items, type: 'vec4<f32>', buffer: '{{y_out}}', indent: `${pre}  `, body }));
}

/** Stores pixel by pixel (any alignment, a partial last pixel block). */
function scalarEpilogue(c: ConvLayoutChoice, epi: string[], row: EpilogueRow = FIRST_ROW): void {
  const { spec, nv, pxb } = c;
  const { oy, slot, ind: pre } = row;
  const chTail = c.cog % c.ocb !== 0;
  const pxTail = c.ow % pxb !== 0;
  const reluLine = reluLineFor(spec, 'f32');
  for (let px = 0; px < pxb; px++) {
    epi.push(`${pre}  {`);
    epi.push(`${pre}    let ox = ox0 + ${u(px)};`);
    const ind = pre + (pxTail ? '      ' : '    ');
    if (pxTail) epi.push(`${pre}    if (ox < OUT_W) {`);
    epi.push(`${ind}let o = n * OUT_BATCH_STRIDE + OUT_OFFSET + oc0 * OUT_HW + ${oy} * OUT_W + ox;`);
    if (spec.residual) epi.push(`${ind}let ro = n * RES_BATCH_STRIDE + RES_OFFSET + oc0 * OUT_HW + ${oy} * OUT_W + ox;`);
    for (let v = 0; v < nv; v++) {
      epi.push(`${ind}let y${v} = a${slot + px}_${v} + b${v};`);
      for (let j = 0; j < 4; j++) {
        const ch = v * 4 + j;
        const comp = 'xyzw'[j];
        const inner: string[] = [];
        inner.push(`var e = y${v}.${comp};`);
        if (spec.residual) inner.push(`e += {{r_in}}[ro + ${u(ch)} * OUT_HW];`);
        const r = reluLine(`oc0 + ${u(ch)}`, 'e');
        if (r) inner.push(r);
        inner.push(`{{y_out}}[o + ${u(ch)} * OUT_HW] = e;`);
        if (chTail) epi.push(`${ind}if (ocl + ${u(ch)} < COG) { ${inner.join(' ')} }`);
        else epi.push(`${ind}{ ${inner.join(' ')} }`);
      }
    }
    if (pxTail) epi.push(`${pre}    }`);
    epi.push(`${pre}  }`);
  }
}

/** Which output row of the block an epilogue stores: its row expression, its first accumulator, the extra indent. */
interface EpilogueRow {
  oy: string;
  slot: number;
  ind: string;
}

const FIRST_ROW: EpilogueRow = { oy: 'oy', slot: 0, ind: '' };

/** Bias, residual, ReLU range and the stores (of each of the block's rows that is inside the image). */
function epilogue(c: ConvLayoutChoice): string {
  const epi: string[] = [];
  for (let v = 0; v < c.nv; v++) epi.push(`  let b${v} = {{bias}}[ob * ${u(c.nv)} + ${u(v)}];`);
  const store = c.vecOut ? vecEpilogue : scalarEpilogue;
  if (c.rb === 1) {
    store(c, epi);
    return epi.join('\n');
  }
  for (let r = 0; r < c.rb; r++) {
    epi.push(`  let oy_${r} = oy + ${u(r)};`);
    epi.push(`  if (oy_${r} < OUT_H) {`);
    store(c, epi, { oy: `oy_${r}`, slot: r * c.pxb, ind: '  ' });
    epi.push('  }');
  }
  return epi.join('\n');
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
  const lines: string[] = [];
  for (let px = 0; px < rb * pxb; px++) {
    for (let v = 0; v < nv; v++) lines.push(`  var a${px}_${v} = vec4<f32>(0.0);`);
  }
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
    ...withF16(subgroupValues(sg), spec.f16Weights === true),
    PXB: u(pxb),
    WB: u(c.wb),
    SPATIAL: u(spatial),
    NX: u(nx),
    WG: wg,
    OCB: ocb,
    ACC_DECL: lines.join('\n'),
    IC_BODY: rb > 1 ? windowRowsBody(c) : windowBody(c),
    EPILOGUE: epilogue(c),
    ...(rb > 1 ? { RB: u(rb), ROW_BLOCKS: u(rowBlocks) } : {}),
    ...(c.halo ? { SG_LAST: u(sg - 1) } : {}),
  };
  return finish('conv', slots, alias, values, { RESIDUAL: !!spec.residual, ROWS: rb > 1, HALO: c.halo }, wg, [nx, blocks, nz]);
}
