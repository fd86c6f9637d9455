// The forward convolution's kernel window (kernels/conv.wgsl's IC_BODY): the choices a direct conv
// kernel is specialized for, and the unrolled loads and multiply-adds of one input channel, with
// each input row read once (as aligned vec4 quads where it can) for every output row it feeds.

import { i, u } from '../template.js';
import type { ConvShape, ConvTile } from '../conv-layout.js';
import { haloApplies } from '../schedule/conv.js';
import type { SlotAliases, ViewLayout } from './common.js';

export interface ConvKernelSpec extends ConvShape {
  name: string;
  input: ViewLayout;
  output: ViewLayout;
  residual?: ViewLayout;
  /** ReLU on output channels [start, end); absent: no ReLU. */
  relu?: { start: number; end: number };
  /** The schedule: register tile and workgroup (schedule/conv.ts chooses it). */
  tile: ConvTile;
  /**
   * Subgroup width to share weight loads across lanes (subgroupBroadcast); 0 or absent: no
   * subgroups. At most the device's smallest subgroup size (see subgroupValues).
   */
  subgroupSize?: number;
  /** Read aligned input quads as vec4s where possible (default true). */
  vecInput?: boolean;
  /** Weights stored as f16 (the `shader-f16` feature), read into f32: accumulation stays f32. */
  f16Weights?: boolean;
}

/** The sizes and choices a conv kernel is specialized for, shared by its body and epilogue. */
export interface ConvLayoutChoice {
  spec: ConvKernelSpec;
  ocb: number;
  pxb: number;
  nv: number;
  k: number;
  s: number;
  p: number;
  iw: number;
  ow: number;
  wb: number;
  sg: number;
  cog: number;
  overhang: boolean;
  rowSelect: boolean;
  vecIn: boolean;
  vecOut: boolean;
  /** Output rows per invocation. */
  rb: number;
  /** The halo comes from the neighbouring lanes (ConvTile.halo). */
  halo: boolean;
}

export function choose(spec: ConvKernelSpec, alias: SlotAliases, ocb: number, pxb: number, rb: number): ConvLayoutChoice & { ih: number; oh: number } {
  // A 1x1, stride-1, unpadded convolution over H x W is the same as one over 1 x (H*W): every
  // pixel block then reads contiguous input with no row boundaries.
  const flat = spec.kernel === 1 && spec.stride === 1 && spec.pad === 0;
  const ih = flat ? 1 : spec.inH;
  const iw = flat ? spec.inH * spec.inW : spec.inW;
  const oh = flat ? 1 : spec.outH;
  const ow = flat ? spec.outH * spec.outW : spec.outW;
  const k = spec.kernel;
  const s = spec.stride;
  const p = spec.pad;
  const wb = Math.ceil(ow / pxb);
  // Can a column index fall outside the row? Left/right padding, or the last pixel block
  // overhanging the row end (only reads for outputs that are discarded then).
  const overhang = (wb * pxb - 1) * s + k - 1 - p >= iw;
  const sg = spec.subgroupSize ?? 0;
  // With subgroups the whole body must be in uniform control flow, so rows are masked by select.
  const rowSelect = p > 0 && sg > 0;
  // The input is also bound as vec4s (a second read-only binding of the same buffer) when rows
  // and the pixel block are 4-aligned; not when the output shares the input's buffer (a writable
  // binding may not alias another binding).
  const vecIn =
    (spec.vecInput ?? true) && iw % 4 === 0 && (pxb * s) % 4 === 0 && ow % pxb === 0 &&
    spec.input.offset % 4 === 0 && spec.input.batchStride % 4 === 0 && alias.y_out !== 'x_in';
  const aligned4 = (l: ViewLayout) => l.offset % 4 === 0 && l.batchStride % 4 === 0;
  // vec4 stores of 4 consecutive pixels per channel when the block is 4-aligned everywhere:
  // 4x fewer per-lane memory operations (faster, and much less code for the JIT). Not when the
  // last block of a row overhangs it: its quads past the row's end would be stored (the scalar
  // stores check each pixel).
  const vecOut =
    pxb % 4 === 0 && ow % pxb === 0 && ow % 4 === 0 && aligned4(spec.output) && (!spec.residual || aligned4(spec.residual)) &&
    alias.y_out === undefined && alias.r_in === undefined;
  // The halo from the neighbours' quads: only where the input is read as quads.
  const halo = spec.tile.halo === true && vecIn && haloApplies(spec, pxb, sg);
  return { spec, ocb, pxb, nv: ocb / 4, k, s, p, ih, iw, oh, ow, wb, sg, cog: spec.outC / spec.groups, overhang, rowSelect, vecIn, vecOut, rb, halo };
}

