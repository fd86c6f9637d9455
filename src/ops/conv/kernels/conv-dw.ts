// Convolution backward, weight gradient (kernels/train/conv_dw.wgsl), on the tiling its schedule
// gives (schedule/conv-dw.ts).

import { i, type TemplateItem, type TemplateValues, u } from '../../../codegen/template.js';
import { convBlocks, convDims, type ConvGeometry } from '../../../codegen/conv-layout.js';
import type { ConvDwTiling } from '../../../codegen/schedule/conv-dw.js';
import type { DispatchLimits } from '../../../codegen/kernels/common.js';
import { type BufView, type TrainKernel, reads, writes } from '../../../codegen/kernels/train-common.js';
import { buildConvGrad } from './conv-grad.js';
import { quadOf, signedName } from './quads.js';
import { type StoreItem, storeBlock } from './store-loop.js';

interface DwColumn {
  sg: number;
  ovb: number;
  pxb: number;
  k: number;
  s: number;
  p: number;
  kyb: number;
  iw: number;
  xb: number;
  /** The input is bound as vec4s and read in aligned quads. */
  vecX: boolean;
}

/**
 * The tables of one output column block (kernels/train/conv_dw.wgsl walks them): the dy values
 * (loaded a few per lane and shared across a subgroup when it has one), the input columns every
 * tap row reads (as aligned quads where the input is bound as vec4s: see quads.ts; quads that can
 * fall outside the row, the halo of the first or last block, are clamped and masked) and the FMAs
 * into the accumulators.
 */
function dwColumnTables(c: DwColumn): TemplateValues {
  const { sg, ovb, pxb, k, s, p, kyb, iw, xb } = c;
  const nm = signedName;
  // dy values: element e = vc * PXB + px is output channel ocl0 + vc, column ox0 + px.
  const nd = ovb * 4 * pxb;
  const dyLoads: TemplateItem[] = [];
  if (sg > 0) for (let m = 0; m * sg < nd; m++) dyLoads.push({ m, first: u(m * sg), last: u(nd - 1), partial: (m + 1) * sg > nd });
  const dyVecs: TemplateItem[] = [];
  for (let v = 0; v < ovb; v++) {
    for (let px = 0; px < pxb; px++) {
      // Component c is output channel 4v + c: element e = (4v + c) * PXB + px, the subgroup's load e / sg, in lane e % sg.
      const e = [0, 1, 2, 3].map((c) => (4 * v + c) * pxb + px);
      const [q0, q1, q2, q3] = sg > 0 ? e.map((x) => Math.floor(x / sg)) : [0, 0, 0, 0];
      const [l0, l1, l2, l3] = sg > 0 ? e.map((x) => u(x % sg)) : ['', '', '', ''];
      dyVecs.push({ v, px, pxu: u(px), c0: u(4 * v), c1: u(4 * v + 1), c2: u(4 * v + 2), c3: u(4 * v + 3), q0, q1, q2, q3, l0, l1, l2, l3 });
    }
  }
  const cols = new Set<number>();
  for (let px = 0; px < pxb; px++) for (let kx = 0; kx < k; kx++) cols.add(px * s + kx);
  const colList = [...cols].sort((a, b) => a - b);
  const iw4 = iw / 4;
  const always = (qd: number) => qd >= 0 && ((xb - 1) * pxb * s) / 4 + qd <= iw4 - 1;
  const qds = [...new Set(colList.map((j) => quadOf(j - p).qd))].sort((a, b) => a - b);
  const fmas: TemplateItem[] = [];
  for (let ky = 0; ky < kyb; ky++)
    for (let kx = 0; kx < k; kx++)
      for (let v = 0; v < ovb; v++) for (let px = 0; px < pxb; px++) fmas.push({ ky, kx, v, px, j: px * s + kx });
  return {
    DY_LOADS: dyLoads,
    DY_VECS: dyVecs,
    X_QUADS: qds.map((qd) => ({ n: nm(qd), d: i(qd), always: always(qd), qdu: always(qd) ? u(qd) : '' })),
    X_COLUMNS: colList.map((j) => ({ j, ju: u(j), qn: nm(quadOf(j - p).qd), comp: quadOf(j - p).comp })),
    IW4: c.vecX ? u(iw4) : '',
    FMAS: fmas,
  };
}

