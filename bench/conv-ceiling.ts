// Where a direct 3x3 convolution's CPU time goes on lavapipe (Mesa's CPU Vulkan driver): one
// hand-written WGSL conv kernel in the shape of hrn's (kernels/conv.wgsl), timed in ablated
// variants that drop the input loads, the weight loads or both, or read the input or the weights
// another way. The variants alternate round by round in one process so that machine noise hits
// all alike; each reports the median GFLOP per CPU-second of this process (lavapipe's worker
// threads included) and the share of one core's fp32 peak. "first ms" is the CPU time of a
// variant's first dispatch, where lavapipe compiles the shader (it JITs on first use) unless
// Mesa's on-disk shader cache already holds it: run with MESA_SHADER_CACHE_DISABLE=true to see
// the JIT cost every time (0.3-4.4 s a variant here, against 10-130 ms from the cache).
//
//   npx tsx bench/conv-ceiling.ts [--rounds 5] [--reps 10] [--only NAME]
//
// Shape: batch 16, 64 -> 64 channels, 16x16, 3x3, pad 1, stride 1, ReLU. One invocation computes
// 8 output channels x 4 pixels of a row (vec4 accumulators over output channels), 64 per workgroup.
// Variants:
//   full             input as vec4 quads of a row plus masked halo from a storage buffer; weights
//                    shared through subgroupBroadcast (each lane loads one vec4 of the kernel row)
//   no-weight-loads  weights computed in registers instead of loaded
//   no-input-loads   input computed in registers instead of loaded
//   no-loads         both: the arithmetic ceiling (FMAs, selects, the loop and the stores)
//   texture-input    input read with textureLoad from an rgba32float texture
//   uniform-weights  every lane reads every weight from the storage buffer at a uniform address
// The no-*-loads variants compute garbage by design and are only timed; the others are checked
// against a CPU reference.
//
// The machine code: `GALLIVM_DEBUG=asm MESA_SHADER_CACHE_DISABLE=true npx tsx bench/conv-ceiling.ts
// --only full --rounds 1 --reps 1` makes lavapipe print the x86 assembly of the kernel (the cache
// must be off, or a cached shader is not compiled and not printed). On Mesa 25.0.7 / LLVM 15 on
// an AVX-512 EPYC, WGSL's fma() does not become fused multiply-adds: the kernel has 0 vfmadd and
// 288 vmulps + 288 vaddps (256-bit ymm), one pair per scalar FMA of an input channel's 3x3 x 4
// pixels x 8 channels (llvmpipe's 8-lane vectors, half the 16 lanes cpu-peak.ts counts on an
// AVX-512 core). So "% peak" cannot approach 100% on this Vulkan driver even with no loads at all.

import { parseArgs } from 'node:util';
import { openDevice } from '../src/runtime/device.js';
import { SplitMix32 } from '../src/util/rng.js';
import { cpuPeak, describePeak } from './cpu-peak.js';
import { processCpuMs } from './process-time.js';
import { median } from './stats.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    reps: { type: 'string', default: '10' },
    only: { type: 'string' },
  },
});

