// What the export tests share: bundled example networks at small sizes, seeded weights whose
// batch-norm statistics come from data (so logits have the scale of a trained network and every
// fold is exercised), and ONNX Runtime sessions with chosen intermediate values as outputs.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { decodeOnnx, encodeOnnx, type OnnxModel } from '../src/export/index.js';
import type { ArchIR } from '../src/ir/arch.js';
import type { LayerGraph } from '../src/ir/graph.js';
import { parseHrn, parseOverride, resolveNetwork } from '../src/parser/index.js';
import { runText } from '../src/passes/manager.js';
import { forwardGraph } from '../src/reference/backward.js';
import { tensor } from '../src/reference/index.js';
import { networkHash, saveCheckpoint } from '../src/train/checkpoint.js';
import { cosineSchedule } from '../src/train/schedule.js';
import { initWeights, Rng, type Weights } from '../src/weights/index.js';

/** The smallest width parameter of each example that every pipeline kind accepts (reuse 4 needs channels divisible by 4). */
// Networks without a base width `m` get the smallest of their own parameters.
export const SMALL_SET: Record<string, string> = {
  'wrn22x8.hrn': 'k=1',
  'resnet32.hrn': 'res=32',
  'regnet-style.hrn': 'g=8',
  // The ImageNet networks at 32x32 or 64x64 (every stride still divides; the stem's pooling still
  // pads), several settings separated by spaces. RegNetX and ResNeXt divide by 32 before Stage4:
  // at 32x32 its 1x1 maps leave the calibration batch too few values per batch-norm channel, and
  // at their full depths (22 and 16 blocks) random weights give logits too large to compare within
  // 1e-4; one or two blocks per stage keep every kind of block.
  'regnetx.hrn': 'res=64 depths=[1,2,2,2]',
  'resnext50.hrn': 'res=64 cardinality=4 depths=[2,1,1,1]',
  'resnet18-imagenet.hrn': 'res=32 m=4',
};
export const smallSet = (file: string) => SMALL_SET[file] ?? 'm=4';

/** The kinds of pipeline an export must handle: none, culled + thinned stages, ReLU-reuse. */
export const PIPELINE_KINDS = ['', 'cull S1; thin remaining', 'reuse 4'];

export function exampleNetwork(file: string, set: string, pipeline: string): ArchIR {
  const path = `examples/${file}`;
  const text = readFileSync(path, 'utf8');
  const { file: parsed } = parseHrn(text, path);
  const overrides = set.split(' ').map((one) => {
    const ov = parseOverride(one, '<set>');
    if (!ov.override) throw new Error(`bad --set ${one}`);
    return ov.override;
  });
  const r = resolveNetwork(parsed.networks[0], overrides, new Map([[path, text]]));
  if (!r.arch) throw new Error(`${path} with ${set} does not resolve: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return pipeline === '' ? r.arch : runText(r.arch, pipeline).family[0];
}

const dimsOf = (graph: LayerGraph): [number, number, number] => {
  const s = graph.nodes[0].shape;
  return [s.c, s.h, s.w];
};

export function randomInput(graph: LayerGraph, batch: number, seed: number): Float32Array {
  const s = graph.nodes[0].shape;
  return new Rng(seed).fillNormal(new Float32Array(batch * s.c * s.h * s.w), 1);
}

/**
 * He-initialized weights with random batch-norm scales and shifts, whose running statistics are
 * measured on a random batch (as training would leave them): activations stay near unit scale, as in a trained network.
 */
export function calibratedWeights(graph: LayerGraph, seed: number): Weights {
  const w = initWeights(graph, seed);
  const rng = new Rng(seed + 1);
  for (const n of graph.nodes) {
    if (n.op !== 'bn') continue;
    rng.fillUniform(w.get(`${n.name}.gamma`)!.data, 0.5, 1.5);
    rng.fillNormal(w.get(`${n.name}.beta`)!.data, 0.2);
  }
  // One training-mode pass: every batch norm normalizes with the batch statistics of its input,
  // which become its running statistics.
  const batch = 4;
  const tape = forwardGraph(graph, w, tensor(batch, ...dimsOf(graph), randomInput(graph, batch, seed + 2)), { training: true, updateRunningStats: false });
  for (const [id, stats] of tape.bnStats) {
    const name = graph.nodes[id].name;
    w.get(`${name}.running_mean`)!.data.set(stats.mean);
    w.get(`${name}.running_var`)!.data.set(stats.variance);
  }
  return w;
}

/** Runs a model in ONNX Runtime (CPU); returns the logits. */
export async function runOnnx(bytes: Uint8Array, input: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ input: new ort.Tensor('float32', input, dims) });
    return out.logits.data as Float32Array;
  } finally {
    await session.release();
  }
}

/**
 * Elements per image of every Relu node's output, measured by ONNX Runtime: the model is re-encoded
 * with each Relu output as an extra graph output, run on a batch, and each result's size divided by
 * the batch.
 */
export async function reluElementsPerImage(bytes: Uint8Array, input: Float32Array, dims: number[]): Promise<number> {
  const model = decodeOnnx(bytes);
  const graph = model.graph!;
  const reluOutputs = (graph.node ?? []).filter((n) => n.opType === 'Relu').map((n) => n.output![0]);
  const extended: OnnxModel = { ...model, graph: { ...graph, output: [...(graph.output ?? []), ...reluOutputs.map((name) => ({ name }))] } };
  const session = await ort.InferenceSession.create(encodeOnnx(extended));
  try {
    const out = await session.run({ input: new ort.Tensor('float32', input, dims) }, reluOutputs);
    return reluOutputs.reduce((sum, name) => sum + out[name].size / dims[0], 0);
  } finally {
    await session.release();
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/**
 * A run directory as `hrn train` leaves it after one epoch: `weights` for `graph`, built from
 * `example` with `set` and `pipeline` (what the checkpoint records for export and stats to rebuild it).
 */
export function saveFakeRun(dir: string, o: { graph: LayerGraph; weights: Weights; example: string; set: string[]; pipeline: string }): void {
  saveCheckpoint(join(dir, 'checkpoint'), {
    weights: o.weights,
    optimizer: new Map(),
    state: {
      network: { name: o.graph.name, hash: networkHash(o.graph) },
      epoch: 1,
      step: 10,
      dataSeed: 0,
      rng: {},
      lrSchedule: cosineSchedule({ totalSteps: 10 }),
      optimizer: { kind: 'sgd', momentum: 0.9, weightDecay: 5e-4, nesterov: false },
      metrics: [],
      extra: { source: resolve(o.example), set: o.set, network: o.graph.name, pipeline: o.pipeline },
    },
  });
}
