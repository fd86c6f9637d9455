// Kernel generators: each turns one fused step's shapes into WGSL by instantiating a template
// from kernels/ with constants and unrolled blocks, and says how to dispatch it.

import { f, i, instantiate, u, type TemplateValues } from './template.js';

/** Where a tensor lives in its buffer: element offset of (n=0, c=0) and elements per image. */
export interface ViewLayout {
  batchStride: number;
  offset: number;
}

/** A storage binding a kernel declares. `name` is the WGSL identifier used in the template. */
export interface Slot {
  name: string;
  type: string;
  write: boolean;
}

export interface KernelBinding {
  binding: number;
  /** The template slots that share this binding (several when they view the same buffer). */
  slots: string[];
  write: boolean;
}

export interface GeneratedKernel {
  /** Template name (kernels/<template>.wgsl). */
  template: string;
  wgsl: string;
  entryPoint: string;
  bindings: KernelBinding[];
  workgroupSize: number;
  workgroups: [number, number, number];
}

export interface DispatchLimits {
  maxComputeWorkgroupsPerDimension: number;
}

export const DEFAULT_DISPATCH_LIMITS: DispatchLimits = { maxComputeWorkgroupsPerDimension: 65535 };

/**
 * Slots that view the same buffer must share one binding (WebGPU forbids binding a buffer twice
 * when one binding is writable). `alias` maps a slot to the slot whose binding it uses; the
 * template's identifier is renamed accordingly.
 */
export type SlotAliases = Record<string, string>;

function declareBindings(slots: Slot[], alias: SlotAliases, body: string): { decl: string; bindings: KernelBinding[]; body: string } {
  const bindings: KernelBinding[] = [];
  const byName = new Map<string, KernelBinding>();
  const types = new Map<string, string>();
  for (const s of slots) {
    const target = alias[s.name] ?? s.name;
    if (target !== s.name) continue;
    const b: KernelBinding = { binding: bindings.length, slots: [s.name], write: s.write };
    bindings.push(b);
    byName.set(s.name, b);
    types.set(s.name, s.type);
  }
  for (const s of slots) {
    const target = alias[s.name];
    if (target === undefined || target === s.name) continue;
    const b = byName.get(target);
    if (!b) throw new Error(`codegen: slot ${s.name} aliases ${target}, which is not a bound slot`);
    if (types.get(target) !== s.type) throw new Error(`codegen: slot ${s.name} (${s.type}) cannot share ${target} (${types.get(target)})`);
    b.slots.push(s.name);
    b.write ||= s.write;
    body = body.replace(new RegExp(`\\b${s.name}\\b`, 'g'), target);
  }
  const decl = bindings
    .map((b) => {
      const type = types.get(b.slots[0])!;
      return `@group(0) @binding(${b.binding}) var<storage, ${b.write ? 'read_write' : 'read'}> ${b.slots[0]}: ${type};`;
    })
    .join('\n');
  return { decl, bindings, body };
}

function finish(
  template: string,
  slots: Slot[],
  alias: SlotAliases,
  values: TemplateValues,
  flags: Record<string, boolean>,
  workgroupSize: number,
  workgroups: [number, number, number],
): GeneratedKernel {
  const text = instantiate(template, { ...values, BINDINGS: '{{BINDINGS}}' }, flags);
  const { decl, bindings, body } = declareBindings(slots, alias, text);
  return { template, wgsl: body.replace('{{BINDINGS}}', decl), entryPoint: 'main', bindings, workgroupSize, workgroups };
}

/**
 * Splits `tiles` workgroups over x and z so neither exceeds the per-dimension limit. Kernels
 * compute the linear tile as wid.x + wid.z * NX and skip tiles past the end.
 */
export function splitTiles(tiles: number, limits: DispatchLimits, what: string): { nx: number; nz: number } {
  const max = limits.maxComputeWorkgroupsPerDimension;
  const nx = Math.max(1, Math.min(tiles, max));
  const nz = Math.max(1, Math.ceil(tiles / nx));
  if (nz > max) throw new Error(`${what}: ${tiles} workgroups do not fit in a dispatch (${max} x ${max}); use a smaller batch`);
  return { nx, nz };
}

