// The hand-written direct 3x3 convolution of bench/conv-ceiling.ts (see there for its shape and
// the variants), its data, CPU reference and timing; bench/conv-kernels.ts --vs-ceiling times its
// fair no-load variant next to hrn's kernels.

import { SplitMix32 } from '../src/util/rng.js';
import { processCpuMs } from './process-time.js';

// The shape, and the register block of one invocation.
export const BATCH = 16;
export const IN_C = 64;
export const OUT_C = 64;
export const H = 16;
export const W = 16;
export const OCB = 8; // output channels per invocation
export const NV = OCB / 4; // vec4 accumulators per pixel
export const QW = W / 4; // 4-pixel quads per row: one invocation per quad
export const PLANE4 = (H * W) / 4; // vec4s per channel plane
export const ROW_NV = 3 * NV; // vec4 weights per kernel row
export const WG = 64;
export const SPATIAL = BATCH * H * QW; // invocations per output-channel block
export const FLOPS = 2 * BATCH * OUT_C * IN_C * 9 * H * W;
export const CHECK_SAMPLES = 300;
export const MAX_ERR = 1e-3;

/**
 * `registers`: one value computed from the loop counters, splatted into all four components (LLVM
 * folds the identical multiplies); `distinct`: computed too, but different in every component, pixel
 * and lane, so that no multiply can be folded (the fair no-load ceiling).
 */
export type InputSource = 'buffer' | 'texture' | 'registers' | 'distinct';
export type WeightSource = 'broadcast' | 'uniform' | 'registers' | 'distinct';

/** Computed instead of loaded: the variant measures arithmetic without (some) loads. */
const synthetic = (s: InputSource | WeightSource) => s === 'registers' || s === 'distinct';

export interface Variant {
  name: string;
  input: InputSource;
  weights: WeightSource;
}

export const VARIANTS: Variant[] = [
  { name: 'full', input: 'buffer', weights: 'broadcast' },
  { name: 'no-weight-loads', input: 'buffer', weights: 'registers' },
  { name: 'no-input-loads', input: 'registers', weights: 'broadcast' },
  { name: 'no-loads', input: 'registers', weights: 'registers' },
  { name: 'fair-no-loads', input: 'distinct', weights: 'distinct' },
  { name: 'texture-input', input: 'texture', weights: 'broadcast' },
  { name: 'uniform-weights', input: 'buffer', weights: 'uniform' },
];

/** Whether a variant computes the real convolution (so it can be checked) rather than garbage. */
export const computesConv = (v: Variant) => !synthetic(v.input) && !synthetic(v.weights);

/** Four constants for component block `e`, distinct across blocks too (none 0, 1 or a power of two, which a compiler could treat specially). */
const distinctConstants = (e: number) => `vec4<f32>(${[0, 1, 2, 3].map((j) => (1 + (4 * e + j + 1) / 97).toFixed(6)).join(', ')})`;

// ---- WGSL ----

/** The input quad at vec4 index `e` (a u32 expression) of the input tensor. */
function inputQuad(v: Variant, e: string): string {
  switch (v.input) {
    case 'buffer':
      return `xin[${e}]`;
    case 'texture':
      // one texture row per channel plane: PLANE4 texels of 4 pixels each
      return `textureLoad(xt, vec2<i32>(i32((${e}) % ${PLANE4}u), i32((${e}) / ${PLANE4}u)), 0)`;
    case 'registers':
      // depends on the loop counters so the compiler can neither fold nor hoist it
      return `vec4<f32>(f32(${e}))`;
    case 'distinct':
      // as registers, plus a different constant per component: the three quads of a row, and so
      // the six pixels, all differ (and differ per lane, as e does)
      return `(vec4<f32>(f32(${e})) + ${distinctConstants(0)})`;
  }
}

/** Statements before a kernel row's FMAs that load its weights (only with subgroups). */
function weightRowLoads(v: Variant, sg: number): string[] {
  if (v.weights !== 'broadcast') return [];
  // As kernels/conv.wgsl: lane l loads vec4 l (mod sg) of the row; subgroupBroadcast hands every
  // lane all of them. lavapipe runs a load it cannot prove uniform lane by lane, so this does sg
  // times fewer loads than every lane reading every weight.
  const out = ['    let wb = wr + lane;'];
  for (let m = 0; m * sg < ROW_NV; m++) out.push(`    let q${m} = wgt[wb + ${m * sg}u];`);
  return out;
}

/** Weight vec4 `e` (kx * NV + v) of the current kernel row. */
function weight(v: Variant, sg: number, e: number): string {
  switch (v.weights) {
    case 'broadcast':
      return `subgroupBroadcast(q${Math.floor(e / sg)}, ${e % sg}u)`;
    case 'uniform':
      return `wgt[wr + ${e}u]`;
    case 'registers':
      return `vec4<f32>(f32(wr + ${e}u))`;
    case 'distinct':
      // constants, a different one per vec4 and component: register-resident weights, the same
      // every row (the products still differ, as the pixels they multiply do), at no cost
      return distinctConstants(e + 1);
  }
}

