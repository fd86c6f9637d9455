// `hrn infer` end to end on a tiny IDX data set the test writes: the GPU's predictions must be
// the reference executor's on the same preprocessed batch.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { validateJson } from './json-schema.js';
import { openData } from '../src/data/index.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { parseHrn, resolveNetwork } from '../src/parser/index.js';
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

describe('hrn infer', () => {
  it('prints the reference executor predictions and their accuracy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrn-infer-'));
    writeTinyMnist(dir);
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
});
