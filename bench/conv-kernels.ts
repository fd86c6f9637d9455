// Convolution kernel efficiency: every conv dispatch of a training step (forward with the
// inference kernel, dX, dW and its reduction) of HRN-2x5x3x, timed on its own, summed by kernel,
// as GFLOP per CPU-second of this process (lavapipe's threads included) and as a share of one
// core's fp32 peak. Median over rounds. "first" is the CPU time of each kernel's first runs after
// the trainer was built, where any lazy shader compilation lands; "build" is the CPU time of
// building the trainer (pipeline creation included).
//
//   npx tsx bench/conv-kernels.ts [--net 16x16,4x128] [--rounds 5] [--reps 3] [--toggles 'robust;default'] [--only REGEX] [--per-dispatch]
//                                 [--vs-ceiling] [--json] [--schedules JSON]
//
// --vs-ceiling also times, in the same rounds (alternating with the kernels, on the first
// variant's device), the fair no-load ceiling (fair-ceiling.ts: conv-ceiling.ts's fair-no-loads
// kernel, whose multiplies LLVM cannot fold) and counts its multiplies in lavapipe's machine code;
// it prints the conv kernels' GFLOP per CPU-second (the first variant's, every conv dispatch of
// every --net together) against the ceiling's. --json ends the output with one line, a JSON object
// with kernelsGflopPerCpuS, ceilingGflopPerCpuS and their ratio (and the forward kernel's alone).
//
// --net takes m x batch pairs; --only keeps the dispatches whose label matches (e.g. 'S4.b2.conv1'). --toggles lists
// variants separated by ';', each 'default' or Dawn toggles, 'robust' for
// Dawn's bounds checks on (see src/runtime/device.ts), measured in alternation.

import '../src/ops/index.js';
import { openTrainer } from '../src/launch/train.js';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import '../src/codegen/template-files.js';
import { hrn2x5x3x } from './hrn-2x5x3x.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { openDevice } from '../src/runtime/device.js';
import { Trainer, type DispatchProfile } from '../src/runtime/trainer.js';
import { initWeights, Rng } from '../src/weights/index.js';
import { cpuPeak, describePeak } from './cpu-peak.js';
import { median, quartiles } from './stats.js';
import { processCpuMs } from './process-time.js';
import { countInstructions, fairCeiling, type FairCeiling } from './fair-ceiling.js';
import type { ScheduleOverrides } from '../src/codegen/schedule/types.js';

