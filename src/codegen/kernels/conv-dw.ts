// Convolution backward, weight gradient (kernels/train/conv_dw.wgsl), on the tiling its schedule
// gives (schedule/conv-dw.ts).

import { i, u } from '../template.js';
import { convBlocks, convDims, type ConvGeometry } from '../conv-layout.js';
import type { ConvDwTiling } from '../schedule/conv-dw.js';
import type { DispatchLimits } from './common.js';
import { type BufView, type TrainKernel, reads, writes } from './train-common.js';
import { buildConvGrad } from './conv-grad.js';
import { quadIndexLines, quadOf, signedName } from './quads.js';
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
  ocTail: boolean;
  colTail: boolean;
  rowCheck: boolean;
  colCheck: boolean;
  /** The input is bound as vec4s and read in aligned quads (see inputQuads). */
  vecX: boolean;
}

/**
 * The input taps of one column block read as aligned quads (see quads.ts): column j of the block
 * (input column ox0*S + j - P) is a component of a quad counted from ox0*S / 4. Quads that can fall
 * outside the row (the halo of the first or last block) are clamped and masked.
 */
function inputQuads(c: DwColumn, colList: number[], col: string[]): void {
  const { s, p, kyb, iw, xb, pxb, rowCheck } = c;
  const qds = [...new Set(colList.map((j) => quadOf(j - p).qd))].sort((a, b) => a - b);
  const iw4 = iw / 4;
  const always = (qd: number) => qd >= 0 && ((xb - 1) * pxb * s) / 4 + qd <= iw4 - 1;
  for (const qd of qds) if (!always(qd)) col.push(...quadIndexLines(qd, `i32(ox0 * ${u(s)} / 4u)`, u(iw4), '      '));
  for (let ky = 0; ky < kyb; ky++) {
    for (const qd of qds) {
      const at = always(qd) ? `ox0 * ${u(s)} / 4u + ${u(qd)}` : `qc_${signedName(qd)}`;
      const load = `{{x_in}}[xr${ky} / 4u + ${at}]`;
      const conds = [...(rowCheck ? [`rv${ky}`] : []), ...(always(qd) ? [] : [`qv_${signedName(qd)}`])];
      col.push(`      let xq${ky}_${signedName(qd)} = ${conds.length > 0 ? `select(vec4<f32>(0.0), ${load}, ${conds.join(' && ')})` : load};`);
    }
    for (const j of colList) {
      const { qd, comp } = quadOf(j - p);
      col.push(`      let x${ky}_${j} = vec4<f32>(xq${ky}_${signedName(qd)}.${comp});`);
    }
  }
}

/**
 * One output column block of the weight gradient: dy values (shared across a subgroup when it has
 * one), the input taps of every kernel row and column, and the FMAs into the accumulators.
 */