const pow2AtLeast = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

/** A power-of-two workgroup size from 8 to 64: no larger than `invocations` needs. */
export const workgroupFor = (invocations: number) => Math.min(64, Math.max(8, pow2AtLeast(invocations)));

/** The WGSL type of elements read `vec` floats at a time (1 or 4). */
const vecType = (vec: number) => (vec === 4 ? 'vec4<f32>' : 'f32');

/** Sums the lanes of a `vecType(vec)` accumulator `acc` to one f32. */
/** WGSL summing the lanes of `v` when it is a vec4 (the value itself when scalar). */
export const sumLanes = (vec: number, v = 'acc') => (vec === 4 ? `(${v}.x + ${v}.y + ${v}.z + ${v}.w)` : v);

/**
 * The template constants `<PREFIX>_BS` and `<PREFIX>_OFF` of a view: batch stride and offset in
 * units of `vec` floats. An absent view (an operand the kernel variant does not read) gives zeros.
 */
export function viewValues(name: string, prefix: string, view: ViewLayout | undefined, vec = 1): TemplateValues {
  const units = (n: number) => {
    if (n % vec !== 0) throw new Error(`${name}: view offset or batch stride ${n} not a multiple of ${vec}`);
    return u(n / vec);
  };
  return { [`${prefix}_BS`]: units(view?.batchStride ?? 0), [`${prefix}_OFF`]: units(view?.offset ?? 0) };
}

/** A kernel whose template includes lib/per_element.wgsl: one invocation per element. */
interface PerElementKernel {
  template: string;
  /** The step's name, for errors. */
  name: string;
  /** Elements (invocations). */
  total: number;
  workgroupSize: number;
  slots: Slot[];
  alias: SlotAliases;
  values: TemplateValues;
  flags?: Record<string, boolean>;
}

/** Fills in what lib/per_element.wgsl needs (TOTAL, NX, WG) and the matching dispatch. */
export function finishPerElement(k: PerElementKernel, limits: DispatchLimits): GeneratedKernel {
  const wg = k.workgroupSize;
  const { nx, nz } = splitTiles(Math.ceil(k.total / wg), limits, k.name);
  const values = { ...k.values, TOTAL: u(k.total), NX: u(nx), WG: wg };
  return finish(k.template, k.slots, k.alias, values, k.flags ?? {}, wg, [nx, 1, nz]);
}

// ---------------------------------------------------------------------------------------------
// Convolution (+ folded bn, + residual, + relu range)

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

export interface ConvKernelSpec extends ConvShape {
  name: string;
  input: ViewLayout;
  output: ViewLayout;
  residual?: ViewLayout;
  /** ReLU on output channels [start, end); absent: no ReLU. */
  relu?: { start: number; end: number };
  tile?: Partial<ConvTile>;
  /**
   * Subgroup size to share weight loads across lanes (subgroupBroadcast); 0 or absent: no
   * subgroups. Must equal the device's fixed subgroup size.
   */
  subgroupSize?: number;
  /** Read aligned input quads as vec4s where possible (default true). */
  vecInput?: boolean;
}

