// Inference throughput: hrn's compiled kernels vs its peers on the same network, weights and
// input: TensorFlow.js's WebGPU backend on the same adapter, in this process, at its best (batch
// norm folded, fused conv+bias+relu), and PyTorch on the CPU (a child process, 1 thread by
// default) when a Python with torch is at hand, and ONNX Runtime on the CPU (in this process, on
// the graph `hrn export` writes, 1 intra-op thread by default), and ONNX Runtime's WebGPU execution
// provider on the same graph (its own Dawn, on the same adapter). All must give the same logits
// before anything is timed. Rounds alternate between the engines so that machine noise hits all alike.
//
// Per network and batch: img/s (wall), GFLOP per CPU-second (useful work, 2 FLOP per multiply-add
// of the convolutions and fc, over the CPU time of the process doing it: this process for hrn and
// tfjs, lavapipe's threads included; the child's own for PyTorch), and hrn's ratio to each peer.
// CPU time is the stable figure on a shared machine.
//
//   npx tsx bench/infer.ts [--batch 16[,128]] [--rounds 7] [--reps 3] [--only NAME] [--torch-threads 1] [--ort-threads 1] [--no-torch] [--no-tfjs] [--no-ort] [--no-ort-webgpu]

import '../src/ops/index.js';
import { openExecutor } from '../src/launch/infer.js';
import '../src/codegen/template-files.js';
import { parseArgs } from 'node:util';
import type { ArchIR } from '../src/ir/arch.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { countGraph } from '../src/ir/count.js';
import { residualNetwork } from '../src/ir/factory.js';
import { hrn2x5x3x } from './hrn-2x5x3x.js';
import { runText } from '../src/passes/manager.js';
import { openDevice } from '../src/runtime/index.js';
import { initWeights, perturbWeights, Rng } from '../src/weights/index.js';
import { cpuPeak, describePeak } from './cpu-peak.js';
import { COMPARE_HEADER, compareRows, printTable, timeInProcess, type EngineRun } from './report.js';
import { findTorch, TorchPeer } from './torch-peer.js';
import { loadTfjsWebgpu, TfjsFusedNet } from './tfjs-net.js';
import { OrtPeer } from './ort-peer.js';

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '7' },
    reps: { type: 'string', default: '3' },
    only: { type: 'string' },
    'torch-threads': { type: 'string', default: '1' },
    'no-torch': { type: 'boolean', default: false },
    'no-tfjs': { type: 'boolean', default: false },
    'ort-threads': { type: 'string', default: '1' },
    'no-ort': { type: 'boolean', default: false },
    'no-ort-webgpu': { type: 'boolean', default: false },
  },
});
const BATCHES = values.batch.split(',').map(Number);
const ROUNDS = Number(values.rounds);
const REPS = Number(values.reps);
const TORCH_THREADS = Number(values['torch-threads']);
const ORT_THREADS = Number(values['ort-threads']);