/** The row loads of one kernel row: subgroup-shared weights, the row offset, with its padding. */
function rowPrologue(c: ConvLayoutChoice, body: string[]): void {
  const { k, nv, sg, p } = c;
  body.push('    for (var ky = 0u; ky < KSIZE; ky++) {');
  if (sg > 0) {
    // Each lane loads a different vec4 of this row's weights; subgroupBroadcast hands every lane
    // all of them. A load the Vulkan driver cannot prove uniform is done lane by lane, so this is SG
    // times fewer loads than every lane loading every weight.
    body.push(`      let wb = wi + ky * ${u(k * nv)} + lane;`);
    for (let m = 0; m * sg < k * nv; m++) body.push(`      let q${m} = ${weightLoad(c, `wb + ${u(m * sg)}`)};`);
  } else {
    body.push(`      let wb = wi + ky * ${u(k * nv)};`);
  }
  if (c.rowSelect) {
    body.push(`      let iy = iy0 + i32(ky);`);
    body.push(`      let rv = u32(iy) < IN_H;`);
    body.push(`      let r = xi + min(u32(iy), IN_H - 1u) * IN_W;`);
  } else if (p > 0) {
    body.push(`      let iy = iy0 + i32(ky);`);
    body.push(`      if (u32(iy) >= IN_H) {`);
    body.push(`        continue;`);
    body.push(`      }`);
    body.push(`      let r = xi + u32(iy) * IN_W;`);
  } else {
    body.push(`      let r = xi + (u32(iy0) + ky) * IN_W;`);
  }
}

/** A vec4 of weights at `index`, as f32 (converted when they are stored as f16). */
function weightLoad(c: ConvLayoutChoice, index: string): string {
  return c.spec.f16Weights ? `vec4<f32>({{wgt}}[${index}])` : `{{wgt}}[${index}]`;
}

/**
 * The kernel-window loop: rows of the window are a runtime loop (unrolling them multiplies the JIT
 * time of lavapipe, whose per-lane memory accesses expand to a lot of code); columns, pixels and
 * output channels are unrolled.
 */
export function windowBody(c: ConvLayoutChoice): string {
  const { k, s, nv, sg, pxb, rowSelect } = c;
  const body: string[] = [];
  rowPrologue(c, body);
  const weight = (kx: number, v: number): string => {
    const e = kx * nv + v;
    if (sg === 0) return weightLoad(c, `wb + ${u(e)}`);
    return `subgroupBroadcast(q${Math.floor(e / sg)}, ${u(e % sg)})`;
  };
  const ind = '      ';
  rowColumns(c, { ind, r: 'r', rv: rowSelect ? 'rv' : undefined, x: (j) => `x${j}`, q: (qd) => `xq${qd}`, r4: 'r4' }, body);
  for (let kx = 0; kx < k; kx++) {
    for (let v = 0; v < nv; v++) body.push(`${ind}let w${kx}_${v} = ${weight(kx, v)};`);
    for (let px = 0; px < pxb; px++) {
      for (let v = 0; v < nv; v++) {
        body.push(`${ind}a${px}_${v} = fma(w${kx}_${v}, vec4<f32>(x${px * s + kx}), a${px}_${v});`);
      }
    }
  }
  body.push('    }');
  return body.join('\n');
}

/** Names and indent of one input row's loads (rowColumns). */
interface RowNames {
  ind: string;
  /** The row's first element. */
  r: string;
  /** Whether the row is inside the image: loads are masked with it (absent: always inside). */
  rv?: string;
  x: (col: number) => string;
  q: (quad: number) => string;
  r4: string;
}

/** Loads the columns of one input row that the pixel block's window reads (as aligned quads where it can). */
function rowColumns(c: ConvLayoutChoice, n: RowNames, body: string[]): void {
  const { k, s, p, pxb, ow, iw, vecIn, overhang } = c;
  const { ind } = n;
  const cols = new Set<number>();
  for (let px = 0; px < pxb; px++) for (let kx = 0; kx < k; kx++) cols.add(px * s + kx);
  // Aligned quads of the row segment are read as vec4s (one per-lane load instead of four): quad
  // qd covers columns ox0*s + 4qd .. +3, all inside the row for every valid block.
  const quadOk = (qd: number) => vecIn && qd >= 0 && (ow - pxb) * s + 4 * qd + 3 <= iw - 1;
  const quads = new Set<number>();
  for (const j of cols) if (quadOk(Math.floor((j - p) / 4))) quads.add(Math.floor((j - p) / 4));
  if (quads.size > 0) {
    body.push(`${ind}let ${n.r4} = (${n.r} + ox0 * STRIDE) / 4u;`);
    for (const qd of [...quads].sort((a, b) => a - b)) {
      const load = `{{x_in4}}[${n.r4} + ${u(qd)}]`;
      body.push(`${ind}let ${n.q(qd)} = ${n.rv ? `select(vec4<f32>(0.0), ${load}, ${n.rv})` : load};`);
    }
  }
  for (const j of [...cols].sort((a, b) => a - b)) {
    const qd = Math.floor((j - p) / 4);
    const from = c.halo ? haloSource(c, j) : undefined;
    if (from) {
      // The neighbour's lane loaded this column in one of its quads; if there is no such lane
      // (the block starts or ends a row, or its neighbour is in another subgroup), load it.
      if (!quads.has(from.quad)) throw new Error(`${c.spec.name}: halo column ${j} is in no quad of the block`);
      const valid = `${n.rv ? `${n.rv} && ` : ''}u32(ix0 + ${i(j)}) < IN_W`;
      body.push(`${ind}var ${n.x(j)} = subgroupShuffle(${n.q(from.quad)}.${'xyzw'[from.comp]}, ${from.lane});`);
      body.push(`${ind}if (!${from.valid}) {`);
      body.push(`${ind}  ${n.x(j)} = select(0.0, {{x_in}}[${n.r} + min(u32(ix0 + ${i(j)}), IN_W - 1u)], ${valid});`);
      body.push(`${ind}}`);
    } else if (quads.has(qd)) {
      body.push(`${ind}let ${n.x(j)} = ${n.q(qd)}.${'xyzw'[j - p - 4 * qd]};`);
    } else if (p > 0) {
      const valid = `${n.rv ? `${n.rv} && ` : ''}u32(ix0 + ${i(j)}) < IN_W`;
      body.push(`${ind}let ${n.x(j)} = select(0.0, {{x_in}}[${n.r} + min(u32(ix0 + ${i(j)}), IN_W - 1u)], ${valid});`);
    } else if (overhang) {
      body.push(`${ind}let ${n.x(j)} = {{x_in}}[${n.r} + min(u32(ix0) + ${u(j)}, IN_W - 1u)];`);
    } else {
      body.push(`${ind}let ${n.x(j)} = {{x_in}}[${n.r} + u32(ix0) + ${u(j)}];`);
    }
  }
}