/**
 * The kernel rows, written as a loop over ky as in hrn's kernel (LLVM unrolls this 3-trip loop
 * anyway: the 288 vmulps above). Three input quads give the six pixels the 4-pixel block needs;
 * rows outside the image are read clamped and masked with select (uniform control flow, as
 * subgroupBroadcast requires); then 3 kx x 4 pixels x NV vec4 FMAs.
 */
function kernelRow(v: Variant, sg: number): string[] {
  const L = ['  for (var ky = 0u; ky < 3u; ky++) {'];
  L.push('    let iy = i32(oy + ky) - 1;');
  L.push(`    let rv = u32(iy) < ${H}u;`);
  L.push(`    let r = xi + min(u32(iy), ${H - 1}u) * ${QW}u + xb;`);
  L.push(`    let tl = select(vec4<f32>(0.0), ${inputQuad(v, 'r - select(0u, 1u, xb > 0u)')}, rv && xb > 0u);`);
  L.push(`    let tc = select(vec4<f32>(0.0), ${inputQuad(v, 'r')}, rv);`);
  L.push(`    let tr = select(vec4<f32>(0.0), ${inputQuad(v, `r + select(0u, 1u, xb < ${QW - 1}u)`)}, rv && xb < ${QW - 1}u);`);
  L.push('    let x0 = tl.w; let x1 = tc.x; let x2 = tc.y; let x3 = tc.z; let x4 = tc.w; let x5 = tr.x;');
  L.push(`    let wr = wi + ky * ${ROW_NV}u;`);
  L.push(...weightRowLoads(v, sg));
  for (let kx = 0; kx < 3; kx++) {
    for (let n = 0; n < NV; n++) L.push(`    let w${kx}_${n} = ${weight(v, sg, kx * NV + n)};`);
    for (let px = 0; px < 4; px++) {
      for (let n = 0; n < NV; n++) L.push(`    a${px}_${n} = fma(w${kx}_${n}, vec4<f32>(x${px + kx}), a${px}_${n});`);
    }
  }
  L.push('  }');
  return L;
}

/** ReLU and the stores: output channel 4n + j of the block, 4 pixels as one vec4. */
function epilogue(): string[] {
  const L: string[] = [];
  for (let n = 0; n < NV; n++) {
    for (let j = 0; j < 4; j++) {
      const c = 'xyzw'[j];
      L.push(`  yout[o + ${(n * 4 + j) * PLANE4}u] = max(vec4<f32>(a0_${n}.${c}, a1_${n}.${c}, a2_${n}.${c}, a3_${n}.${c}), vec4<f32>(0.0));`);
    }
  }
  return L;
}

/** The whole kernel of a variant; `sg` is the subgroup width its broadcasts assume. */
export function shader(v: Variant, sg: number): string {
  const subgroups = v.weights === 'broadcast';
  const acc: string[] = [];
  for (let px = 0; px < 4; px++) for (let n = 0; n < NV; n++) acc.push(`  var a${px}_${n} = vec4<f32>(0.0);`);
  return [
    subgroups ? 'enable subgroups;' : '',
    v.input === 'texture' ? '@group(0) @binding(0) var xt: texture_2d<f32>;' : '@group(0) @binding(0) var<storage, read> xin: array<vec4<f32>>;',
    '@group(0) @binding(1) var<storage, read> wgt: array<vec4<f32>>;',
    '@group(0) @binding(2) var<storage, read_write> yout: array<vec4<f32>>;',
    `@compute @workgroup_size(${WG})`,
    `fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32${subgroups ? ', @builtin(subgroup_invocation_id) sg_id: u32' : ''}) {`,
    subgroups ? `  let lane = sg_id & ${sg - 1}u;` : '',
    // the input binding stays in the 'auto' layout even when nothing reads it
    synthetic(v.input) ? '  _ = xin[0];' : '',
    `  let s = wid.x * ${WG}u + lid;`,
    '  let ob = wid.y;',
    `  let xb = s % ${QW}u;`,
    `  let t = s / ${QW}u;`,
    `  let oy = t % ${H}u;`,
    `  let n = t / ${H}u;`,
    ...acc,
    `  var xi = n * ${IN_C * PLANE4}u;`,
    `  var wi = ob * ${IN_C * 3 * ROW_NV}u;`,
    // An opaque trip count (always IN_C), as in hrn's kernel, so the Vulkan driver cannot unroll the loop.
    `  let cin = select(${IN_C}u, ${IN_C + 1}u, arrayLength(&wgt) == 0u);`,
    '  for (var ic = 0u; ic < cin; ic++) {',
    ...kernelRow(v, sg).map((l) => `  ${l}`),
    `    xi += ${PLANE4}u;`,
    `    wi += ${3 * ROW_NV}u;`,
    '  }',
    `  let o = (n * ${OUT_C}u + ob * ${OCB}u) * ${PLANE4}u + oy * ${QW}u + xb;`,
    ...epilogue(),
    '}',
  ]
    .filter((l) => l !== '')
    .join('\n');
}