const hrn = hrn2x5x3x(16);
const networks: ArchIR[] = [
  hrn,
  { ...runText(hrn, 'cull S1; thin S2 S3 S4; reuse 4').family[0], name: 'HRN-2x5x3x(m=16) culled+thinned, reuse 4' },
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

const peak = cpuPeak();
const torch = values['no-torch'] ? { missing: 'PyTorch peer skipped: --no-torch' } : findTorch();
const ctx = await openDevice();
const tf = values['no-tfjs'] ? undefined : await loadTfjsWebgpu();
console.log(`adapter: ${ctx.adapterInfo}`);
console.log(describePeak(peak));
console.log('python' in torch ? `PyTorch ${torch.version} (${torch.python}), CPU, ${TORCH_THREADS} thread(s), batch norm folded, inference_mode` : torch.missing);
console.log(tf ? 'TensorFlow.js WebGPU: batch norm folded, tf.fused.conv2d with bias and relu' : 'tfjs-webgpu peer skipped: --no-tfjs');
console.log(values['no-ort'] ? 'ONNX Runtime peer skipped: --no-ort' : `ONNX Runtime (onnxruntime-node), CPU, ${ORT_THREADS} intra-op thread(s), the graph hrn export writes with batch norm folded`);
console.log(values['no-ort-webgpu'] ? 'ONNX Runtime WebGPU peer skipped: --no-ort-webgpu' : 'ONNX Runtime (onnxruntime-node), WebGPU execution provider (its own Dawn) on the same graph');
console.log(`${ROUNDS} rounds of ${REPS} batches per engine (after a warm-up round), engines alternating\n`);

const rows: string[][] = [];
const errs: string[] = [];
for (const arch of networks) {
  const graph = lowerToGraph(arch);
  const weights = perturbWeights(initWeights(graph, 1), 2);
  const s = graph.nodes[0].shape;
  for (const batch of BATCHES) {
    const input = new Float32Array(batch * s.c * s.h * s.w);
    new Rng(3).fillNormal(input, 1);
    const ex = await openExecutor(ctx, graph, weights, { batch, head: false });
    const ours = await ex.run(input);

    const engines: { name: string; run: (reps: number) => Promise<EngineRun['samples'][number]>; close: () => void }[] = [
      { name: 'hrn (lavapipe)', run: (reps) => timeInProcess(reps, () => ex.run(input)), close: () => ex.dispose() },
    ];
    if (tf) {
      const peer = new TfjsFusedNet(tf, graph, weights);
      const err = maxRelErr(ours, await peer.infer(input, batch));
      if (!(err < 1e-3)) throw new Error(`${arch.name}: hrn and tfjs disagree (max relative error ${err.toExponential(2)})`);
      errs.push(`${arch.name} b${batch} tfjs ${err.toExponential(1)}`);
      engines.push({ name: 'tfjs-webgpu fused', run: (reps) => timeInProcess(reps, () => peer.infer(input, batch)), close: () => peer.dispose() });
    }
    if ('python' in torch) {
      const peer = TorchPeer.start({ python: torch.python, mode: 'infer', graph, weights, input, threads: TORCH_THREADS });
      const err = maxRelErr(ours, await peer.logits());
      if (!(err < 1e-3)) throw new Error(`${arch.name}: hrn and PyTorch disagree (max relative error ${err.toExponential(2)})`);
      errs.push(`${arch.name} b${batch} torch ${err.toExponential(1)}`);
      engines.push({ name: `pytorch-cpu ${TORCH_THREADS}t`, run: (reps) => peer.time(reps), close: () => peer.close() });
    }
    if (!values['no-ort']) {
      const peer = await OrtPeer.start(graph, weights, input, batch, ORT_THREADS);
      const err = maxRelErr(ours, await peer.logits());
      if (!(err < 1e-3)) throw new Error(`${arch.name}: hrn and ONNX Runtime disagree (max relative error ${err.toExponential(2)})`);
      errs.push(`${arch.name} b${batch} ort ${err.toExponential(1)}`);
      engines.push({ name: `onnxruntime-cpu ${ORT_THREADS}t`, run: (reps) => timeInProcess(reps, () => peer.logits()), close: () => peer.close() });
    }
    if (!values['no-ort-webgpu']) {
      const peer = await OrtPeer.start(graph, weights, input, batch, 1, 'webgpu');
      const err = maxRelErr(ours, await peer.logits());
      if (!(err < 1e-3)) throw new Error(`${arch.name}: hrn and ONNX Runtime's WebGPU provider disagree (max relative error ${err.toExponential(2)})`);
      errs.push(`${arch.name} b${batch} ort-webgpu ${err.toExponential(1)}`);
      engines.push({ name: 'onnxruntime-webgpu', run: (reps) => timeInProcess(reps, () => peer.logits()), close: () => peer.close() });
    }

    const runs: EngineRun[] = engines.map((e) => ({ engine: e.name, samples: [] }));
    for (let r = 0; r < ROUNDS + 1; r++) {
      for (let i = 0; i < engines.length; i++) {
        const t = await engines[i].run(REPS);
        if (r > 0) runs[i].samples.push(t); // round 0 warms pipelines and caches
      }
    }
    const flops = 2 * countGraph(graph).total.flops * batch;
    rows.push(...compareRows(arch.name, batch, flops, runs, peak?.gflops));
    for (const e of engines) e.close();
  }
}

printTable(COMPARE_HEADER, rows);
console.log(`\nlogits' max relative error vs hrn: ${errs.join('; ')}`);
console.log('img/s: median wall time per batch. GFLOP/CPU-s: useful FLOPs (2 per multiply-add of the convolutions and fc)');
console.log('over the median CPU time per batch of the process doing the work; % 1-core peak relates that to the peak above.');
console.log('cores busy: CPU time / wall time. Ratios: hrn / peer, median of per-round ratios (interquartile range).');
ctx.close();
process.exit(0);
