// Run by subgroup-sizes.test.ts in a child process whose lavapipe was started with a given SIMD
// width (LP_NATIVE_VECTOR_WIDTH: 128 bits = subgroups of 4, 256 = 8): runs inference and training
// steps of small networks that between them use every kernel template, against the CPU reference,
// and prints one JSON line with the subgroup size, the templates run and the largest errors.
import { openTrainer } from '../../src/launch/train.js';
import { openExecutor } from '../../src/launch/infer.js';
import '../../src/codegen/template-files.js';
import '../../src/ops/index.js';
import '../../src/ops/reference.js';
import { residualNetwork } from '../../src/ir/factory.js';
import type { ProfileName } from '../../src/codegen/schedule/types.js';
import type { LayerGraph } from '../../src/ir/graph.js';
import { lowerToGraph } from '../../src/ir/lower.js';
import { runReference } from '../../src/reference/run.js';
import { referenceTrainStep } from '../../src/reference/train-step.js';
import { openDevice } from '../../src/runtime/device.js';
import { Sgd } from '../../src/train/sgd.js';
import { initWeights, perturbWeights, Rng, type Weights } from '../../src/weights/weights.js';
import { copyWeights, normwiseError } from '../numeric.js';
import { maskedGraph } from '../snl-fixtures.js';

const input = { c: 3, h: 8, w: 8 };
const basic = () => lowerToGraph(residualNetwork({ name: 'basic', depths: [1, 1], channels: [4, 8], input, classes: 5 }));
/** A network, and the schedule profile it runs under (the default: the device's, cpu on lavapipe). */
const NETWORKS: Array<[string, () => LayerGraph, ProfileName?]> = [
  ['basic, projection shortcuts, avgpool', basic],
  // The gpu profile's kernel forms too: conv_dw_reduce's tree, among others.
  ['basic under the gpu profile', basic, 'gpu'],
  ['plain, maxpool, hidden fc', () => {
    const a = residualNetwork({ name: 'plain', block: 'plain', depths: [1, 2], channels: [4, 8], input, classes: 5 });
    return lowerToGraph({ ...a, head: { pool: 'max', hidden: [12], fc: true } });
  }],
  ['bottleneck, groups 2', () => lowerToGraph(residualNetwork({ name: 'bottleneck', block: 'bottleneck', depths: [1, 1], channels: [4, 8], input, classes: 5, groups: 2 }))],
  ['preact', () => lowerToGraph(residualNetwork({ name: 'preact', block: 'preact', depths: [1, 1], channels: [4, 8], input, classes: 5 }))],
  // No network the language describes has a conv bias; the kernels support one (imported weights).
  ['basic with conv biases', () => {
    const g = lowerToGraph(residualNetwork({ name: 'biased', depths: [1], channels: [4], input, classes: 5 }));
    return { ...g, nodes: g.nodes.map((n) => (n.op === 'conv' ? { ...n, bias: true } : n)) };
  }],
  // SNL's partial ReLUs (a mask per pixel and per channel) and their mask gradients.
  ['snl masks', maskedGraph],
];

/** Masks strictly between 0 and 1 (a fresh network's are all 1: plain ReLUs), so that both of a masked ReLU's terms count. */
function softMasks(w: Weights): Weights {
  const rng = new Rng(9);
  for (const [name, t] of w) if (name.endsWith('.mask')) rng.fillUniform(t.data, 0.1, 0.9);
  return w;
}

async function main(): Promise<void> {
  const ctx = await openDevice();
  const templates = new Set<string>();
  const results: Array<{ network: string; inference: number; training: number }> = [];
  const batch = 4;
  try {
    for (const [name, build, profile] of NETWORKS) {
      const g = build();
      const w0 = softMasks(perturbWeights(initWeights(g, 5), 6));
      const shape = g.nodes[0].shape;
      const x = new Rng(21).fillNormal(new Float32Array(batch * shape.c * shape.h * shape.w), 1);
      const ex = await openExecutor(ctx, g, w0, { batch, ...(profile ? { profile } : {}) });
      let inference: number;
      try {
        inference = normwiseError(await ex.run(x), runReference(g, w0, x, batch));
        for (const k of ex.program.kernels) templates.add(k.template);
      } finally {
        ex.dispose();
      }
      const ref = copyWeights(w0);
      const sgd = Sgd.forGraph(g, ref);
      const tr = await openTrainer(ctx, g, w0, { batch, ...(profile ? { profile } : {}) });
      let training = 0;
      try {
        const labels = Array.from({ length: batch }, (_, i) => i % 5);
        for (let s = 0; s < 2; s++) {
          referenceTrainStep(g, ref, sgd, { size: batch, images: x, labels }, 0.1);
          await tr.step(x, labels, 0.1);
        }
        const got = await tr.readWeights();
        for (const [n, t] of ref) training = Math.max(training, normwiseError(got.get(n)!.data, t.data));
        for (const k of tr.program.kernels) templates.add(k.template);
      } finally {
        tr.dispose();
      }
      results.push({ network: name, inference, training });
    }
  } finally {
    ctx.close();
  }
  process.stdout.write(`${JSON.stringify({ subgroupSize: ctx.subgroupSize, adapter: ctx.adapterInfo, templates: [...templates].sort(), results })}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
