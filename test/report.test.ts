// `hrn report`: configurations (runs that differ only in their seed) with the mean and spread of
// their accuracy, compared on validation accuracy when the runs have it (test accuracy then only
// for the configurations on the front), failed runs with their reason, a single training's
// directory drawn as curves, and accuracy axes whose tick labels are all distinct.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accuracyTicks, niceTicks } from '../src/report/ticks.js';
import type { RunConfig } from '../src/sweep/expand.js';
import { RunStore, type RunResult } from '../src/sweep/store.js';
import { JsonlLogger } from '../src/train/log.js';
import { hrnInProcess as hrn } from './sweep-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'hrn-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function plan(...extra: string[]): Promise<RunConfig[]> {
  const r = await hrn('sweep', 'examples/hrn-2x5x3x.hrn', '--data', 'cifar100:/nowhere', '--dry-run', '--json', ...extra);
  expect(r.code).toBe(0);
  return JSON.parse(r.out) as RunConfig[];
}

/** Stores `runs` as finished with the accuracies `acc` gives (val undefined: no --val-split). */
function store(dir: string, runs: RunConfig[], acc: (r: RunConfig) => { val?: number; test: number }): RunStore {
  const s = new RunStore(dir);
  s.writeSweep({ name: 'x', file: 'examples/hrn-2x5x3x.hrn', networks: [], mode: 'grid', axes: [], pipelines: [null], seeds: [0], data: 'cifar100:/nowhere', train: runs[0].train }, runs);
  for (const r of runs) {
    const a = acc(r);
    const result: RunResult = {
      id: r.id, label: r.label, network: r.network, set: r.set, pipeline: r.pipeline, seed: r.seed, data: r.data, ...r.counts,
      epochs: 1, history: [{ epoch: 1, loss: 1, testAccuracy: a.test, ...(a.val === undefined ? {} : { valAccuracy: a.val }) }],
      testAccuracy: a.test, ...(a.val === undefined ? {} : { valAccuracy: a.val }), wallSeconds: 1, checkpoint: join(dir, r.id, 'checkpoint'), finishedAt: '', by: 'test',
    };
    s.writeResult(result);
  }
  return s;
}

function csvRows(path: string): Record<string, string>[] {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const split = (l: string) => l.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.slice(0, -1).map((f) => f.replace(/,$/, '').replace(/^"|"$/g, '').replace(/""/g, '"'));
  const head = split(lines[0]);
  return lines.slice(1).map((l) => Object.fromEntries(split(l).map((v, i) => [head[i], v])));
}

/** The labels of an SVG chart's y axis (or of every y axis, for several panels). */
function yAxisLabels(svg: string): string[][] {
  return svg
    .split('aria-label="Y-axis')
    .slice(1)
    .map((axis) => [...axis.slice(0, axis.indexOf('role-axis-title')).matchAll(/>([^<>]+)<\/text>/g)].map((m) => m[1]));
}

const sampleSd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};

