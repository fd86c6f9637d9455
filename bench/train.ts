// Training throughput: hrn's training plan (one command buffer per step: forward with batch
// statistics, loss, backward, SGD) vs its peers training the same graph from the same weights on
// the same batch: TensorFlow.js's WebGPU backend (bench/tfjs-net.ts) on the same adapter in this
// process, with tf.train.momentum and the same L2 weight decay, and PyTorch on the CPU (a child
// process, 1 thread by default; SGD with momentum and weight decay) when a Python with torch is at
// hand. Rounds alternate between the engines so that machine noise hits all alike. Before anything
// is timed, one step of each from the same weights must give the same loss.
//
// Per network and batch: img/s (wall), GFLOP per CPU-second (the step's FLOPs as hrn's plan counts
// them: forward, dX and dW convolutions and fc, 2 per multiply-add, over the CPU time of the
// process doing the step: this one for hrn and tfjs, lavapipe's threads included; the child's own
// for PyTorch), and hrn's ratio to each peer.
//
//   npx tsx bench/train.ts [--batch 128] [--rounds 5] [--steps 2] [--only NAME] [--m 4] [--profile] [--torch-threads 1] [--no-torch] [--no-tfjs]

import '../src/ops/index.js';
import { openTrainer } from '../src/launch/train.js';
import '../src/codegen/template-files.js';
import { register } from 'node:module';
import { parseArgs } from 'node:util';
import type { ArchIR } from '../src/ir/arch.js';
import { countGraph } from '../src/ir/count.js';
import { hrn2x5x3x } from './hrn-2x5x3x.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { planFlops } from '../src/codegen/dispatch-load.js';
import { runText } from '../src/passes/manager.js';
import { openDevice } from '../src/runtime/device.js';
import { flatLayout } from '../src/program/uploads.js';
import { initWeights, Rng } from '../src/weights/index.js';
import { cpuPeak, describePeak } from './cpu-peak.js';
import { COMPARE_HEADER, compareRows, printTable, type EngineRun, type Sample } from './report.js';
import { median } from './stats.js';
import { loadTfjsWebgpu, TfjsNet } from './tfjs-net.js';
import { findTorch, TorchPeer } from './torch-peer.js';
import { processCpuMs } from './process-time.js';

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '128' },
    rounds: { type: 'string', default: '5' },
    steps: { type: 'string', default: '2' },
    m: { type: 'string', default: '4' },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'torch-threads': { type: 'string', default: '1' },
    'no-torch': { type: 'boolean', default: false },
    'no-tfjs': { type: 'boolean', default: false },
  },
});
const TORCH_THREADS = Number(values['torch-threads']);
const BATCH = Number(values.batch);
const ROUNDS = Number(values.rounds);
const STEPS = Number(values.steps);
const M = Number(values.m);
const LR = 0.05;
const WD = 5e-4;

const base = hrn2x5x3x(M);
const networks: ArchIR[] = [
  base,
  { ...runText(base, 'cull S1; thin S2 S3 S4').family[0], name: `HRN-2x5x3x(m=${M}) culled+thinned` },
].filter((n) => values.only === undefined || n.name.includes(values.only));

const peak = cpuPeak();
const torch = values['no-torch'] ? { missing: 'PyTorch peer skipped: --no-torch' } : findTorch();
const ctx = await openDevice();
const tf = values['no-tfjs'] ? undefined : await loadTfjsWebgpu();
if (tf) await registerTfjsGradients();
console.log(`adapter: ${ctx.adapterInfo}`);
console.log(describePeak(peak));
console.log('python' in torch ? `PyTorch ${torch.version} (${torch.python}), CPU, ${TORCH_THREADS} thread(s), torch.optim.SGD` : torch.missing);
console.log(tf ? 'TensorFlow.js WebGPU: tf.train.momentum, weight decay as an L2 term' : 'tfjs-webgpu peer skipped: --no-tfjs');
console.log(`batch ${BATCH}, ${ROUNDS} rounds of ${STEPS} training steps per engine (plus a warm-up round), engines alternating\n`);

type Tensor = import('@tensorflow/tfjs-core').Tensor;