const { values } = parseArgs({
  options: {
    net: { type: 'string', default: '16x16,4x128' },
    rounds: { type: 'string', default: '5' },
    reps: { type: 'string', default: '3' },
    toggles: { type: 'string' },
    only: { type: 'string' },
    'per-dispatch': { type: 'boolean', default: false },
    'vs-ceiling': { type: 'boolean', default: false },
    'ceiling-reps': { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
    schedules: { type: 'string' },
  },
});
// knobs forced on every kernel of a family, as JSON (e.g. '{"conv":{"rows":2}}'): to time a schedule against the profile's
const schedules = values.schedules === undefined ? undefined : (JSON.parse(values.schedules) as ScheduleOverrides);
const VS_CEILING = values['vs-ceiling'];
const CEILING_REPS = Number(values['ceiling-reps']);
if (values.json && !VS_CEILING) {
  console.error('--json reports the comparison with the fair ceiling: use it with --vs-ceiling');
  process.exit(2);
}
const ROUNDS = Number(values.rounds);
const REPS = Number(values.reps);
// one device per variant: "default" (openDevice's defaults), or a comma-separated list of Dawn
// toggles, where "robust" keeps Dawn's bounds checks on (openDevice turns them off on CPU drivers)
const variants = (values.toggles ?? 'default').split(';').map((v) => (v === 'default' ? [] : v.split(',')));
const deviceOptions = (v: string[]) => ({ enableToggles: v.filter((t) => t !== 'robust'), robustness: v.includes('robust') ? true : undefined });
const only = values.only === undefined ? undefined : new RegExp(values.only);
const isConv = (d: { label: string; template: string }) => /(^|\/)conv/.test(d.template) && (!only || only.test(d.label));

const peak = cpuPeak();
const ctxs = await Promise.all(variants.map((v) => openDevice(deviceOptions(v))));
console.log(`adapter: ${ctxs[0].adapterInfo}; subgroup width ${ctxs[0].subgroupSize || 'none'}`);
console.log(describePeak(peak));

const rate = (flops: number, ms: number) => flops / ms / 1e6;
const share = (gf: number) => (peak ? `${((100 * gf) / peak.gflops).toFixed(1)}%` : '-');

interface Totals {
  /** Median CPU ms summed over the dispatches, and their FLOPs: every conv kernel, and the forward kernel alone. */
  cpu: number;
  flops: number;
  forwardCpu: number;
  forwardFlops: number;
}

/** Sums a variant's rounds by kernel and prints them (and each dispatch with --per-dispatch). */
function report(rounds: DispatchProfile[][]): Totals {
  let forwardCpu = 0;
  let forwardFlops = 0;
  const byKernel = new Map<string, { cpu: number; flops: number; n: number; first: number }>();
  const rows: string[] = [];
  for (let i = 0; i < rounds[0].length; i++) {
    const d = rounds[0][i];
    const cpu = median(rounds.map((r) => r[i].cpuMs));
    const k = `${d.phase.padEnd(9)} ${d.template}`;
    const e = byKernel.get(k) ?? { cpu: 0, flops: 0, n: 0, first: 0 };
    byKernel.set(k, { cpu: e.cpu + cpu, flops: e.flops + d.flops, n: e.n + 1, first: e.first + d.firstCpuMs });
    if (d.template === 'conv') {
      forwardCpu += cpu;
      forwardFlops += d.flops;
    }
    if (d.flops > 0) rows.push(`  ${d.label.padEnd(28)} ${cpu.toFixed(2).padStart(8)} ms  ${rate(d.flops, cpu).toFixed(1).padStart(6)} GFLOP/CPU-s  ${share(rate(d.flops, cpu)).padStart(6)}`);
  }
  let cpuAll = 0;
  let flopsAll = 0;
  console.log(`  ${'kernel'.padEnd(34)} ${'n'.padStart(3)}  ${'CPU ms'.padStart(8)}  ${'GFLOP/CPU-s'.padStart(11)}  ${'% peak'.padStart(6)}  ${'first ms'.padStart(8)}`);
  for (const [k, e] of [...byKernel].sort((a, b) => b[1].cpu - a[1].cpu)) {
    cpuAll += e.cpu;
    flopsAll += e.flops;
    const gf = e.flops > 0 ? rate(e.flops, e.cpu) : 0;
    console.log(`  ${k.padEnd(34)} ${String(e.n).padStart(3)}  ${e.cpu.toFixed(1).padStart(8)}  ${(e.flops > 0 ? gf.toFixed(1) : '').padStart(11)}  ${(e.flops > 0 ? share(gf) : '').padStart(6)}  ${e.first.toFixed(0).padStart(8)}`);
  }
  const gfAll = rate(flopsAll, cpuAll);
  console.log(`  ${'all conv kernels'.padEnd(34)} ${''.padStart(3)}  ${cpuAll.toFixed(1).padStart(8)}  ${gfAll.toFixed(1).padStart(11)}  ${share(gfAll).padStart(6)}`);
  if (values['per-dispatch']) console.log(rows.join('\n'));
  return { cpu: cpuAll, flops: flopsAll, forwardCpu, forwardFlops };
}

const ceiling: FairCeiling | undefined = VS_CEILING ? await fairCeiling(ctxs[0].device) : undefined;
const ceilingRates: number[] = [];
/** Per net and round: the first variant's conv kernels over the ceiling of the same round (the load of that moment hits both). */
const pairedRatios: number[] = [];
const totals: Totals = { cpu: 0, flops: 0, forwardCpu: 0, forwardFlops: 0 };
const clocks = new Set<string>();

for (const pair of values.net.split(',')) {
  const [m, batch] = pair.split('x').map(Number);
  const arch = hrn2x5x3x(m);
  const graph = lowerToGraph(arch);
  const s = graph.nodes[0].shape;
  const input = new Rng(3).fillNormal(new Float32Array(batch * s.c * s.h * s.w), 1);
  const built: { trainer: Trainer; buildMs: number; rounds: DispatchProfile[][] }[] = [];
  for (const ctx of ctxs) {
    const c0 = process.cpuUsage();
    const trainer = await openTrainer(ctx, graph, initWeights(graph, 1), { batch, sgd: { momentum: 0.9, weightDecay: 5e-4 }, schedules });
    const c = process.cpuUsage(c0);
    await trainer.step(input, Array.from({ length: batch }, (_, i) => i % graph.classes), 0.01);
    built.push({ trainer, buildMs: (c.user + c.system) / 1e3, rounds: [] });
  }
  // variants alternate round by round so that machine noise hits all alike
  // (and the ceiling with them, so that the load hits it alike)
  for (let r = 0; r < ROUNDS; r++) {
    for (const b of built) b.rounds.push(await b.trainer.profile(REPS, isConv, processCpuMs));
    if (!ceiling) continue;
    const c = await ceiling.rate(CEILING_REPS);
    ceilingRates.push(c);
    const round = built[0].rounds[r];
    pairedRatios.push(rate(round.reduce((s, d) => s + d.flops, 0), round.reduce((s, d) => s + d.cpuMs, 0)) / c);
  }
  built.forEach((b, v) => {
    b.trainer.dispose();
    for (const round of b.rounds) for (const d of round) clocks.add(d.clock);
    console.log(`\n${arch.name}, batch ${batch}, ${variants[v].join(',') || 'default'}, Dawn robustness ${ctxs[v].robust ? 'on' : 'off'}: trainer built in ${b.buildMs.toFixed(0)} ms CPU; median of ${ROUNDS} rounds, ${REPS} runs each`);
    const t = report(b.rounds);
    if (v === 0) for (const k of Object.keys(totals) as (keyof Totals)[]) totals[k] += t[k];
  });
}
ceiling?.destroy();
for (const ctx of ctxs) ctx.close();

if (ceiling) {
  const instructions = await countInstructions();
  const kernelsGf = rate(totals.flops, totals.cpu);
  const forwardGf = rate(totals.forwardFlops, totals.forwardCpu);
  const ceilingGf = median(ceilingRates);
  const load = loadavg().map((x) => Number(x.toFixed(2)));
  const asm = instructions
    ? `${instructions.vmulps} vmulps + ${instructions.vfmadd} vfmadd for the ${instructions.fmasInSource} multiply-adds an input channel has in its WGSL (${instructions.vaddps} vaddps)`
    : 'no machine code printed (GALLIVM_DEBUG=asm works only on lavapipe)';
  console.log(`\nfair no-load ceiling (conv-ceiling.ts fair-no-loads, median of ${ROUNDS} rounds of ${CEILING_REPS} dispatches): ${ceilingGf.toFixed(1)} GFLOP/CPU-s; ${asm}`);
  console.log(`conv kernels (${variants[0].join(',') || 'default'}, --net ${values.net}): ${kernelsGf.toFixed(1)} GFLOP/CPU-s = ${(kernelsGf / ceilingGf).toFixed(2)}x the ceiling (forward kernel alone: ${forwardGf.toFixed(1)}, ${(forwardGf / ceilingGf).toFixed(2)}x); goal 0.6x`);
  const [q1, q3] = quartiles(pairedRatios);
  console.log(`round by round: median ${median(pairedRatios).toFixed(2)}x the ceiling of the same round (quartiles ${q1.toFixed(2)}-${q3.toFixed(2)}, ${pairedRatios.length} rounds)`);
  console.log(`load average ${load.join(' ')} on ${cpus().length} cores; dispatches timed by ${[...clocks].join(' and ')} (CPU time is what the ratio uses)`);
  if (values.json) {
    const doc = {
      bench: 'conv-kernels',
      adapter: ctxs[0].adapterInfo,
      nets: values.net,
      rounds: ROUNDS,
      reps: REPS,
      ceilingReps: CEILING_REPS,
      kernelsGflopPerCpuS: kernelsGf,
      ceilingGflopPerCpuS: ceilingGf,
      ratio: kernelsGf / ceilingGf,
      forwardGflopPerCpuS: forwardGf,
      forwardRatio: forwardGf / ceilingGf,
      goal: 0.6,
      ceilingRates,
      pairedRatioMedian: median(pairedRatios),
      pairedRatios,
      ceilingInstructions: instructions ?? null,
      loadAverage: load,
      cores: cpus().length,
      clocks: [...clocks],
    };
    console.log(JSON.stringify(doc));
  }
}
process.exit(0);