/**
 * d weights of a convolution (packed layout). With `tiling.chunks` > 1 the kernel writes partial
 * tiles to `dst` (chunk-major, `size4` vec4s each) and genConvDwReduce sums them into the gradient.
 */
export function genConvDw(
  name: string,
  g: ConvGeometry,
  x: BufView,
  dy: BufView,
  dst: { buffer: number; offset4: number },
  tiling: ConvDwTiling,
  limits: DispatchLimits,
  subgroupSize = 0,
): TrainKernel {
  const { cig, cog, obg, nv } = convBlocks(g);
  const { iw, oh, ow } = convDims(g);
  const k = g.kernel;
  const s = g.stride;
  const p = g.pad;
  const sg = subgroupSize;
  const { wg, ovb, kyb, pxb, chunks, rowsPerChunk } = tiling;
  if (sg > 0 && wg % sg !== 0) throw new Error(`${name}: ${wg} lanes per workgroup is not a multiple of the subgroup size ${sg}`);
  if (nv % ovb !== 0) throw new Error(`${name}: ${ovb} output vec4s per workgroup do not divide the packed block`);
  if (k % kyb !== 0) throw new Error(`${name}: ${kyb} kernel rows per workgroup do not divide the kernel's ${k}`);
  const ick = Math.ceil(cig / wg);
  const ovn = (obg * nv) / ovb;
  const kybn = Math.ceil(k / kyb);
  const gx = ovn * kybn * chunks;
  const xb = Math.ceil(ow / pxb);
  const ocTail = cog % 4 !== 0 || cog % g.ocb !== 0;
  const colTail = ow % pxb !== 0;
  const rowCheck = p > 0;
  const overhang = (xb * pxb - 1) * s + k - 1 - p >= iw;
  const colCheck = p > 0 || overhang;

  const acc: TemplateItem[] = [];
  for (let ky = 0; ky < kyb; ky++) for (let kx = 0; kx < k; kx++) for (let v = 0; v < ovb; v++) acc.push({ ky, kx, v });
  const tapRows = Array.from({ length: kyb }, (_, ky) => ({ ky, kyu: u(ky) }));

  // Quads need every row start and every block's first column 4-aligned (see dwColumnTables).
  const vecX = (pxb * s) % 4 === 0 && iw % 4 === 0 && x.offset % 4 === 0 && x.batchStride % 4 === 0 && x.buffer !== dy.buffer;
  const tables = dwColumnTables({ sg, ovb, pxb, k, s, p, kyb, iw, xb, vecX });

  const items: StoreItem[] = [];
  for (let ky = 0; ky < kyb; ky++) for (let kx = 0; kx < k; kx++) for (let v = 0; v < ovb; v++) items.push({ value: `a${ky}_${kx}_${v}`, offset: u((ky * k + kx) * nv + v) });

  const yBlocks = g.groups * ick;
  return buildConvGrad({
    template: 'train/conv_dw',
    name,
    g,
    slots: [reads('x_in', x.buffer, vecX ? 'array<vec4<f32>>' : 'array<f32>'), reads('dy', dy.buffer), writes('dst', dst.buffer, 'array<vec4<f32>>')],
    views: { X: x, DY: dy },
    subgroupSize: sg,
    dispatch: { wg, tiles: gx, yBlocks },
    limits,
    flags: { SHARED_DY: sg > 0, OC_TAIL: ocTail, COL_TAIL: colTail, ROW_CHECK: rowCheck, COL_CHECK: colCheck, VEC_X: vecX },
    values: {
      OUT_OFF: u(dst.offset4),
      CHUNK_STRIDE: u(chunks > 1 ? tiling.size4 : 0),
      NV: u(nv),
      OVB: u(ovb),
      OVN: u(ovn),
      ICKG: u(ick),
      KYB: u(kyb),
      KYBN: u(kybn),
      ROWS: u(g.batch * oh),
      RPC: u(rowsPerChunk),
      GX: u(gx),
      PXB: u(pxb),
      XB: u(xb),
      ACC: acc,
      TAP_ROWS: tapRows,
      ...tables,
      SU: u(s),
      PI: i(p),
      KU: u(k),
      STORES: [storeBlock(items)],
      STORE_BUFFER: '{{dst}}',
    },
  });
}