/**
 * tfjs-core's Node bundle has no gradient functions (the union package @tensorflow/tfjs imports
 * them from tfjs-core's ES-module build, dist/register_all_gradients.js). That build uses
 * extensionless and directory imports, which Node's ES-module resolver refuses, so a small resolve
 * hook adds the `.js` / `/index.js`. The gradient registry and the engine live in tfjs's global
 * namespace, so gradients registered from the ES-module build serve the Node bundle's engine.
 */
async function registerTfjsGradients(): Promise<void> {
  const hook = `
    export async function resolve(spec, context, next) {
      try {
        return await next(spec, context);
      } catch (e) {
        if (!e || !spec.startsWith('.') || spec.endsWith('.js')) throw e;
        if (e.code !== 'ERR_UNSUPPORTED_DIR_IMPORT' && e.code !== 'ERR_MODULE_NOT_FOUND') throw e;
        try {
          return await next(spec + '.js', context);
        } catch {
          return next(spec + '/index.js', context);
        }
      }
    }`;
  register(`data:text/javascript,${encodeURIComponent(hook)}`);
  await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
}

const rows: string[][] = [];
for (const arch of networks) {
  const graph = lowerToGraph(arch);
  const weights = initWeights(graph, 1);
  const s = graph.nodes[0].shape;
  const rng = new Rng(3);
  const input = rng.fillNormal(new Float32Array(BATCH * s.c * s.h * s.w), 1);
  const labels = Array.from({ length: BATCH }, (_, i) => (i * 7) % graph.classes);

  // hrn
  const trainer = await openTrainer(ctx, graph, weights, { batch: BATCH, sgd: { momentum: 0.9, weightDecay: WD } });
  await trainer.step(input, labels, LR);
  const hrnLoss = (await trainer.readSums(true)).loss;

  const engines: { name: string; run: (steps: number) => Promise<Sample>; close: () => void }[] = [
    {
      name: 'hrn (lavapipe)',
      run: async (steps) => {
        const c0 = process.cpuUsage();
        const wallMs = await trainer.time(steps);
        const c = process.cpuUsage(c0);
        return { wallMs, cpuMs: (c.user + c.system) / 1000 / steps };
      },
      close: () => trainer.dispose(),
    },
  ];
  if (tf) engines.push(tfjsEngine(tf, graph, weights, input, labels, hrnLoss, flatLayout(trainer.program).params.map((p) => p.name), arch.name));
  if ('python' in torch) {
    const peer = TorchPeer.start({ python: torch.python, mode: 'train', graph, weights, input, threads: TORCH_THREADS, labels, params: flatLayout(trainer.program).params.map((p) => p.name), lr: LR, weightDecay: WD });
    const torchLoss = await peer.firstLoss();
    if (!(Math.abs(torchLoss - hrnLoss) < 1e-3 * Math.max(1, Math.abs(hrnLoss)))) throw new Error(`${arch.name}: the first step's loss differs: hrn ${hrnLoss}, PyTorch ${torchLoss}`);
    engines.push({ name: `pytorch-cpu ${TORCH_THREADS}t`, run: (steps) => peer.time(steps), close: () => peer.close() });
  }

  const runs: EngineRun[] = engines.map((e) => ({ engine: e.name, samples: [] }));
  for (let r = 0; r < ROUNDS + 1; r++) {
    for (let i = 0; i < engines.length; i++) {
      const t = await engines[i].run(STEPS);
      if (r > 0) runs[i].samples.push(t); // round 0 warms up
    }
  }
  const stepFlops = planFlops(trainer.program);
  if (values.profile) {
    // where hrn's step goes: every dispatch timed on its own, summed by kernel template and phase
    const prof = await trainer.profile(3, undefined, processCpuMs);
    const byKernel = new Map<string, { ms: number; flops: number; n: number }>();
    for (const p of prof) {
      const k = `${p.phase.padEnd(9)} ${p.template}`;
      const e = byKernel.get(k) ?? { ms: 0, flops: 0, n: 0 };
      byKernel.set(k, { ms: e.ms + p.ms, flops: e.flops + p.flops, n: e.n + 1 });
    }
    const total = prof.reduce((s, p) => s + p.ms, 0);
    const hrnStep = median(runs[0].samples.map((x) => x.wallMs));
    const clocks = [...new Set(prof.map((p) => (p.clock === 'timestamp' ? 'GPU timestamps' : 'the wall clock')))].join(' and ');
    console.log(`${arch.name}: ${prof.length} dispatches, ${total.toFixed(1)} ms when timed one by one, by ${clocks} (step: ${hrnStep.toFixed(1)} ms); % peak: of one core's fp32 peak`);
    for (const [k, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms)) {
      const rate = e.flops / e.ms / 1e6;
      const gf = e.flops > 0 ? `${rate.toFixed(1)} GFLOP/s${peak ? `  ${((100 * rate) / peak.gflops).toFixed(1)}% peak` : ''}` : '';
      console.log(`  ${k.padEnd(34)} ${String(e.n).padStart(3)} x  ${e.ms.toFixed(1).padStart(7)} ms  ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  ${gf}`);
    }
    console.log('');
  }
  rows.push(...compareRows(`${arch.name}, ${countGraph(graph).total.relus.toLocaleString('en-US')} ReLUs, ${(stepFlops / BATCH / 1e6).toFixed(0)}M FLOP/img`, BATCH, stepFlops, runs, peak?.gflops));
  for (const e of engines) e.close();
}

