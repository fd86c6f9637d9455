// --val-split F: a stratified hold-out of the training images, chosen by the seed, never trained
// on, evaluated after each epoch and logged (train.jsonl, metrics.csv, a sweep's result.json), for
// `hrn train`, `hrn sweep` (and its blocks) and `hrn criticality` (test/criticality.test.ts).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { holdOut } from '../src/data/dataset.js';
import { openData } from '../src/data/pipeline.js';
import type { RunConfig } from '../src/sweep/expand.js';
import { RunStore } from '../src/sweep/store.js';
import { readJsonl } from '../src/train/log.js';
import { hrnInProcess as hrn, TINY_HRN, writeTinyFashion } from './sweep-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'hrn-val-split-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const data = writeTinyFashion(join(root, 'fm'), 40);
const file = join(root, 'tiny.hrn');
writeFileSync(file, TINY_HRN);

describe('the hold-out', () => {
  // 3 classes of 10, 20 and 30 examples, interleaved.
  const labels = Uint8Array.from({ length: 60 }, (_, i) => (i % 6 === 0 ? 0 : i % 6 < 3 ? 1 : 2));
  const all = Uint32Array.from({ length: 60 }, (_, i) => i);

  it('takes the fraction of each class, disjoint from what is kept, together the whole selection', () => {
    const { kept, held } = holdOut(labels, 3, all, 0.2, 7);
    const perClass = (xs: Uint32Array) => [0, 1, 2].map((c) => [...xs].filter((i) => labels[i] === c).length);
    expect(perClass(held)).toEqual([2, 4, 6]);
    expect([...kept, ...held].sort((a, b) => a - b)).toEqual([...all]);
    expect([...held]).toEqual([...held].sort((a, b) => a - b));
  });

  it('is the same for the same seed and another for another seed; it splits only the selection', () => {
    const a = holdOut(labels, 3, all, 0.2, 7).held;
    expect([...holdOut(labels, 3, all, 0.2, 7).held]).toEqual([...a]);
    expect([...holdOut(labels, 3, all, 0.2, 8).held]).not.toEqual([...a]);
    const some = Uint32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const s = holdOut(labels, 3, some, 0.5, 1);
    expect([...s.kept, ...s.held].sort((x, y) => x - y)).toEqual([...some]);
  });

  it('the training loader never reads a held-out image; validation reads them all, in order', () => {
    const p = openData(data, { c: 1, h: 28, w: 28 }, 10, { batchSize: 10, evalBatchSize: 7, seed: 3, subset: { count: 40, mode: 'stratified' }, validationFraction: 0.25 });
    const val = p.val!;
    expect(val.count).toBe(10);
    expect(p.train!.count).toBe(30);
    const trained = new Set<number>();
    for (let e = 0; e < 3; e++) for (const b of p.train!.epoch(e)) for (const i of b.indices) trained.add(i);
    const validated = [...val.epoch(0)].flatMap((b) => [...b.indices]);
    expect(validated).toEqual([...val.selection]);
    expect(validated.filter((i) => trained.has(i))).toEqual([]);
    expect(trained.size + validated.length).toBe(40);
  });
});