/**
 * Where a halo column `j` of the block's input row is in a neighbouring lane's quads: columns
 * left of the block's own (j < p) are the left block's last ones, columns right of them its right
 * neighbour's first ones (at stride 1 the block's own columns are p .. p + pxb - 1).
 */
function haloSource(c: ConvLayoutChoice, j: number): { quad: number; comp: number; lane: string; valid: string } | undefined {
  const { p, pxb } = c;
  if (j < p) return { quad: Math.floor((pxb - p + j) / 4), comp: (pxb - p + j) % 4, lane: 'sid_l', valid: 'halo_l' };
  if (j >= p + pxb) return { quad: Math.floor((j - p - pxb) / 4), comp: (j - p - pxb) % 4, lane: 'sid_r', valid: 'halo_r' };
  return undefined;
}

/**
 * The window of `rb` output rows, unrolled: every weight of the input channel (with subgroups,
 * ceil(K*K*NV / SG) loads a lane, handed out by subgroupBroadcast), then each input row the block
 * reads, loaded once and used for every output row it feeds. Rows outside the image are read
 * clamped and masked (padding) or only clamped (a last block past the image's end, whose outputs
 * are not stored).
 */
export function windowRowsBody(c: ConvLayoutChoice): string {
  const { k, s, p, nv, sg, pxb, rb } = c;
  const ind = '    ';
  const body: string[] = [];
  const nw = k * k * nv;
  if (sg > 0) for (let m = 0; m * sg < nw; m++) body.push(`${ind}let q${m} = ${weightLoad(c, `wi + lane + ${u(m * sg)}`)};`);
  for (let ky = 0; ky < k; ky++) {
    for (let kx = 0; kx < k; kx++) {
      for (let v = 0; v < nv; v++) {
        const e = (ky * k + kx) * nv + v;
        const w = sg > 0 ? `subgroupBroadcast(q${Math.floor(e / sg)}, ${u(e % sg)})` : weightLoad(c, `wi + ${u(e)}`);
        body.push(`${ind}let w${ky}_${kx}_${v} = ${w};`);
      }
    }
  }
  for (let j = 0; j < (rb - 1) * s + k; j++) {
    const rv = p > 0 ? `rv_${j}` : undefined;
    if (rv) {
      body.push(`${ind}let iy_${j} = iy0 + ${i(j)};`);
      body.push(`${ind}let ${rv} = u32(iy_${j}) < IN_H;`);
      body.push(`${ind}let r_${j} = xi + min(u32(iy_${j}), IN_H - 1u) * IN_W;`);
    } else {
      body.push(`${ind}let r_${j} = xi + min(u32(iy0) + ${u(j)}, IN_H - 1u) * IN_W;`);
    }
    rowColumns(c, { ind, r: `r_${j}`, rv, x: (col) => `x${j}_${col}`, q: (qd) => `xq${j}_${qd}`, r4: `r4_${j}` }, body);
    for (let r = 0; r < rb; r++) {
      const ky = j - r * s;
      if (ky < 0 || ky >= k) continue;
      for (let kx = 0; kx < k; kx++) {
        for (let px = 0; px < pxb; px++) {
          for (let v = 0; v < nv; v++) {
            const a = `a${r * pxb + px}_${v}`;
            body.push(`${ind}${a} = fma(w${ky}_${kx}_${v}, vec4<f32>(x${j}_${px * s + kx}), ${a});`);
          }
        }
      }
    }
  }
  return body.join('\n');
}