describe('hrn report: configurations over seeds, compared on validation accuracy', () => {
  // Two configurations (m=8 and m=16) of three seeds each. On validation m=16 is better, so both
  // are on the front; the culled m=16 is dominated by the culled m=8 (fewer ReLUs, higher mean).
  const val: Record<string, number[]> = { 'm=8 none': [0.6, 0.62, 0.64], 'm=16 none': [0.7, 0.71, 0.75], 'm=8 cull': [0.5, 0.52, 0.51], 'm=16 cull': [0.45, 0.47, 0.46] };
  const test: Record<string, number[]> = { 'm=8 none': [0.59, 0.6, 0.61], 'm=16 none': [0.69, 0.7, 0.72], 'm=8 cull': [0.49, 0.5, 0.5], 'm=16 cull': [0.55, 0.56, 0.57] };
  const key = (r: RunConfig) => `${r.set[0]} ${r.pipeline === null ? 'none' : 'cull'}`;

  it('one row per configuration with mean ± sample sd and min-max; test accuracy only on the front', async () => {
    const runs = await plan('--pipeline', 'none', '--pipeline', 'cull S1; thin S2 S3 S4', '--grid', 'm=8|16', '--seeds', '0,1,2', '--val-split', '0.1');
    expect(runs.length).toBe(12);
    const dir = join(root, 'val');
    store(dir, runs, (r) => ({ val: val[key(r)][r.seed], test: test[key(r)][r.seed] }));
    const r = await hrn('report', dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Compared on validation accuracy');
    expect(r.out).toContain('12 runs; 4 configurations, 3 on the Pareto front');
    const rows = csvRows(join(dir, 'report', 'report.csv'));
    expect(rows.length).toBe(12);
    for (const row of rows) {
      const k = `${row.set} ${row.pipeline === 'none' ? 'none' : 'cull'}`;
      expect(row.selectedBy).toBe('validation');
      expect(Number(row.configRuns)).toBe(3);
      expect(Number(row.accuracyMean)).toBeCloseTo(val[k].reduce((a, b) => a + b) / 3, 12);
      expect(Number(row.accuracySd)).toBeCloseTo(sampleSd(val[k]), 12);
      expect([Number(row.accuracyMin), Number(row.accuracyMax)]).toEqual([Math.min(...val[k]), Math.max(...val[k])]);
      expect(row.pareto).toBe(k === 'm=16 cull' ? 'false' : 'true');
      // The test set is looked at only for what was selected on validation.
      if (row.pareto === 'true') expect(Number(row.testAccuracy)).toBe(test[k][Number(row.seed)]);
      else expect([row.testAccuracy, row.testMean]).toEqual(['', '']);
      expect(row.bestTestAccuracy).toBe('');
    }
    // The text table: the culled m=16 configuration, dominated, shows no test accuracy.
    const line = r.out.split('\n').find((l) => l.startsWith('HRN-2x5x3x m=16 cull'))!;
    expect(line).toContain(`${(100 * (val['m=16 cull'].reduce((a, b) => a + b) / 3)).toFixed(2)}% ± ${(100 * sampleSd(val['m=16 cull'])).toFixed(2)}`);
    expect(line).toMatch(/45\.00%-47\.00%\s+-\s*$/);
    const json = JSON.parse(readFileSync(join(dir, 'report', 'report.json'), 'utf8')) as { accuracySd: number }[];
    expect(json.every((x) => typeof x.accuracySd === 'number')).toBe(true);
    // Error bars: one rule per configuration, from mean - sd to mean + sd.
    const svg = readFileSync(join(dir, 'report', 'relus-accuracy.svg'), 'utf8');
    const rules = svg.slice(svg.indexOf('layer_1_marks')).split('</g>')[0];
    expect((rules.match(/<line/g) ?? []).length).toBe(4);
    expect(svg).toContain('validation accuracy (mean ± sd over seeds)');
  });

  it('without a validation split the report says the front is selected on test accuracy', async () => {
    const runs = await plan('--pipeline', 'none', '--grid', 'm=8|16');
    const dir = join(root, 'test-only');
    store(dir, runs, (r) => ({ test: test[key(r)][0] }));
    const r = await hrn('report', dir);
    expect(r.out).toContain('Compared on test accuracy');
    expect(r.out).toContain('its test accuracy is optimistic');
    expect(csvRows(join(dir, 'report', 'report.csv')).map((x) => x.selectedBy)).toEqual(['test', 'test']);
  });
});

describe('hrn report: failed runs', () => {
  it('are listed with their reason next to the finished ones, in the text and the CSV', async () => {
    const runs = await plan('--pipeline', 'none', '--grid', 'm=8|16|32');
    const dir = join(root, 'failed');
    const s = store(dir, runs.slice(0, 2), () => ({ test: 0.5 }));
    s.writeSweep({ name: 'x', file: 'examples/hrn-2x5x3x.hrn', networks: [], mode: 'grid', axes: [], pipelines: [null], seeds: [0], data: 'cifar100:/nowhere', train: runs[0].train }, runs);
    s.writeError({ id: runs[2].id, label: runs[2].label, error: 'training diverged at step 3: the loss is NaN', at: '', by: 'test' });
    const r = await hrn('report', dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`1 failed run (error.json):\n  ${runs[2].label}: training diverged at step 3: the loss is NaN`);
    expect(r.out).toContain('2 runs; 1 failed (listed above);');
    const failed = csvRows(join(dir, 'report', 'report.csv')).find((x) => x.status === 'failed')!;
    expect(failed.run).toBe(runs[2].label);
    expect(failed.error).toBe('training diverged at step 3: the loss is NaN');
    // Its counts come from its run.json.
    expect(Number(failed.relus)).toBe(runs[2].counts.relus);
  });

  it('when every run failed, the reasons and one error line, exit 1', async () => {
    const runs = await plan('--pipeline', 'none');
    const dir = join(root, 'all-failed');
    const s = new RunStore(dir);
    s.writeError({ id: runs[0].id, label: runs[0].label, error: 'out of memory', at: '', by: 'test' });
    const r = await hrn('report', dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`hrn report: ${runs[0].label} failed: out of memory`);
    expect(r.err).toContain('no finished runs; 1 failed');
  });
});

describe('hrn report: runs stopped early', () => {
  it('are listed apart with the epoch and the reason, and left out of the comparison', async () => {
    const runs = await plan('--pipeline', 'none', '--grid', 'm=8|16', '--seeds', '0,1');
    const dir = join(root, 'stopped');
    const s = store(dir, runs, (r) => ({ test: r.set[0] === 'm=8' ? 0.6 + r.seed / 100 : 0.7 }));
    // The m=16 run of seed 1 was stopped after epoch 1 with a lower accuracy than its seed 0.
    const cut = runs.find((r) => r.set[0] === 'm=16' && r.seed === 1)!;
    const result = s.result(cut.id)!;
    s.writeResult({ ...result, testAccuracy: 0.2, history: [{ epoch: 1, loss: 2, testAccuracy: 0.2 }], stopped: { rule: 'median:0', epoch: 1, reason: 'best test accuracy so far 20.00% is below the median 60.50% of the 3 other runs at epoch 1' } });
    const r = await hrn('report', dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`1 run stopped early (--early-stop), not compared above:\n  ${cut.label}: test 20.00% after epoch 1: median:0: best test accuracy so far 20.00% is below the median`);
    expect(r.out).toContain('4 runs; 1 stopped early (listed above); 2 configurations');
    // The m=16 configuration is its one full run: 70%, not the mean with the stopped run's 20%.
    const m16 = r.out.split('\n').find((l) => l.startsWith('HRN-2x5x3x m=16'))!;
    expect(m16).toMatch(/HRN-2x5x3x m=16\s+1\s.*70\.00%/);
    const rows = csvRows(join(dir, 'report', 'report.csv'));
    const stopped = rows.find((x) => x.id === cut.id)!;
    expect(stopped.status).toBe('stopped');
    expect(stopped.stoppedEarly).toMatch(/^after epoch 1: median:0: /);
    expect(stopped.pareto).toBe('false');
    expect(rows.filter((x) => x.status === 'finished').length).toBe(3);
  });
});

describe('hrn report over a folder of runs directories', () => {
  it('reads every result.json below it, at any depth', async () => {
    const runs = await plan('--pipeline', 'none', '--grid', 'm=8|16|32');
    const top = join(root, 'nested');
    store(join(top, 'a'), runs.slice(0, 1), () => ({ test: 0.5 }));
    store(join(top, 'b', 'deeper', 'still'), runs.slice(1, 3), () => ({ test: 0.6 }));
    const r = await hrn('report', top);
    expect(r.code).toBe(0);
    expect(r.out).toContain('3 runs; 3 configurations');
    expect(csvRows(join(top, 'report', 'report.csv')).map((x) => x.id).sort()).toEqual(runs.map((x) => x.id).sort());
  });
});

describe('hrn report on one training', () => {
  it("draws the run's loss and accuracy curves from its train.jsonl and prints its epochs", async () => {
    const dir = join(root, 'one-run');
    const log = new JsonlLogger(join(dir, 'train.jsonl'));
    log.log({ event: 'start', network: 'Tiny', epochs: 3 });
    const epochs = [
      { epoch: 1, loss: 2.1, trainAccuracy: 0.3, valAccuracy: 0.28, testAccuracy: 0.27, testLoss: 2.0, valLoss: 2.05 },
      { epoch: 2, loss: 1.6, trainAccuracy: 0.45, valAccuracy: 0.41, testAccuracy: 0.4, testLoss: 1.7, valLoss: 1.72 },
      { epoch: 3, loss: 1.2, trainAccuracy: 0.55, valAccuracy: 0.5, testAccuracy: 0.49, testLoss: 1.4, valLoss: 1.41 },
    ];
    for (const e of epochs) log.log({ event: 'epoch', ...e });
    log.close();
    const r = await hrn('report', dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\s*3\s+1\.2000\s+55\.00%\s+50\.00%\s+49\.00%$/m);
    const svg = readFileSync(join(dir, 'report', 'curves.svg'), 'utf8');
    for (const series of ['training loss', 'validation loss', 'test loss', 'training accuracy', 'validation accuracy', 'test accuracy']) expect(svg).toContain(`>${series}<`);
  });

  it('a directory with neither runs nor a training log says it has neither', async () => {
    const dir = mkdtempSync(join(root, 'empty-'));
    const r = await hrn('report', dir);
    expect(r.code).toBe(1);
    expect(r.err.trim()).toMatch(/^hrn report: error: .*: no finished runs \(no \*\/result\.json\) and no training log \(train\.jsonl\); run hrn sweep or hrn train first$/);
  });
});

describe('accuracy axes', () => {
  const label = (v: number, decimals: number) => `${(100 * v).toFixed(decimals)}%`;

  it('a value axis (the loss) that does not vary still gets a few distinct, short labels', () => {
    const t = niceTicks(1, 1);
    const labels = t.values.map((v) => v.toFixed(t.decimals));
    expect(labels.length).toBeGreaterThan(2);
    expect(new Set(labels).size).toBe(labels.length);
    expect(labels).toContain('1.00');
  });

  for (const [lo, hi] of [
    [0.1012, 0.1139],
    [0.5, 0.5004],
    [0.9931, 0.9987],
    [0.1, 0.9],
    [0, 1],
    [0.42, 0.42],
  ]) {
    it(`ticks over ${lo}..${hi}: distinct labels, covering the data, a handful of them`, () => {
      const t = accuracyTicks(lo, hi);
      const labels = t.values.map((v) => label(v, t.decimals));
      expect(new Set(labels).size).toBe(labels.length);
      expect(t.values[0]).toBeLessThanOrEqual(lo);
      expect(t.values[t.values.length - 1]).toBeGreaterThanOrEqual(hi);
      expect(t.values.length).toBeGreaterThanOrEqual(2);
      expect(t.values.length).toBeLessThanOrEqual(12);
      expect(t.format).toBe(`.${t.decimals}%`);
    });
  }

  it('the report draws narrow accuracy ranges with labels that differ (10%, 10%, 11%, 11% before)', async () => {
    const runs = await plan('--pipeline', 'none', '--grid', 'm=8|16|32');
    const dir = join(root, 'narrow');
    const accs = [0.1012, 0.1075, 0.1139];
    store(dir, runs, (r) => ({ test: accs[runs.indexOf(r)] }));
    expect((await hrn('report', dir)).code).toBe(0);
    for (const f of ['relus-accuracy.svg', 'flops-accuracy.svg', 'curves.svg']) {
      const axes = yAxisLabels(readFileSync(join(dir, 'report', f), 'utf8'));
      expect(axes.length).toBeGreaterThan(0);
      // Accuracy axes, and the loss axis of the curves (one epoch: a single value, once "1.000000").
      for (const labels of axes) {
        expect(labels.length, `${f}: ${labels.join(', ')}`).toBeGreaterThan(2);
        expect(new Set(labels).size, `${f}: ${labels.join(', ')}`).toBe(labels.length);
      }
    }
  });
});
