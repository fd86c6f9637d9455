// Inference throughput: hrn's compiled kernels vs TensorFlow.js's WebGPU backend, on the same
// adapter, in one process, with the same network, weights and inputs. Rounds alternate between
// the two so that machine noise hits both alike; medians and the median of per-round ratios are
// reported. Both must produce the same logits before anything is timed.
//
//   npx tsx bench/infer.ts [--batch 16] [--rounds 7] [--reps 3] [--only NAME]

import { parseArgs } from 'node:util';
import type { ArchIR } from '../src/ir/arch.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { countGraph } from '../src/ir/count.js';
import { residualNetwork } from '../src/ir/factory.js';
import { runText } from '../src/passes/manager.js';
import { openDevice, Executor } from '../src/runtime/index.js';
import { initWeights, perturbWeights, Rng } from '../src/weights/index.js';
import { loadTfjsWebgpu, TfjsNet } from './tfjs-net.js';
import { median, quartiles } from './stats.js';

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '7' },
    reps: { type: 'string', default: '3' },
    only: { type: 'string' },
  },
});
const BATCH = Number(values.batch);
const ROUNDS = Number(values.rounds);
const REPS = Number(values.reps);

const hrn2x5x3x = residualNetwork({ name: 'HRN-2x5x3x(m=16)', m: 16, factors: [2, 5, 3], depths: [2, 2, 2, 2], criticality: ['S3', 'S2', 'S4', 'S1'] });
const networks: ArchIR[] = [
  hrn2x5x3x,
  { ...runText(hrn2x5x3x, 'cull S1; thin S2 S3 S4; reuse 4').family[0], name: 'HRN-2x5x3x(m=16) culled+thinned, reuse 4' },
  residualNetwork({ name: 'ResNet18(m=16)', m: 16, factors: [2, 2, 2], depths: [2, 2, 2, 2] }),
].filter((n) => values.only === undefined || n.name.includes(values.only));

function maxRelErr(a: Float32Array, b: Float32Array): number {
  let scale = 0;
  let err = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    err = Math.max(err, Math.abs(a[i] - b[i]));
  }
  return err / Math.max(scale, 1e-12);
}

const ctx = await openDevice();
const tf = await loadTfjsWebgpu();
console.log(`adapter: ${ctx.adapterInfo}`);
console.log(`batch ${BATCH}, ${ROUNDS} rounds of ${REPS} batches each, alternating hrn and tfjs-webgpu\n`);

const rows: string[][] = [];
for (const arch of networks) {
  const graph = lowerToGraph(arch);
  const weights = perturbWeights(initWeights(graph, 1), 2);
  const s = graph.nodes[0].shape;
  const input = new Float32Array(BATCH * s.c * s.h * s.w);
  new Rng(3).fillNormal(input, 1);

  const ex = await Executor.forGraph(ctx, graph, weights, { batch: BATCH, head: false });
  const peer = new TfjsNet(tf, graph, weights);
  const ours = await ex.run(input);
  const theirs = await peer.infer(input, BATCH);
  const err = maxRelErr(ours, theirs);
  if (!(err < 1e-3)) throw new Error(`${arch.name}: hrn and tfjs disagree (max relative error ${err.toExponential(2)})`);

  const hrnT: number[] = [];
  const tfT: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS + 1; r++) {
    let t0 = performance.now();
    for (let i = 0; i < REPS; i++) await ex.run(input);
    const a = (performance.now() - t0) / REPS;
    t0 = performance.now();
    for (let i = 0; i < REPS; i++) await peer.infer(input, BATCH);
    const b = (performance.now() - t0) / REPS;
    if (r === 0) continue; // warm-up round: pipelines, caches
    hrnT.push(a);
    tfT.push(b);
    ratios.push(b / a);
  }
  const ips = (ms: number) => (BATCH * 1000) / ms;
  const flops = countGraph(graph).total.flops;
  const [q1, q3] = quartiles(ratios);
  rows.push([
    arch.name,
    `${(flops / 1e6).toFixed(1)}M`,
    ips(median(hrnT)).toFixed(1),
    ips(median(tfT)).toFixed(1),
    `${median(ratios).toFixed(2)}x (${q1.toFixed(2)}-${q3.toFixed(2)})`,
    err.toExponential(1),
  ]);
  ex.dispose();
  peer.dispose();
}

const header = ['network', 'MACs/img', 'hrn img/s', 'tfjs img/s', 'hrn speed-up (IQR)', 'logit err'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(line(header));
for (const r of rows) console.log(line(r));
console.log('\nimg/s are medians over rounds; speed-up is the median of per-round tfjs/hrn time ratios.');
ctx.close();
process.exit(0);