// ---- Data and the CPU reference ----

export interface Tensors {
  /** Input, NCHW. */
  x: Float32Array;
  /** Weights packed as kernels/conv.wgsl reads them: [ob][ic][ky][kx][oc % OCB], then padding. */
  w: Float32Array;
}

export function makeTensors(sg: number): Tensors {
  const rng = new SplitMix32(7);
  const x = rng.fillUniform(new Float32Array(BATCH * IN_C * H * W), -1, 1);
  // the lanes of a row's last subgroup load read up to sg - 1 vec4s past it: keep them in the buffer
  const w = new Float32Array(OUT_C * IN_C * 9 + 4 * Math.max(sg, 1));
  rng.fillUniform(w.subarray(0, OUT_C * IN_C * 9), -0.1, 0.1);
  return { x, w };
}

/** Output (n, oc, oy, ox) computed on the CPU in float64, after ReLU. */
function reference(t: Tensors, n: number, oc: number, oy: number, ox: number): number {
  const ob = Math.floor(oc / OCB);
  let s = 0;
  for (let ic = 0; ic < IN_C; ic++) {
    for (let ky = 0; ky < 3; ky++) {
      for (let kx = 0; kx < 3; kx++) {
        const iy = oy + ky - 1;
        const ix = ox + kx - 1;
        if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
        s += t.x[((n * IN_C + ic) * H + iy) * W + ix] * t.w[((ob * IN_C + ic) * 9 + ky * 3 + kx) * OCB + (oc % OCB)];
      }
    }
  }
  return Math.max(s, 0);
}

/** Largest |GPU - CPU| over CHECK_SAMPLES random outputs (the same ones for every variant). */
export function maxError(t: Tensors, y: Float32Array): number {
  const rng = new SplitMix32(11);
  let err = 0;
  for (let k = 0; k < CHECK_SAMPLES; k++) {
    const [n, oc, oy, ox] = [rng.int(BATCH), rng.int(OUT_C), rng.int(H), rng.int(W)];
    err = Math.max(err, Math.abs(reference(t, n, oc, oy, ox) - y[((n * OUT_C + oc) * H + oy) * W + ox]));
  }
  return err;
}

// ---- GPU resources ----

export interface Resources {
  xBuffer: GPUBuffer;
  xTexture: GPUTexture;
  wBuffer: GPUBuffer;
  yBuffer: GPUBuffer;
}

export function upload(device: GPUDevice, t: Tensors): Resources {
  const buffer = (data: Float32Array) => {
    const b = device.createBuffer({ size: data.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(b, 0, data);
    return b;
  };
  // one texture row per (image, channel) plane: PLANE4 rgba texels, each 4 consecutive pixels
  const size = [PLANE4, BATCH * IN_C];
  const xTexture = device.createTexture({ size, format: 'rgba32float', usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST });
  device.queue.writeTexture({ texture: xTexture }, t.x, { bytesPerRow: PLANE4 * 16 }, size);
  const yBuffer = device.createBuffer({ size: BATCH * OUT_C * H * W * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  return { xBuffer: buffer(t.x), xTexture, wBuffer: buffer(t.w), yBuffer };
}

export interface Kernel {
  variant: Variant;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
}

export async function compile(device: GPUDevice, v: Variant, sg: number, r: Resources): Promise<Kernel> {
  const module = device.createShaderModule({ code: shader(v, sg) });
  const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
  if (errors.length > 0) throw new Error(`${v.name}: WGSL errors:\n${errors.map((m) => `  ${m.lineNum}:${m.linePos} ${m.message}`).join('\n')}`);
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const input: GPUBindingResource = v.input === 'texture' ? r.xTexture.createView() : { buffer: r.xBuffer };
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: input },
      { binding: 1, resource: { buffer: r.wBuffer } },
      { binding: 2, resource: { buffer: r.yBuffer } },
    ],
  });
  return { variant: v, pipeline, bindGroup };
}

/** Runs `reps` dispatches of the whole convolution in one command buffer; returns the CPU ms. */
export async function timeDispatches(device: GPUDevice, k: Kernel, reps: number): Promise<number> {
  const c0 = processCpuMs();
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(k.pipeline);
  pass.setBindGroup(0, k.bindGroup);
  for (let i = 0; i < reps; i++) pass.dispatchWorkgroups(SPATIAL / WG, OUT_C / OCB, 1);
  pass.end();
  device.queue.submit([enc.finish()]);
  await device.queue.onSubmittedWorkDone();
  return processCpuMs() - c0;
}

export async function readOutput(device: GPUDevice, y: GPUBuffer): Promise<Float32Array> {
  const staging = device.createBuffer({ size: y.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(y, 0, staging, 0, y.size);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.destroy();
  return out;
}

export function clear(device: GPUDevice, y: GPUBuffer): void {
  const enc = device.createCommandEncoder();
  enc.clearBuffer(y);
  device.queue.submit([enc.finish()]);
}

