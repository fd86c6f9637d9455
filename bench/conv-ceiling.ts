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
//   no-loads         both: the arithmetic ceiling (FMAs, selects, the loop and the stores), but
//                    inflated: every value is one number splatted into four components, so LLVM
//                    folds the identical multiplies (30 vmulps where the kernel has 288 FMAs)
//   fair-no-loads    both, with values that differ in every component, pixel and lane: no multiply
//                    can be folded (288 vmulps); the ceiling bench/conv-kernels.ts --vs-ceiling uses
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
import { cpuPeak, describePeak } from './cpu-peak.js';
import { median } from './stats.js';
import { BATCH, CHECK_SAMPLES, compile, computesConv, FLOPS, H, IN_C, type Kernel, MAX_ERR, makeTensors, maxError, OUT_C, readOutput, timeDispatches, upload, type Variant, VARIANTS, W, clear } from './conv-ceiling-kernel.js';

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