/** A positive integer option, or exit with a message. */
function count(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} wants a positive integer, got "${text}"`);
    process.exit(2);
  }
  return n;
}

const ROUNDS = count('rounds', values.rounds);
const REPS = count('reps', values.reps);

// The shape, and the register block of one invocation.
const BATCH = 16;
const IN_C = 64;
const OUT_C = 64;
const H = 16;
const W = 16;
const OCB = 8; // output channels per invocation
const NV = OCB / 4; // vec4 accumulators per pixel
const QW = W / 4; // 4-pixel quads per row: one invocation per quad
const PLANE4 = (H * W) / 4; // vec4s per channel plane
const ROW_NV = 3 * NV; // vec4 weights per kernel row
const WG = 64;
const SPATIAL = BATCH * H * QW; // invocations per output-channel block
const FLOPS = 2 * BATCH * OUT_C * IN_C * 9 * H * W;
const CHECK_SAMPLES = 300;
const MAX_ERR = 1e-3;

type InputSource = 'buffer' | 'texture' | 'registers';
type WeightSource = 'broadcast' | 'uniform' | 'registers';

interface Variant {
  name: string;
  input: InputSource;
  weights: WeightSource;
}

const VARIANTS: Variant[] = [
  { name: 'full', input: 'buffer', weights: 'broadcast' },
  { name: 'no-weight-loads', input: 'buffer', weights: 'registers' },
  { name: 'no-input-loads', input: 'registers', weights: 'broadcast' },
  { name: 'no-loads', input: 'registers', weights: 'registers' },
  { name: 'texture-input', input: 'texture', weights: 'broadcast' },
  { name: 'uniform-weights', input: 'buffer', weights: 'uniform' },
];

/** Whether a variant computes the real convolution (so it can be checked) rather than garbage. */
const computesConv = (v: Variant) => v.input !== 'registers' && v.weights !== 'registers';

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
function shader(v: Variant, sg: number): string {
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
    v.input === 'registers' ? '  _ = xin[0];' : '',
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

interface Tensors {
  /** Input, NCHW. */
  x: Float32Array;
  /** Weights packed as kernels/conv.wgsl reads them: [ob][ic][ky][kx][oc % OCB], then padding. */
  w: Float32Array;
}

function makeTensors(sg: number): Tensors {
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
function maxError(t: Tensors, y: Float32Array): number {
  const rng = new SplitMix32(11);
  let err = 0;
  for (let k = 0; k < CHECK_SAMPLES; k++) {
    const [n, oc, oy, ox] = [rng.int(BATCH), rng.int(OUT_C), rng.int(H), rng.int(W)];
    err = Math.max(err, Math.abs(reference(t, n, oc, oy, ox) - y[((n * OUT_C + oc) * H + oy) * W + ox]));
  }
  return err;
}

// ---- GPU resources ----

interface Resources {
  xBuffer: GPUBuffer;
  xTexture: GPUTexture;
  wBuffer: GPUBuffer;
  yBuffer: GPUBuffer;
}

function upload(device: GPUDevice, t: Tensors): Resources {
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

interface Kernel {
  variant: Variant;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
}

async function compile(device: GPUDevice, v: Variant, sg: number, r: Resources): Promise<Kernel> {
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
async function timeDispatches(device: GPUDevice, k: Kernel, reps: number): Promise<number> {
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

async function readOutput(device: GPUDevice, y: GPUBuffer): Promise<Float32Array> {
  const staging = device.createBuffer({ size: y.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(y, 0, staging, 0, y.size);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.destroy();
  return out;
}

function clear(device: GPUDevice, y: GPUBuffer): void {
  const enc = device.createCommandEncoder();
  enc.clearBuffer(y);
  device.queue.submit([enc.finish()]);
}

// ---- Main ----

/** The variants --only asks for (all without it); exits on an unknown name. */
function requestedVariants(): Variant[] {
  if (values.only === undefined) return VARIANTS;
  const chosen = VARIANTS.filter((v) => v.name === values.only);
  if (chosen.length === 0) {
    console.error(`--only: no variant "${values.only}" (variants: ${VARIANTS.map((v) => v.name).join(', ')})`);
    process.exit(2);
  }
  return chosen;
}

/** Drops, with a line saying so, the variants that share weights through subgroups when the adapter has none. */
function runnable(chosen: Variant[], sg: number): Variant[] {
  if (sg > 0) return chosen;
  const skipped = chosen.filter((v) => v.weights === 'broadcast');
  if (skipped.length > 0) console.log(`no subgroups on this adapter: skipping ${skipped.map((v) => v.name).join(', ')} (they share weights with subgroupBroadcast)`);
  return chosen.filter((v) => v.weights !== 'broadcast');
}

interface Result {
  kernel: Kernel;
  firstMs: number;
  /** Max abs error against the CPU, for variants that compute the convolution. */
  error?: number;
  rates: number[];
}

const requested = requestedVariants();
const peak = cpuPeak();
const ctx = await openDevice();
console.log(`adapter: ${ctx.adapterInfo}; subgroup width ${ctx.subgroupSize || 'none'}`);
console.log(describePeak(peak));
const device = ctx.device;
const sg = ctx.subgroupSize;
const variants = runnable(requested, sg);
if (variants.length === 0) {
  console.log('nothing to run');
  ctx.close();
  process.exit(0);
}
const tensors = makeTensors(sg);
const res = upload(device, tensors);

const results: Result[] = [];
for (const v of variants) {
  const kernel = await compile(device, v, sg, res);
  clear(device, res.yBuffer); // so a check never sees another variant's output
  const firstMs = await timeDispatches(device, kernel, 1);
  const r: Result = { kernel, firstMs, rates: [] };
  if (computesConv(v)) {
    r.error = maxError(tensors, await readOutput(device, res.yBuffer));
    if (!(r.error <= MAX_ERR)) {
      console.error(`${v.name}: max abs error ${r.error.toExponential(2)} over ${CHECK_SAMPLES} outputs exceeds ${MAX_ERR}: the kernel is wrong`);
      ctx.close();
      process.exit(1);
    }
  }
  results.push(r);
}

// variants alternate round by round so that machine noise hits all alike
for (let round = 0; round < ROUNDS; round++) {
  for (const r of results) r.rates.push((REPS * FLOPS) / (await timeDispatches(device, r.kernel, REPS)) / 1e6);
}

const gflops = (r: Result) => median(r.rates);
const full = results.find((r) => r.kernel.variant.name === 'full');
console.log(
  `\nbatch ${BATCH}, ${IN_C} -> ${OUT_C} channels, ${H}x${W}, 3x3, pad 1, ReLU (${(FLOPS / 1e9).toFixed(3)} GFLOP a dispatch); ` +
    `median of ${ROUNDS} rounds of ${REPS} dispatches`,
);
if (process.env.MESA_SHADER_CACHE_DISABLE !== 'true') console.log(`(first ms includes no JIT for shaders found in Mesa's disk cache; MESA_SHADER_CACHE_DISABLE=true compiles every time)`);
console.log(`  ${'variant'.padEnd(16)} ${'GFLOP/CPU-s'.padStart(11)}  ${'% peak'.padStart(6)}  ${'first ms'.padStart(8)}  ${'x full'.padStart(6)}  output`);
for (const r of results) {
  const gf = gflops(r);
  const share = peak ? `${((100 * gf) / peak.gflops).toFixed(1)}%` : '-';
  const ratio = full ? (gf / gflops(full)).toFixed(2) : '-';
  const output = r.error === undefined ? 'garbage by design: timed only' : `checked, max abs error ${r.error.toExponential(1)}`;
  console.log(
    `  ${r.kernel.variant.name.padEnd(16)} ${gf.toFixed(1).padStart(11)}  ${share.padStart(6)}  ${r.firstMs.toFixed(0).padStart(8)}  ${ratio.padStart(6)}  ${output}`,
  );
}
ctx.close();
process.exit(0);