describe('hrn train --val-split', () => {
  it('logs the validation accuracy of every epoch; a resume with another split is refused', async () => {
    const out = join(root, 'train');
    const args = ['train', file, '--data', data, '--epochs', '2', '--batch', '10', '--val-split', '0.25', '--lr', '0.05', '--out', out];
    const r = await hrn(...args);
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.out).toContain('30 training images');
    expect(r.out).toContain('10 held out for validation');
    const epochs = readJsonl(join(out, 'train.jsonl')).filter((x) => x.event === 'epoch');
    expect(epochs.map((e) => typeof e.valAccuracy)).toEqual(['number', 'number']);
    const csv = readFileSync(join(out, 'metrics.csv'), 'utf8').trim().split('\n');
    const col = csv[0].split(',').indexOf('valAccuracy');
    expect(col).toBeGreaterThan(0);
    expect(csv.slice(1).map((l) => Number(l.split(',')[col]))).toEqual(epochs.map((e) => e.valAccuracy));
    expect(r.out).toMatch(new RegExp(`validation accuracy ${(100 * (epochs[1].valAccuracy as number)).toFixed(2)}%`));

    const other = await hrn('train', file, '--out', out, '--resume', '--epochs', '3', '--val-split', '0.5');
    expect(other.code).toBe(1);
    expect(other.err).toMatch(/--val-split 0\.5 \(the run: --val-split 0\.25\)/);
    // Left out on --resume, the split is the run's.
    const same = await hrn('train', file, '--out', out, '--resume', '--epochs', '3');
    expect(same.code).toBe(0);
    expect(readJsonl(join(out, 'train.jsonl')).filter((x) => x.event === 'epoch').map((e) => typeof e.valAccuracy)).toEqual(['number', 'number', 'number']);
    // hrn report on the run's directory draws its curves, the validation accuracy among them.
    const report = await hrn('report', out);
    expect(report.code).toBe(0);
    expect(report.out).toMatch(/^3 epochs of Tiny\. Curves: /m);
    expect(readFileSync(join(out, 'report', 'curves.svg'), 'utf8')).toContain('>validation accuracy<');
  }, 300_000);

  it('a split that leaves less than a batch to train on, or holds out nothing, is a one-line error', async () => {
    const small = await hrn('train', file, '--data', data, '--batch', '35', '--val-split', '0.25', '--out', join(root, 'small'));
    expect(small.code).toBe(1);
    expect(small.err.trim()).toMatch(/^hrn train: error: .*30 training images \(10 more held out by --val-split 0\.25\) are fewer than one batch of 35/);
    const none = await hrn('train', file, '--data', data, '--batch', '10', '--val-split', '0.01', '--out', join(root, 'none'));
    expect(none.code).toBe(1);
    expect(none.err.trim()).toMatch(/^hrn train: error: .*--val-split 0\.01 holds out no image/);
  });
});

describe('hrn sweep --val-split', () => {
  it("is part of the runs' settings, from the command line or a block, and each result has its validation accuracy", async () => {
    const settings = ['--epochs', '1', '--batch', '10', '--lr', '0.05'];
    const plain = JSON.parse((await hrn('sweep', file, '--data', data, ...settings, '--dry-run', '--json')).out) as RunConfig[];
    const split = JSON.parse((await hrn('sweep', file, '--data', data, ...settings, '--val-split', '0.25', '--dry-run', '--json')).out) as RunConfig[];
    expect(split[0].train.valSplit).toBe(0.25);
    expect(split[0].id).not.toBe(plain[0].id);
    const block = join(root, 'block.hrn');
    writeFileSync(block, `${TINY_HRN}\nsweep s {\n  val-split 0.25\n  data "${data}"\n}\n`);
    const fromBlock = JSON.parse((await hrn('sweep', block, '--dry-run', '--json')).out) as RunConfig[];
    expect(fromBlock[0].train.valSplit).toBe(0.25);
    const badBlock = join(root, 'bad-block.hrn');
    writeFileSync(badBlock, `${TINY_HRN}\nsweep s {\n  val-split 2\n  data "${data}"\n}\n`);
    const bad = await hrn('check', badBlock);
    expect(bad.code).toBe(1);
    expect(bad.out + bad.err).toMatch(/val-split: expected a fraction of the training images between 0 and 1, found 2/);

    const out = join(root, 'sweep');
    const r = await hrn('sweep', file, '--data', data, ...settings, '--val-split', '0.25', '--out', out);
    expect(r.code).toBe(0);
    const result = new RunStore(out).result(split[0].id)!;
    expect(typeof result.valAccuracy).toBe('number');
    expect(result.valAccuracy).toBe(result.history[0].valAccuracy);
  }, 300_000);
});
