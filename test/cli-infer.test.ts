// `hrn infer` end to end on a tiny IDX data set the test writes: the GPU's predictions must be
// the reference executor's on the same preprocessed batch.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { openData } from '../src/data/index.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { parseHrn, resolveNetwork } from '../src/parser/index.js';
import { argmax, runReference } from '../src/reference/index.js';
import { initWeights, perturbWeights, writeSafetensors } from '../src/weights/index.js';
import { writeTinyMnist } from './tiny-mnist.js';

const N = 12;

const SOURCE = `network Tiny {
  param m = 4
  input 1x28x28
  classes 10
  stem conv3x3(m)
  stages depths [1, 1] widths [2]
}
`;

describe('hrn infer', () => {
  it('prints the reference executor predictions and their accuracy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrn-infer-'));
    writeTinyMnist(dir, N);
    const netPath = join(dir, 'tiny.hrn');
    writeFileSync(netPath, SOURCE);
    const { file } = parseHrn(SOURCE, netPath);
    const arch = resolveNetwork(file.networks[0], [], new Map([[netPath, SOURCE]])).arch!;
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
});
