// `hrn sweep --jobs N` with `--early-stop`, on real trainings in child processes: two runs at once,
// each in its own directory; runs behind the others stopped early and listed by `hrn report`; and
// Ctrl-C stopping every job with what finished kept. (Minutes on two cores: a heavy-tier file.)

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunConfig } from '../src/sweep/expand.js';
import { RunStore } from '../src/sweep/store.js';
import { readJsonl } from '../src/train/log.js';
import { hrnInProcess as hrn, hrnProcess, TINY_HRN, waitFor, writeTinyFashion } from './sweep-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'hrn-sweep-jobs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a random search with --jobs 2 and --early-stop median', () => {
  it('trains two runs at once, each in its own directory; runs behind the others stop early, and the report lists them', async () => {
    const data = writeTinyFashion(join(root, 'fm-search'));
    const file = join(root, 'search.hrn');
    writeFileSync(file, TINY_HRN);
    const out = join(root, 'search');
    const args = ['sweep', file, '--data', data, '--trials', '4', '--sample', 'lr=loguniform(0.01,0.1)', '--epochs', '2', '--batch', '10', '--subset', '40', '--out', out];
    const runs = JSON.parse((await hrn(...args, '--dry-run', '--json')).out) as RunConfig[];
    expect(runs.length).toBe(4);
    // Two of the runs finished before, with every test image right at both epochs: the median of
    // the others at epoch 1 is then 100% for each run trained here, which no run of one epoch on
    // these images reaches, so each stops after its first epoch.
    const store = new RunStore(out);
    store.writeSweep({ name: 'sweep', file, networks: [], mode: 'grid', axes: [], pipelines: [null], seeds: [0], data, train: runs[0].train }, runs);
    for (const r of runs.slice(0, 2)) {
      const history = [1, 2].map((epoch) => ({ epoch, loss: 0.1, testAccuracy: 1 }));
      store.writeResult({ id: r.id, label: r.label, network: r.network, set: r.set, pipeline: r.pipeline, seed: r.seed, data: r.data, ...r.counts, epochs: 2, history, testAccuracy: 1, wallSeconds: 1, checkpoint: join(out, r.id, 'checkpoint'), finishedAt: '', by: 'test' });
    }
    const sweep = hrnProcess([...args, '--jobs', '2', '--early-stop', 'median:0']);
    const code = await sweep.exited;
    const text = sweep.output();
    expect(code, text).toBe(0);
    expect(text).toContain('early stopping: median rule from epoch 1, on test accuracy');
    expect(text).toContain('done: 2 trained, 2 already finished, 0 failed, of 4');
    // Both runs were started before either ended.
    const lines = text.split('\n');
    const started = lines.flatMap((l, i) => (/^\[\d\/4\] Tiny lr=/.test(l) ? [i] : []));
    const ended = lines.findIndex((l) => /^\[\d\/4\] (done|stopped early) /.test(l));
    expect(started.length).toBe(2);
    expect(started[1]).toBeLessThan(ended);
    const trained = runs.slice(2);
    for (const r of trained) {
      const result = store.result(r.id)!;
      expect(result.stopped, text).toMatchObject({ rule: 'median:0', epoch: 1 });
      expect(result.stopped!.reason).toMatch(/^best test accuracy so far [\d.]+% is below the median 100\.00% of the \d other runs at epoch 1$/);
      expect(result.history.map((h) => h.epoch)).toEqual([1]);
      // Each run's own directory: its checkpoint, and a log that says where it stopped.
      expect(existsSync(join(out, r.id, 'checkpoint'))).toBe(true);
      expect(readJsonl(join(out, r.id, 'train.jsonl')).filter((x) => x.event === 'stopped').map((x) => x.epoch)).toEqual([1]);
      expect(lines.some((l) => l.startsWith(`  ${r.label}: epoch 1/2`))).toBe(true);
      expect(text).toMatch(new RegExp(`\\] stopped early ${r.label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} after epoch 1 of 2: test `));
    }
    const report = await hrn('report', out);
    expect(report.code).toBe(0);
    expect(report.out).toContain('2 runs stopped early (--early-stop), not compared above:');
    for (const r of trained) expect(report.out).toMatch(new RegExp(`^  ${r.label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: test [\\d.]+% after epoch 1: median:0: `, 'm'));
    expect(report.out).toContain('4 runs; 2 stopped early (listed above);');
  }, 600_000);
});

describe('--jobs 2, stopped with Ctrl-C', () => {
  it('stops every job; a finished run keeps its result, the others their checkpoints, and no new run starts', async () => {
    const data = writeTinyFashion(join(root, 'fm-jobs'));
    const file = join(root, 'jobs.hrn');
    writeFileSync(file, TINY_HRN);
    const out = join(root, 'jobs');
    const base = ['sweep', file, '--data', data, '--trials', '4', '--sample', 'epochs=choice(1,200)', '--sample', 'lr=loguniform(0.01,0.1)', '--batch', '10', '--subset', '40', '--out', out];
    // A sample seed whose first trial is one epoch and the others long: the first run finishes,
    // the next two are still training when the sweep is stopped, and the fourth never starts.
    let runs: RunConfig[] = [];
    for (let seed = 0; seed < 200 && runs.map((r) => r.train.epochs).join() !== '1,200,200,200'; seed++) {
      const args = [...base, '--sample-seed', String(seed)];
      runs = JSON.parse((await hrn(...args, '--dry-run', '--json')).out) as RunConfig[];
      if (runs.map((r) => r.train.epochs).join() === '1,200,200,200') base.push('--sample-seed', String(seed));
    }
    expect(runs.map((r) => r.train.epochs)).toEqual([1, 200, 200, 200]);
    const store = new RunStore(out);
    const sweep = hrnProcess([...base, '--jobs', '2']);
    const checkpointed = (r: RunConfig) => existsSync(join(out, r.id, 'checkpoint'));
    await waitFor('run 1 finished, runs 2 and 3 checkpointed', () => store.result(runs[0].id) !== undefined && checkpointed(runs[1]) && checkpointed(runs[2]), 300_000, 50, () => sweep.output());
    sweep.child.kill('SIGINT');
    const code = await sweep.exited;
    const text = sweep.output();
    expect(code, text).toBe(130);
    expect(text).toContain('SIGINT: stopping; each running job saves a checkpoint, and no new run starts');
    expect(text).toContain('stopped: 1 trained, 0 already finished, 0 failed, of 4');
    expect(store.result(runs[0].id)!.epochs).toBe(1);
    for (const r of runs.slice(1, 3)) {
      expect(store.result(r.id)).toBeUndefined();
      expect(existsSync(join(out, r.id, 'error.json'))).toBe(false);
      // Each job saved its checkpoint and ended its training, letting go of its directory.
      const log = readJsonl(join(out, r.id, 'train.jsonl'));
      expect(log.some((x) => x.event === 'interrupted'), text).toBe(true);
      expect(existsSync(join(out, r.id, 'train.lock'))).toBe(false);
    }
    expect(existsSync(join(out, runs[3].id, 'train.jsonl'))).toBe(false);
  }, 600_000);
});