/** tfjs training the same graph: same weights, momentum 0.9, weight decay as an L2 term (its
 * gradient is WD * w, as in SGD's weight decay). Its first step's loss must match hrn's. */
function tfjsEngine(
  tf: typeof import('@tensorflow/tfjs-core'),
  graph: ReturnType<typeof lowerToGraph>,
  weights: ReturnType<typeof initWeights>,
  input: Float32Array,
  labels: number[],
  hrnLoss: number,
  paramNames: string[],
  name: string,
): { name: string; run: (steps: number) => Promise<Sample>; close: () => void } {
  const s = graph.nodes[0].shape;
  const peer = new TfjsNet(tf, graph, weights);
  const vars = [...peer.params.values()];
  const opt = tf.train.momentum(LR, 0.9);
  const x = tf.tensor4d(input, [BATCH, s.c, s.h, s.w]);
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), graph.classes);
  const step = (): Tensor =>
    tf.tidy(() =>
      opt.minimize(
        () => {
          const logits = peer.forward(x as import('@tensorflow/tfjs-core').Tensor4D, true);
          const ce = tf.losses.softmaxCrossEntropy(y, logits);
          // (pairwise adds: tfjs-webgpu's AddN binds every operand, beyond the 8-buffer limit)
          const l2 = tf.mul(vars.map((v) => tf.sum(tf.square(v))).reduce((a, b) => tf.add(a, b)), WD / 2);
          return tf.add(ce, l2) as import('@tensorflow/tfjs-core').Scalar;
        },
        true,
        vars,
      )!,
    );
  let checked = false;
  const check = async () => {
    // the first step's loss, for the agreement check (the L2 term is added back on hrn's side)
    let l2 = 0;
    for (const p of paramNames) for (const v of weights.get(p)!.data) l2 += v * v;
    const first = step();
    const tfLoss = (await first.data())[0];
    first.dispose();
    const diff = Math.abs(tfLoss - (hrnLoss + (WD / 2) * l2));
    if (!(diff < 1e-3 * Math.max(1, Math.abs(tfLoss)))) throw new Error(`${name}: the first step's loss differs: hrn ${hrnLoss} (+ L2), tfjs ${tfLoss}`);
    checked = true;
  };
  return {
    name: 'tfjs-webgpu',
    run: async (steps) => {
      if (!checked) await check();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      let last: Tensor | undefined;
      for (let i = 0; i < steps; i++) {
        last?.dispose();
        last = step();
      }
      await last!.data();
      last!.dispose();
      const c = process.cpuUsage(c0);
      return { wallMs: (performance.now() - t0) / steps, cpuMs: (c.user + c.system) / 1000 / steps };
    },
    close: () => {
      peer.dispose();
      x.dispose();
      y.dispose();
      opt.dispose();
    },
  };
}

printTable(COMPARE_HEADER, rows);
console.log('\nimg/s: median wall time per training step (forward, loss, backward, SGD update). GFLOP/CPU-s: the step\'s');
console.log('FLOPs as hrn counts them (forward, dX and dW convolutions and fc, 2 per multiply-add) over the median CPU');
console.log('time per step of the process doing it; % 1-core peak relates that to the peak above. cores busy: CPU / wall.');
console.log('Ratios: hrn / peer, median of per-round ratios (interquartile range).');
ctx.close();
process.exit(0);
