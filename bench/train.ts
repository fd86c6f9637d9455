// Training throughput: hrn's training plan (one command buffer per step: forward with batch
// statistics, loss, backward, SGD) vs TensorFlow.js's WebGPU backend training the same graph
// (bench/tfjs-net.ts) with tf.train.momentum and the same L2 weight decay, from the same weights,
// on the same batch and the same adapter, in one process. Rounds alternate between the two so
// that machine noise hits both alike; medians and the median of per-round ratios are reported.
// Before anything is timed, one step of each from the same weights must give the same loss.
//
//   npx tsx bench/train.ts [--batch 128] [--rounds 5] [--steps 2] [--only NAME] [--m 4] [--profile]

import { register } from 'node:module';
import { parseArgs } from 'node:util';
import type { ArchIR } from '../src/ir/arch.js';
import { countGraph } from '../src/ir/count.js';
import { residualNetwork } from '../src/ir/factory.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { trainPlanFlops } from '../src/codegen/train-plan.js';
import { runText } from '../src/passes/manager.js';
import { openDevice } from '../src/runtime/device.js';
import { Trainer } from '../src/runtime/trainer.js';
import { initWeights, Rng } from '../src/weights/index.js';
import { median, quartiles } from './stats.js';
import { loadTfjsWebgpu, TfjsNet } from './tfjs-net.js';

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '128' },
    rounds: { type: 'string', default: '5' },
    steps: { type: 'string', default: '2' },
    m: { type: 'string', default: '4' },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
  },
});
const BATCH = Number(values.batch);
const ROUNDS = Number(values.rounds);
const STEPS = Number(values.steps);
const M = Number(values.m);
const LR = 0.05;
const WD = 5e-4;

const base = residualNetwork({ name: `HRN-2x5x3x(m=${M})`, m: M, factors: [2, 5, 3], depths: [2, 2, 2, 2], criticality: ['S3', 'S2', 'S4', 'S1'] });
const networks: ArchIR[] = [
  base,
  { ...runText(base, 'cull S1; thin S2 S3 S4').family[0], name: `HRN-2x5x3x(m=${M}) culled+thinned` },
].filter((n) => values.only === undefined || n.name.includes(values.only));

const ctx = await openDevice();
const tf = await loadTfjsWebgpu();
await registerTfjsGradients();
console.log(`adapter: ${ctx.adapterInfo}`);
console.log(`batch ${BATCH}, ${ROUNDS} rounds of ${STEPS} training steps each (plus a warm-up round), alternating hrn and tfjs-webgpu\n`);

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
  const trainer = await Trainer.create(ctx, graph, weights, { batch: BATCH, sgd: { momentum: 0.9, weightDecay: WD } });
  await trainer.step(input, labels, LR);
  const hrnLoss = (await trainer.readSums(true)).loss;

  // tfjs: same weights, momentum 0.9, weight decay as an L2 term (its gradient is WD * w, as in SGD's weight decay)
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
  // the first step's cross-entropy, for the agreement check (the L2 term is added back on our side)
  let l2 = 0;
  for (const name of trainer.plan.params.map((p) => p.name)) for (const v of weights.get(name)!.data) l2 += v * v;
  const first = step();
  const tfLoss = (await first.data())[0];
  first.dispose();
  const diff = Math.abs(tfLoss - (hrnLoss + (WD / 2) * l2));
  if (!(diff < 1e-3 * Math.max(1, Math.abs(tfLoss)))) throw new Error(`${arch.name}: the first step's loss differs: hrn ${hrnLoss} (+ L2), tfjs ${tfLoss}`);

  const hrnT: number[] = [];
  const tfT: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS + 1; r++) {
    const a = await trainer.time(STEPS);
    let t0 = performance.now();
    let last: Tensor | undefined;
    for (let i = 0; i < STEPS; i++) {
      last?.dispose();
      last = step();
    }
    await last!.data();
    last!.dispose();
    const b = (performance.now() - t0) / STEPS;
    if (r === 0) continue; // warm-up round
    hrnT.push(a);
    tfT.push(b);
    ratios.push(b / a);
  }
  const ips = (ms: number) => (BATCH * 1000) / ms;
  const [q1, q3] = quartiles(ratios);
  if (values.profile) {
    // where hrn's step goes: every dispatch timed on its own, summed by kernel template and phase
    const prof = await trainer.profile();
    const byKernel = new Map<string, { ms: number; flops: number; n: number }>();
    for (const p of prof) {
      const k = `${p.phase.padEnd(9)} ${p.template}`;
      const e = byKernel.get(k) ?? { ms: 0, flops: 0, n: 0 };
      byKernel.set(k, { ms: e.ms + p.ms, flops: e.flops + p.flops, n: e.n + 1 });
    }
    const total = prof.reduce((s, p) => s + p.ms, 0);
    console.log(`${arch.name}: ${prof.length} dispatches, ${total.toFixed(1)} ms when timed one by one (step: ${median(hrnT).toFixed(1)} ms)`);
    for (const [k, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms)) {
      const gf = e.flops > 0 ? `${(e.flops / e.ms / 1e6).toFixed(1)} GFLOP/s` : '';
      console.log(`  ${k.padEnd(34)} ${String(e.n).padStart(3)} x  ${e.ms.toFixed(1).padStart(7)} ms  ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  ${gf}`);
    }
    console.log('');
  }
  rows.push([
    arch.name,
    countGraph(graph).total.relus.toLocaleString('en-US'),
    `${(trainPlanFlops(trainer.plan) / BATCH / 1e6).toFixed(0)}M`,
    ips(median(hrnT)).toFixed(1),
    ips(median(tfT)).toFixed(1),
    `${median(ratios).toFixed(2)}x (${q1.toFixed(2)}-${q3.toFixed(2)})`,
    `${(trainPlanFlops(trainer.plan) / median(hrnT) / 1e6).toFixed(1)}`,
  ]);
  trainer.dispose();
  peer.dispose();
  x.dispose();
  y.dispose();
  opt.dispose();
}

const header = ['network', 'ReLUs', 'FLOP/img', 'hrn img/s', 'tfjs img/s', 'hrn speed-up (IQR)', 'hrn GFLOP/s'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(line(header));
for (const r of rows) console.log(line(r));
console.log('\nimg/s are medians over rounds of training steps (forward, loss, backward, SGD update); speed-up is the');
console.log('median of per-round tfjs/hrn time ratios. FLOP/img counts forward, dX and dW convolutions and fc (2 per MAC).');
ctx.close();
process.exit(0);
