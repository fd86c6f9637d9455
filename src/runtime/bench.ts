// Throughput measurement of compiled plans: a single convolution (the kernel the design notes
// compare with tfjs-backend-webgpu) or a whole network. Reports wall-clock GFLOP/s and GFLOP per
// CPU-second of this process (lavapipe's threads run in-process, so the latter is robust to other
// load on the machine; on an idle machine wall GFLOP/s ~ cores x CPU GFLOP/s).

import { GraphBuilder } from '../ir/builder.js';
import type { LayerGraph } from '../ir/graph.js';
import type { ScheduleOptions } from '../codegen/plan-types.js';
import { planFlops } from '../codegen/plan.js';
import { initWeights, perturbWeights, Rng } from '../weights/weights.js';
import type { GpuContext } from './device.js';
import { Executor } from './executor.js';

export interface BenchResult {
  /** Best wall-clock milliseconds per run. */
  ms: number;
  /** Median wall-clock milliseconds per run. */
  medianMs: number;
  gflops: number;
  /** GFLOP per CPU-second of this process (best trial). */
  cpuGflops: number;
  flops: number;
  /** Milliseconds of the first run (includes the driver's JIT when the shader cache is cold). */
  firstRunMs: number;
}

export interface ConvBenchSpec {
  c: number;
  h: number;
  w: number;
  co: number;
  k: number;
  stride?: number;
  groups?: number;
  batch: number;
  relu?: boolean;
}

/** conv (+ relu) as a one-node graph. */
export function convBenchGraph(s: ConvBenchSpec): LayerGraph {
  const b = new GraphBuilder();
  const x = b.addInput('input', { c: s.c, h: s.h, w: s.w });
  let y = b.add({
    op: 'conv', name: 'conv', region: 'S1', input: x, outChannels: s.co, kernel: s.k, stride: s.stride ?? 1,
    pad: Math.floor(s.k / 2), groups: s.groups ?? 1, bias: true,
  });
  if (s.relu) y = b.add({ op: 'relu', name: 'relu', region: 'S1', input: y, start: 0, end: s.co });
  const o = b.shape(y);
  return b.finish(`conv${s.k}x${s.k}_${s.c}x${s.h}x${s.w}_to_${s.co}`, y, ['S1'], o.c * o.h * o.w);
}

export interface BenchOptions {
  /** Runs per timed command buffer. */
  repeat?: number;
  trials?: number;
  /** The schedule profile and any family's knobs to time (default: the device's profile). */
  schedule?: ScheduleOptions;
  /** Measure only the graph's own kernels (no softmax/argmax head). Default true. */
  noHead?: boolean;
}

/** Times a whole plan for `graph` (random weights and input). */
export async function benchmarkGraph(ctx: GpuContext, graph: LayerGraph, batch: number, o: BenchOptions = {}): Promise<BenchResult> {
  const weights = perturbWeights(initWeights(graph, 1), 2);
  const ex = await Executor.forGraph(ctx, graph, weights, { batch, ...o.schedule, head: !(o.noHead ?? true) });
  try {
    const input = new Rng(3).fillNormal(new Float32Array(ex.plan.input.elements), 1);
    const t0 = performance.now();
    await ex.run(input);
    const firstRunMs = performance.now() - t0;
    const repeat = o.repeat ?? 10;
    const walls: number[] = [];
    const cpus: number[] = [];
    for (let t = 0; t < (o.trials ?? 5); t++) {
      const c0 = process.cpuUsage();
      const ms = await ex.time(repeat);
      const c = process.cpuUsage(c0);
      walls.push(ms / repeat);
      cpus.push((c.user + c.system) / 1000 / repeat);
    }
    walls.sort((a, b) => a - b);
    cpus.sort((a, b) => a - b);
    const flops = planFlops(ex.plan);
    return {
      ms: walls[0],
      medianMs: walls[walls.length >> 1],
      gflops: flops / walls[0] / 1e6,
      cpuGflops: flops / cpus[0] / 1e6,
      flops,
      firstRunMs,
    };
  } finally {
    ex.dispose();
  }
}

export function benchmarkConv(ctx: GpuContext, s: ConvBenchSpec, o: BenchOptions = {}): Promise<BenchResult> {
  return benchmarkGraph(ctx, convBenchGraph(s), s.batch, o);
}
