// What the Vulkan driver's compilation of a training step's kernels costs, kernel family by family:
// every distinct kernel of HRN-2x5x3x (m=4) at batch 128 is compiled on its own (lavapipe compiles a
// shader at its first dispatch, so each gets one dispatch through warmPipelines) with Mesa's
// shader cache off, and the CPU time of this process (the Vulkan driver's threads included) is summed by
// template. This is the work a cold start spreads over the cores (bench/coldstart.ts times that).
// Median over rounds; the machine is shared, so one-off figures vary by 20% or more.
//
//   npx tsx bench/kernel-compile.ts [--rounds 3] [--batch 128] [--only TEMPLATE]

import { parseArgs } from 'node:util';

// Before anything opens the Vulkan driver: it reads this when the device is created.
process.env.MESA_SHADER_CACHE_DISABLE = 'true';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    batch: { type: 'string', default: '128' },
    only: { type: 'string' },
  },
});
const ROUNDS = Number(values.rounds);

await import('../src/codegen/template-files.js');
await import('../src/ops/index.js');
const { hrn2x5x3x } = await import('./hrn-2x5x3x.js');
const { lowerToGraph } = await import('../src/ir/lower.js');
const { compileTrainPlan } = await import('../src/codegen/train-plan.js');
const { openDevice } = await import('../src/runtime/device.js');
const { cachedPipeline } = await import('../src/runtime/pipelines.js');
const { warmPipelines } = await import('../src/runtime/warm-up.js');
const { median } = await import('./stats.js');
const { processCpuMs } = await import('./process-time.js');

const ctx = await openDevice();
const plan = compileTrainPlan(lowerToGraph(hrn2x5x3x(4)), { batch: Number(values.batch), subgroupSize: ctx.subgroupSize });
const kernels = plan.kernels.filter((k) => values.only === undefined || k.template === values.only);
console.log(`adapter: ${ctx.adapterInfo}; ${plan.kernels.length} distinct kernels, ${plan.dispatches.length} dispatches per step; shader cache off`);

const perRound: Map<string, number>[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const byTemplate = new Map<string, number>();
  for (const k of kernels) {
    // a fresh pipeline each round: the Vulkan driver compiles again (its cache is off)
    const { pipeline, layout } = await cachedPipeline(ctx.device, { ...k, wgsl: `${k.wgsl}\n// round ${r}` }, k.layout);
    const c0 = processCpuMs();
    await warmPipelines(ctx.device, [{ pipeline, layout, source: k, types: k.layout }]);
    byTemplate.set(k.template, (byTemplate.get(k.template) ?? 0) + processCpuMs() - c0);
  }
  perRound.push(byTemplate);
}

const count = new Map<string, number>();
for (const k of kernels) count.set(k.template, (count.get(k.template) ?? 0) + 1);
const rows = [...count].map(([t, n]) => ({ t, n, ms: median(perRound.map((m) => m.get(t) ?? 0)) })).sort((a, b) => b.ms - a.ms);
console.log(`\n  ${'template'.padEnd(28)} ${'kernels'.padStart(7)}  ${'CPU ms'.padStart(8)}  ${'per kernel'.padStart(10)}`);
for (const { t, n, ms } of rows) console.log(`  ${t.padEnd(28)} ${String(n).padStart(7)}  ${ms.toFixed(0).padStart(8)}  ${(ms / n).toFixed(0).padStart(10)}`);
const total = median(perRound.map((m) => [...m.values()].reduce((a, b) => a + b, 0)));
console.log(`  ${'all'.padEnd(28)} ${String(kernels.length).padStart(7)}  ${total.toFixed(0).padStart(8)}`);
console.log(`\nCPU of compiling every kernel once, median of ${ROUNDS} rounds: ${(total / 1000).toFixed(1)} s`);
ctx.close();
process.exit(0);