function dwColumnBody(c: DwColumn): string[] {
  const { sg, ovb, pxb, k, s, p, kyb, ocTail, colTail, rowCheck, colCheck, vecX } = c;
  // dy values: element e = vc * PXB + px is output channel ocl0 + vc, column ox0 + px.
  const nd = ovb * 4 * pxb;
  const dyLoad = (vc: string, px: string): string => {
    const ch = ocTail ? `min(ocl0 + ${vc}, COG - 1u)` : `(ocl0 + ${vc})`;
    const col = colTail ? `min(ox0 + ${px}, OUT_W - 1u)` : `ox0 + ${px}`;
    const load = `{{dy}}[dyr + ${ch} * OHW + ${col}]`;
    const conds: string[] = [];
    if (ocTail) conds.push(`ocl0 + ${vc} < COG`);
    if (colTail) conds.push(`ox0 + ${px} < OUT_W`);
    return conds.length > 0 ? `select(0.0, ${load}, ${conds.join(' && ')})` : load;
  };
  const col: string[] = [];
  if (sg > 0) {
    for (let m = 0; m * sg < nd; m++) {
      const e = (m + 1) * sg > nd ? `min(lane + ${u(m * sg)}, ${u(nd - 1)})` : `lane + ${u(m * sg)}`;
      col.push(`      let e${m} = ${e};`);
      col.push(`      let q${m} = ${dyLoad(`e${m} / ${u(pxb)}`, `e${m} % ${u(pxb)}`)};`);
    }
  }
  const dval = (vc: number, px: number): string => {
    if (sg > 0) {
      const e = vc * pxb + px;
      return `subgroupBroadcast(q${Math.floor(e / sg)}, ${u(e % sg)})`;
    }
    return dyLoad(u(vc), u(px));
  };
  for (let v = 0; v < ovb; v++) {
    for (let px = 0; px < pxb; px++) col.push(`      let d${v}_${px} = vec4<f32>(${[0, 1, 2, 3].map((c) => dval(4 * v + c, px)).join(', ')});`);
  }
  const cols = new Set<number>();
  for (let px = 0; px < pxb; px++) for (let kx = 0; kx < k; kx++) cols.add(px * s + kx);
  const colList = [...cols].sort((a, b) => a - b);
  if (vecX) inputQuads(c, colList, col);
  for (const j of vecX ? [] : colList) {
    if (colCheck) {
      col.push(`      let ix${j} = i32(ox0 * ${u(s)} + ${u(j)}) - ${i(p)};`);
      col.push(`      let iv${j} = u32(ix${j}) < IN_W;`);
      col.push(`      let ixc${j} = min(u32(ix${j}), IN_W - 1u);`);
    }
  }
  for (let ky = 0; ky < (vecX ? 0 : kyb); ky++) {
    for (const j of colList) {
      if (colCheck) {
        const cond = rowCheck ? `rv${ky} && iv${j}` : `iv${j}`;
        col.push(`      let x${ky}_${j} = vec4<f32>(select(0.0, {{x_in}}[xr${ky} + ixc${j}], ${cond}));`);
      } else if (rowCheck) {
        col.push(`      let x${ky}_${j} = vec4<f32>(select(0.0, {{x_in}}[xr${ky} + ox0 * ${u(s)} + ${u(j)}], rv${ky}));`);
      } else {
        col.push(`      let x${ky}_${j} = vec4<f32>({{x_in}}[xr${ky} + ox0 * ${u(s)} + ${u(j)}]);`);
      }
    }
  }
  for (let ky = 0; ky < kyb; ky++)
    for (let kx = 0; kx < k; kx++)
      for (let v = 0; v < ovb; v++)
        for (let px = 0; px < pxb; px++) {
          const a = `a${ky}_${kx}_${v}`;
          col.push(`      ${a} = fma(d${v}_${px}, x${ky}_${px * s + kx}, ${a});`);
        }
  return col;
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

  const acc: string[] = [];
  for (let ky = 0; ky < kyb; ky++) for (let kx = 0; kx < k; kx++) for (let v = 0; v < ovb; v++) acc.push(`  var a${ky}_${kx}_${v} = vec4<f32>(0.0);`);

  const rowSetup: string[] = [];
  rowSetup.push('    let dyr = n * DY_BATCH_STRIDE + DY_OFFSET + dyc + oy * OUT_W;');
  rowSetup.push('    let xn = n * X_BATCH_STRIDE + X_OFFSET + xc;');
  for (let ky = 0; ky < kyb; ky++) {
    if (rowCheck) {
      rowSetup.push(`    let iy${ky} = i32(oy * ${u(s)} + ky0 + ${u(ky)}) - ${i(p)};`);
      rowSetup.push(`    let rv${ky} = u32(iy${ky}) < IN_H;`);
      rowSetup.push(`    let xr${ky} = xn + min(u32(iy${ky}), IN_H - 1u) * IN_W;`);
    } else {
      rowSetup.push(`    let xr${ky} = xn + (oy * ${u(s)} + ky0 + ${u(ky)}) * IN_W;`);
    }
  }

  // Quads need every row start and every block's first column 4-aligned (see inputQuads).
  const vecX = (pxb * s) % 4 === 0 && iw % 4 === 0 && x.offset % 4 === 0 && x.batchStride % 4 === 0 && x.buffer !== dy.buffer;
  const col = dwColumnBody({ sg, ovb, pxb, k, s, p, kyb, iw, xb, ocTail, colTail, rowCheck, colCheck, vecX });

  const epi: string[] = [];
  epi.push(`    let b = OUT_OFFSET + chunk * CHUNK_STRIDE + packedWeight(ob, icl, ky0 * ${u(k)}) / 4u + v0;`);
  const items: StoreItem[] = [];
  for (let ky = 0; ky < kyb; ky++) for (let kx = 0; kx < k; kx++) for (let v = 0; v < ovb; v++) items.push({ value: `a${ky}_${kx}_${v}`, offset: u((ky * k + kx) * nv + v) });
  epi.push(...storeBlock({ items, type: 'vec4<f32>', buffer: '{{dst}}', indent: '    ', body: ({ v, off }) => [`{{dst}}[b + ${off}] = ${v};`] }));

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
      ACC_DECL: acc.join('\n'),
      ROW_SETUP: rowSetup.join('\n'),
      COL_BODY: col.join('\n'),
      EPILOGUE: epi.join('\n'),
    },
  });
}
