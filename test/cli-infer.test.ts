// `hrn infer` end to end on a tiny IDX data set the test writes: the GPU's predictions must be
// the reference executor's on the same preprocessed batch.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { openData } from '../src/data/index.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { parseHrn, parseOverride, resolveNetwork } from '../src/parser/index.js';
import { runText } from '../src/passes/manager.js';
import { networkHash, saveCheckpoint } from '../src/train/checkpoint.js';
import { cosineSchedule } from '../src/train/schedule.js';
import { argmax, runReference } from '../src/reference/index.js';
import { initWeights, perturbWeights, writeSafetensors } from '../src/weights/index.js';

const N = 12;

function idx(magic: number, dims: number[], body: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return gzipSync(Buffer.concat([head, Buffer.from(body)]));
}

function writeTinyMnist(dir: string): void {
  const pixels = new Uint8Array(N * 28 * 28).map((_, i) => (i * 37 + (i >> 5) * 11) % 256);
  const labels = new Uint8Array(N).map((_, i) => i % 10);
  for (const split of ['t10k', 'train']) {
    writeFileSync(join(dir, `${split}-images-idx3-ubyte.gz`), idx(0x803, [N, 28, 28], pixels));
    writeFileSync(join(dir, `${split}-labels-idx1-ubyte.gz`), idx(0x801, [N], labels));
  }
}

const SOURCE = `network Tiny {
  param m = 4
  input 1x28x28
  classes 10
  stem conv3x3(m)
  stages depths [1, 1] widths [2]
}
`;

/** A directory with the tiny data set and network file, and the network resolved with overrides. */
function tinySetup() {
  const dir = mkdtempSync(join(tmpdir(), 'hrn-infer-'));
  writeTinyMnist(dir);
  const netPath = join(dir, 'tiny.hrn');
  writeFileSync(netPath, SOURCE);
  const { file } = parseHrn(SOURCE, netPath);
  const resolve = (set: string[] = []) =>
    resolveNetwork(file.networks[0], set.map((t) => parseOverride(t, '<set>').override!), new Map([[netPath, SOURCE]])).arch!;
  return { dir, netPath, arch: resolve(), resolve };
}

describe('hrn infer', () => {
  it('prints the reference executor predictions and their accuracy', async () => {
    const { dir, netPath, arch } = tinySetup();
    const graph = lowerToGraph(arch);
    const weights = perturbWeights(initWeights(graph, 5), 6);
    writeSafetensors(join(dir, 'w.safetensors'), weights);

    let out = '';
    const code = await main(
      ['infer', netPath, '--weights', join(dir, 'w.safetensors'), '--data', `mnist:${dir}`, '--batch', '8', '--show', String(N), '--json'],
      { out: (t) => void (out += t), err: () => undefined },
    );
    expect(code).toBe(0);
    const r = JSON.parse(out);
    expect(r.images).toBe(N);

    // The same batches, through the reference executor.
    const data = openData(`mnist:${dir}`, arch.input, arch.classes, { batchSize: N, testOnly: true, normalization: 'constants' });
    const batch = data.test.batch(0, 0);
    const expected = argmax(runReference(graph, weights, batch.images, N), N);
    expect(r.predictions.map((p: { predicted: number }) => p.predicted)).toEqual([...expected]);
    const correct = [...expected].filter((c, i) => c === batch.labels[i]).length;
    expect(r.correct).toBe(correct);
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
    expect(JSON.parse(out).predictions.map((p: { predicted: number }) => p.predicted)).toEqual([...expected]);
    // Kernels for a second network compile on lavapipe (a CPU driver): minutes on a shared machine.
  }, 300_000);
});
