// `hrn infer` end to end on a tiny IDX data set the test writes: the GPU's predictions must be
// the reference executor's on the same preprocessed batch.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TINY_SOURCE, writeTinyMnist } from './tiny-mnist.js';
import { main } from '../src/cli/main.js';
import { validateJson } from './json-schema.js';
import { openData } from '../src/data/index.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { parseHrn, parseOverride, resolveNetwork } from '../src/parser/index.js';
import { runText } from '../src/passes/manager.js';
import { networkHash, saveCheckpoint } from '../src/train/checkpoint.js';
import { cosineSchedule } from '../src/train/schedule.js';
import { argmax, runReference } from '../src/reference/index.js';
import { initWeights, perturbWeights, writeSafetensors } from '../src/weights/index.js';

const N = 12;


/** A directory with the tiny data set and network file, and the network resolved with overrides. */
function tinySetup() {
  const dir = mkdtempSync(join(tmpdir(), 'hrn-infer-'));
  writeTinyMnist(dir, N);
  const netPath = join(dir, 'tiny.hrn');
  writeFileSync(netPath, TINY_SOURCE);
  const { file } = parseHrn(TINY_SOURCE, netPath);
  const resolve = (set: string[] = []) =>
    resolveNetwork(file.networks[0], set.map((t) => parseOverride(t, '<set>').override!), new Map([[netPath, TINY_SOURCE]])).arch!;
  return { dir, netPath, arch: resolve(), resolve };
}

describe('hrn infer', () => {
  it('prints the reference executor predictions and their accuracy', async () => {
    const { dir, netPath, arch } = tinySetup();
    const graph = lowerToGraph(arch);
    const weights = perturbWeights(initWeights(graph, 5), 6);
    writeSafetensors(join(dir, 'w.safetensors'), weights);

    let out = '';
    let err = '';
    const code = await main(
      ['infer', netPath, '--weights', join(dir, 'w.safetensors'), '--data', `mnist:${dir}`, '--batch', '8', '--show', String(N), '--json'],
      { out: (t) => void (out += t), err: (t) => void (err += `${t}\n`) },
    );
    expect(code).toBe(0);
    // Kernel compilation reports its own progress line on stderr (every kernel counted).
    expect(err).toMatch(/^compiling kernels (\d+)\/\1 \(/m);
    const doc = JSON.parse(out);
    expect(validateJson('infer', doc)).toEqual([]);
    const r = doc.networks[0];
    expect(r.images).toBe(N);

    // The same batches, through the reference executor.
    const data = openData(`mnist:${dir}`, arch.input, arch.classes, { batchSize: N, testOnly: true, normalization: 'constants' });
    const batch = data.test.batch(0, 0);
    const expected = argmax(runReference(graph, weights, batch.images, N), N);
    expect(r.predictions.map((p: { predicted: number }) => p.predicted)).toEqual([...expected]);
    const correct = [...expected].filter((c, i) => c === batch.labels[i]).length;
    expect(r.correct).toBe(correct);
  });

  it('--profile gpu: the gpu schedules give the reference predictions too, and the output says which schedules ran', async () => {
    const { dir, netPath, arch } = tinySetup();
    const graph = lowerToGraph(arch);
    const weights = perturbWeights(initWeights(graph, 5), 6);
    writeSafetensors(join(dir, 'w.safetensors'), weights);
    const run = async (...extra: string[]) => {
      let out = '';
      const code = await main(['infer', netPath, '--weights', join(dir, 'w.safetensors'), '--data', `mnist:${dir}`, '--batch', '8', '--show', String(N), '--profile', 'gpu', ...extra], {
        out: (t) => void (out += `${t}\n`),
        err: () => undefined,
      });
      expect(code).toBe(0);
      return out;
    };
    const doc = JSON.parse(await run('--json'));
    const data = openData(`mnist:${dir}`, arch.input, arch.classes, { batchSize: N, testOnly: true, normalization: 'constants' });
    const expected = argmax(runReference(graph, weights, data.test.batch(0, 0).images, N), N);
    expect(doc.networks[0].predictions.map((p: { predicted: number }) => p.predicted)).toEqual([...expected]);
    expect(await run()).toMatch(/adapter: .*; kernel schedules: --profile gpu$/m);
  });

  it('--f16-weights: the predictions of f32 weights, with probabilities within f16 rounding', async () => {
    const { dir, netPath, arch } = tinySetup();
    const weights = perturbWeights(initWeights(lowerToGraph(arch), 5), 6);
    writeSafetensors(join(dir, 'w.safetensors'), weights);
    const run = async (...extra: string[]) => {
      let out = '';
      const code = await main(['infer', netPath, '--weights', join(dir, 'w.safetensors'), '--data', `mnist:${dir}`, '--batch', '8', '--show', String(N), '--json', ...extra], {
        out: (t) => void (out += `${t}\n`),
        err: () => undefined,
      });
      expect(code).toBe(0);
      return JSON.parse(out).networks[0].predictions as { predicted: number; p: number }[];
    };
    const [f32, f16] = [await run(), await run('--f16-weights')];
    expect(f16.map((x) => x.predicted)).toEqual(f32.map((x) => x.predicted));
    f16.forEach((x, i) => expect(Math.abs(x.p - f32[i].p), `image ${i}`).toBeLessThan(1e-2));
  });

  it('given only --weights RUN, runs the network the checkpoint recorded (file, --set, --pipeline)', async () => {
    const { dir, netPath, arch, resolve } = tinySetup();
    // The run used m=8 and a culled first stage; the file says m=4 and no pipeline.
    const [trained] = runText(resolve(['m=8']), 'cull S1').family;
    const graph = lowerToGraph(trained);
    expect(graph.nodes[1].shape.c).not.toBe(lowerToGraph(arch).nodes[1].shape.c);
    const weights = perturbWeights(initWeights(graph, 5), 6);
    saveCheckpoint(join(dir, 'run', 'checkpoint'), {
      weights,
      optimizer: new Map(),
      state: {
        network: { name: graph.name, hash: networkHash(graph) },
        epoch: 1, step: 1, dataSeed: 0, rng: {}, metrics: [],
        lrSchedule: cosineSchedule({ totalSteps: 1 }),
        optimizer: { kind: 'sgd', momentum: 0.9, weightDecay: 5e-4, nesterov: false },
        extra: { source: netPath, set: ['m=8'], network: 'Tiny', pipeline: 'cull S1' },
      },
    });
    let out = '';
    const code = await main(['infer', '--weights', join(dir, 'run'), '--data', `mnist:${dir}`, '--batch', '8', '--show', String(N), '--json'], {
      out: (t) => void (out += t),
      err: () => undefined,
    });
    expect(code).toBe(0);
    const data = openData(`mnist:${dir}`, arch.input, arch.classes, { batchSize: N, testOnly: true, normalization: 'constants' });
    const expected = argmax(runReference(graph, weights, data.test.batch(0, 0).images, N), N);
    expect(JSON.parse(out).networks[0].predictions.map((p: { predicted: number }) => p.predicted)).toEqual([...expected]);
    // Kernels for a second network compile on lavapipe (a CPU driver): minutes on a shared machine.
  }, 300_000);
});