/** The register block chosen for a convolution (also decides the packed weight layout). */
export function convTile(spec: Pick<ConvKernelSpec, 'outC' | 'groups' | 'outW' | 'outH' | 'kernel' | 'stride' | 'pad' | 'batch'> & { tile?: Partial<ConvTile> }): ConvTile {
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

export function genConv(spec: ConvKernelSpec, alias: SlotAliases = {}, limits = DEFAULT_DISPATCH_LIMITS): GeneratedKernel {
  const tile = convTile(spec);
  const { ocb, pxb, wg } = tile;
  const nv = ocb / 4;
  const g = spec.groups;
  const cig = spec.inC / g;
  const cog = spec.outC / g;
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
  const spatial = spec.batch * oh * wb;
  const { obPerGroup, blocks } = convPacking(spec.outC, g, ocb);
  if (blocks > limits.maxComputeWorkgroupsPerDimension) {
    throw new Error(`${spec.name}: ${spec.outC} output channels need ${blocks} workgroups along y, above the limit ${limits.maxComputeWorkgroupsPerDimension}`);
  }
  const { nx, nz } = splitTiles(Math.ceil(spatial / wg), limits, spec.name);

  const lines: string[] = [];
  for (let px = 0; px < pxb; px++) {
    for (let v = 0; v < nv; v++) lines.push(`  var a${px}_${v} = vec4<f32>(0.0);`);
  }
  const accDecl = lines.join('\n');

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
  // Rows of the kernel window are a runtime loop (unrolling them multiplies the JIT time of
  // lavapipe, whose per-lane memory accesses expand to a lot of code); columns, pixels and output
  // channels are unrolled.
  const body: string[] = [];
  body.push('    for (var ky = 0u; ky < KSIZE; ky++) {');
  if (sg > 0) {
    // Each lane loads a different vec4 of this row's weights; subgroupBroadcast hands every lane
    // all of them. A load the driver cannot prove uniform is done lane by lane, so this is SG
    // times fewer loads than every lane loading every weight.
    body.push(`      let wb = wi + ky * ${u(k * nv)} + lane;`);
    for (let m = 0; m * sg < k * nv; m++) body.push(`      let q${m} = wgt[wb + ${u(m * sg)}];`);
  } else {
    body.push(`      let wb = wi + ky * ${u(k * nv)};`);
  }
  const weight = (kx: number, v: number): string => {
    const e = kx * nv + v;
    if (sg === 0) return `wgt[wb + ${u(e)}]`;
    return `subgroupBroadcast(q${Math.floor(e / sg)}, ${u(e % sg)})`;
  };
  const ind = '      ';
  if (rowSelect) {
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
  const cols = new Set<number>();
  for (let px = 0; px < pxb; px++) for (let kx = 0; kx < k; kx++) cols.add(px * s + kx);
  // Aligned quads of the row segment are read as vec4s (one per-lane load instead of four): quad
  // qd covers columns ox0*s + 4qd .. +3, all inside the row for every valid block.
  const quadOk = (qd: number) => vecIn && qd >= 0 && (ow - pxb) * s + 4 * qd + 3 <= iw - 1;
  const quads = new Set<number>();
  for (const j of cols) if (quadOk(Math.floor((j - p) / 4))) quads.add(Math.floor((j - p) / 4));
  if (quads.size > 0) {
    body.push(`${ind}let r4 = (r + ox0 * STRIDE) / 4u;`);
    for (const qd of [...quads].sort((a, b) => a - b)) {
      const load = `x_in4[r4 + ${u(qd)}]`;
      body.push(`${ind}let xq${qd} = ${rowSelect ? `select(vec4<f32>(0.0), ${load}, rv)` : load};`);
    }
  }
  for (const j of [...cols].sort((a, b) => a - b)) {
    const qd = Math.floor((j - p) / 4);
    if (quads.has(qd)) {
      body.push(`${ind}let x${j} = xq${qd}.${'xyzw'[j - p - 4 * qd]};`);
    } else if (p > 0) {
      const valid = `${rowSelect ? 'rv && ' : ''}u32(ix0 + ${i(j)}) < IN_W`;
      body.push(`${ind}let x${j} = select(0.0, x_in[r + min(u32(ix0 + ${i(j)}), IN_W - 1u)], ${valid});`);
    } else if (overhang) {
      body.push(`${ind}let x${j} = x_in[r + min(u32(ix0) + ${u(j)}, IN_W - 1u)];`);
    } else {
      body.push(`${ind}let x${j} = x_in[r + u32(ix0) + ${u(j)}];`);
    }
  }
  for (let kx = 0; kx < k; kx++) {
    for (let v = 0; v < nv; v++) body.push(`${ind}let w${kx}_${v} = ${weight(kx, v)};`);
    for (let px = 0; px < pxb; px++) {
      for (let v = 0; v < nv; v++) {
        body.push(`${ind}a${px}_${v} = fma(w${kx}_${v}, vec4<f32>(x${px * s + kx}), a${px}_${v});`);
      }
    }
  }
  body.push('    }');

  const epi: string[] = [];
  for (let v = 0; v < nv; v++) epi.push(`  let b${v} = bias[ob * ${u(nv)} + ${u(v)}];`);
  const chTail = cog % ocb !== 0;
  const pxTail = ow % pxb !== 0;
  const relu = spec.relu && spec.relu.end > spec.relu.start ? spec.relu : undefined;
  const fullRelu = relu && relu.start === 0 && relu.end === spec.outC;
  const aligned4 = (l: ViewLayout) => l.offset % 4 === 0 && l.batchStride % 4 === 0;
  // vec4 stores of 4 consecutive pixels per channel when the block is 4-aligned everywhere:
  // 4x fewer per-lane memory operations (faster, and much less code for the JIT).
  const vecOut =
    pxb % 4 === 0 && ow % 4 === 0 && aligned4(spec.output) && (!spec.residual || aligned4(spec.residual)) &&
    alias.y_out === undefined && alias.r_in === undefined;
  const reluLine = (c: string, e: string): string | undefined => {
    if (fullRelu) return `${e} = max(${e}, ${e.startsWith('v') ? 'vec4<f32>(0.0)' : '0.0'});`;
    if (relu) return `if (${c} >= ${u(relu.start)} && ${c} < ${u(relu.end)}) { ${e} = max(${e}, ${e.startsWith('v') ? 'vec4<f32>(0.0)' : '0.0'}); }`;
    return undefined;
  };
  if (vecOut) {
    epi.push(`  let o = (n * OUT_BATCH_STRIDE + OUT_OFFSET + oc0 * OUT_HW + oy * OUT_W + ox0) / 4u;`);
    if (spec.residual) epi.push(`  let ro = (n * RES_BATCH_STRIDE + RES_OFFSET + oc0 * OUT_HW + oy * OUT_W + ox0) / 4u;`);
    for (let q = 0; q < pxb / 4; q++) {
      for (let v = 0; v < nv; v++) {
        for (let j = 0; j < 4; j++) {
          const c = v * 4 + j;
          const comp = 'xyzw'[j];
          const px = [0, 1, 2, 3].map((t) => `a${q * 4 + t}_${v}.${comp}`).join(', ');
          const inner = [`var v4 = vec4<f32>(${px}) + b${v}.${comp};`];
          if (spec.residual) inner.push(`v4 += r_in[ro + ${u(c)} * (OUT_HW / 4u) + ${u(q)}];`);
          const r = reluLine(`oc0 + ${u(c)}`, 'v4');
          if (r) inner.push(r);
          inner.push(`y_out[o + ${u(c)} * (OUT_HW / 4u) + ${u(q)}] = v4;`);
          if (chTail) epi.push(`  if (ocl + ${u(c)} < COG) { ${inner.join(' ')} }`);
          else epi.push(`  { ${inner.join(' ')} }`);
        }
      }
    }
  } else {
    for (let px = 0; px < pxb; px++) {
      epi.push('  {');
      epi.push(`    let ox = ox0 + ${u(px)};`);
      const ind = pxTail ? '      ' : '    ';
      if (pxTail) epi.push('    if (ox < OUT_W) {');
      epi.push(`${ind}let o = n * OUT_BATCH_STRIDE + OUT_OFFSET + oc0 * OUT_HW + oy * OUT_W + ox;`);
      if (spec.residual) epi.push(`${ind}let ro = n * RES_BATCH_STRIDE + RES_OFFSET + oc0 * OUT_HW + oy * OUT_W + ox;`);
      for (let v = 0; v < nv; v++) {
        epi.push(`${ind}let y${v} = a${px}_${v} + b${v};`);
        for (let j = 0; j < 4; j++) {
          const c = v * 4 + j;
          const comp = 'xyzw'[j];
          const inner: string[] = [];
          inner.push(`var e = y${v}.${comp};`);
          if (spec.residual) inner.push(`e += r_in[ro + ${u(c)} * OUT_HW];`);
          const r = reluLine(`oc0 + ${u(c)}`, 'e');
          if (r) inner.push(r);
          inner.push(`y_out[o + ${u(c)} * OUT_HW] = e;`);
          if (chTail) epi.push(`${ind}if (ocl + ${u(c)} < COG) { ${inner.join(' ')} }`);
          else epi.push(`${ind}{ ${inner.join(' ')} }`);
        }
      }
      if (pxTail) epi.push('    }');
      epi.push('  }');
    }
  }

  const slots: Slot[] = [
    { name: 'x_in', type: 'array<f32>', write: false },
    { name: 'wgt', type: 'array<vec4<f32>>', write: false },
    { name: 'bias', type: 'array<vec4<f32>>', write: false },
    { name: 'y_out', type: vecOut ? 'array<vec4<f32>>' : 'array<f32>', write: true },
  ];
  if (vecIn) slots.splice(1, 0, { name: 'x_in4', type: 'array<vec4<f32>>', write: false });
  if (spec.residual) slots.push({ name: 'r_in', type: vecOut ? 'array<vec4<f32>>' : 'array<f32>', write: false });
  const values: TemplateValues = {
    IH: u(ih),
    IW: u(iw),
    OH: u(oh),
    OW: u(ow),
    OHW: u(oh * ow),
    ...viewValues(spec.name, 'IN', spec.input),
    ...viewValues(spec.name, 'OUT', spec.output),
    ...viewValues(spec.name, 'RES', spec.residual),
    STRIDE: u(s),
    PAD: i(p),
    KSIZE: u(k),
    CIG: u(cig),
    COG: u(cog),
    OBG: u(obPerGroup),
    KKNV: u(k * k * nv),
    ENABLE: sg > 0 ? 'enable subgroups;' : '',
    LANE: sg > 0 ? ', @builtin(subgroup_invocation_id) lane: u32' : '',
    PXB: u(pxb),
    WB: u(wb),
    SPATIAL: u(spatial),
    NX: u(nx),
    WG: wg,
    OCB: ocb,
    ACC_DECL: accDecl,
    IC_BODY: body.join('\n'),
    EPILOGUE: epi.join('\n'),
  };
  return finish('conv', slots, alias, values, { RESIDUAL: !!spec.residual }, wg, [nx, blocks, nz]);
}

// ---------------------------------------------------------------------------------------------
// Elementwise: bn (scale/shift), add, relu range, copy

export interface EwiseKernelSpec {
  name: string;
  batch: number;
  c: number;
  h: number;
  w: number;
  a: ViewLayout;
  out: ViewLayout;
  /** Per-channel scale and shift (inference batch norm) applied to `a` first. */
  bn?: boolean;
  /** Added after bn. */
  b?: ViewLayout;
  relu?: { start: number; end: number };
}

const ELEMENTWISE_WG = 64;

export function genEwise(spec: EwiseKernelSpec, alias: SlotAliases = {}, limits = DEFAULT_DISPATCH_LIMITS): GeneratedKernel {
  const plane = spec.h * spec.w;
  const vec = plane % 4 === 0 ? 4 : 1;
  const T = vecType(vec);
  const relu = spec.relu && spec.relu.end > spec.relu.start ? spec.relu : undefined;
  const slots: Slot[] = [{ name: 'a_in', type: `array<${T}>`, write: false }];
  if (spec.b) slots.push({ name: 'b_in', type: `array<${T}>`, write: false });
  if (spec.bn) {
    slots.push({ name: 'scale', type: 'array<f32>', write: false });
    slots.push({ name: 'shift', type: 'array<f32>', write: false });
  }
  slots.push({ name: 'y_out', type: `array<${T}>`, write: true });
  const values: TemplateValues = {
    C: u(spec.c),
    PLANE: u(plane / vec),
    ...viewValues(spec.name, 'A', spec.a, vec),
    ...viewValues(spec.name, 'OUT', spec.out, vec),
    ...viewValues(spec.name, 'B', spec.b, vec),
    RELU_START: u(relu?.start ?? 0),
    RELU_END: u(relu?.end ?? 0),
    T,
  };
  const flags = { BN: !!spec.bn, ADD: !!spec.b, RELU: !!relu };
  const total = spec.batch * spec.c * (plane / vec);
  return finishPerElement({ template: 'ewise', name: spec.name, total, workgroupSize: ELEMENTWISE_WG, slots, alias, values, flags }, limits);
}

// ---------------------------------------------------------------------------------------------
// Global average pooling

export interface AvgPoolKernelSpec {
  name: string;
  batch: number;
  c: number;
  h: number;
  w: number;
  input: ViewLayout;
  output: ViewLayout;
}

export function genAvgPool(spec: AvgPoolKernelSpec, alias: SlotAliases = {}, limits = DEFAULT_DISPATCH_LIMITS): GeneratedKernel {
  const plane = spec.h * spec.w;
  const vec = plane % 4 === 0 ? 4 : 1;
  const total = spec.batch * spec.c;
  const slots: Slot[] = [
    { name: 'x_in', type: `array<${vecType(vec)}>`, write: false },
    { name: 'y_out', type: 'array<f32>', write: true },
  ];
  const values: TemplateValues = {
    C: u(spec.c),
    PLANE: u(plane / vec),
    ...viewValues(spec.name, 'IN', spec.input, vec),
    ...viewValues(spec.name, 'OUT', spec.output),
    T: vecType(vec),
    REDUCE: sumLanes(vec),
    INV_HW: f(1 / plane),
  };
  return finishPerElement({ template: 'avgpool', name: spec.name, total, workgroupSize: workgroupFor(total), slots, alias, values }, limits);
}

// ---------------------------------------------------------------------------------------------
// Fully connected

export interface FcKernelSpec {
  name: string;
  batch: number;
  inFeatures: number;
  outFeatures: number;
  input: ViewLayout;
  output: ViewLayout;
}

export function genFc(spec: FcKernelSpec, alias: SlotAliases = {}, limits = DEFAULT_DISPATCH_LIMITS): GeneratedKernel {
  const aligned = spec.inFeatures % 4 === 0 && spec.input.offset % 4 === 0 && spec.input.batchStride % 4 === 0;
  const vec = aligned ? 4 : 1;
  const total = spec.batch * spec.outFeatures;
  const slots: Slot[] = [
    { name: 'x_in', type: `array<${vecType(vec)}>`, write: false },
    { name: 'wgt', type: `array<${vecType(vec)}>`, write: false },
    { name: 'bias', type: 'array<f32>', write: false },
    { name: 'y_out', type: 'array<f32>', write: true },
  ];
  const values: TemplateValues = {
    IN: u(spec.inFeatures / vec),
    OUT: u(spec.outFeatures),
    ...viewValues(spec.name, 'IN', spec.input, vec),
    ...viewValues(spec.name, 'OUT', spec.output),
    T: vecType(vec),
    REDUCE: sumLanes(vec),
  };
  return finishPerElement({ template: 'fc', name: spec.name, total, workgroupSize: workgroupFor(total), slots, alias, values }, limits);
}

// ---------------------------------------------------------------------------------------------
// Softmax and argmax over [batch, K] logits (dense)

/** A kernel over [batch, K] logits with one invocation per image, writing `out` elements. */
function genPerImage(template: 'softmax' | 'argmax', name: string, batch: number, k: number, out: string, limits: DispatchLimits): GeneratedKernel {
  const slots: Slot[] = [
    { name: 'x_in', type: 'array<f32>', write: false },
    { name: 'y_out', type: `array<${out}>`, write: true },
  ];
  return finishPerElement({ template, name, total: batch, workgroupSize: workgroupFor(batch), slots, alias: {}, values: { K: u(k) } }, limits);
}

export function genSoftmax(name: string, batch: number, k: number, limits = DEFAULT_DISPATCH_LIMITS): GeneratedKernel {
  return genPerImage('softmax', name, batch, k, 'f32', limits);
}

export function genArgmax(name: string, batch: number, k: number, limits = DEFAULT_DISPATCH_LIMITS): GeneratedKernel {
  return genPerImage('argmax', name, batch, k, 'u32', limits);
}
