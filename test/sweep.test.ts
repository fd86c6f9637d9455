// `hrn sweep`: expansion into runs with stable ids, --dry-run counts against the paper's
// conventions, the report's table (CSV) and plots, and a local sweep that is killed and started
// again without retraining what had finished.

import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunConfig } from '../src/sweep/expand.js';
import { RunStore, type RunResult } from '../src/sweep/store.js';
import { readJsonl } from '../src/train/log.js';
import { hrnInProcess as hrn, hrnProcess, TINY_HRN, waitFor, writeTinyFashion } from './sweep-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'hrn-sweep-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// HRN-2x5x3x, m=16, on 32x32 inputs: stage widths m*[1, 2, 2*5, 2*5*3] = [16, 32, 160, 480], two
// basic blocks (4 ReLU layers) per stage, the stem's ReLU layer counted in S1.
const stages = [16 * 32 * 32 + 4 * 16 * 32 * 32, 4 * 32 * 16 * 16, 4 * 160 * 8 * 8, 4 * 480 * 4 * 4];
const allRelus = stages.reduce((a, b) => a + b); // 186,368
// Culling S1 removes all of its ReLUs (the stem's too); thinning keeps every other ReLU layer.
const culledThinned = (stages[1] + stages[2] + stages[3]) / 2; // 52,224
const CULL_THIN = 'cull S1; thin S2 S3 S4';

async function dryRun(...extra: string[]): Promise<RunConfig[]> {
  const r = await hrn('sweep', 'examples/hrn-2x5x3x.hrn', '--data', 'cifar100:/nowhere', '--dry-run', '--json', ...extra);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out) as RunConfig[];
}

describe('hrn sweep --dry-run', () => {
  it("counts ReLUs by the paper's conventions: HRN-2x5x3x m=16 186,368, culled+thinned 52,224", async () => {
    expect(allRelus).toBe(186_368);
    expect(culledThinned).toBe(52_224);
    const runs = await dryRun('--pipeline', 'none', '--pipeline', CULL_THIN);
    expect(runs.map((r) => [r.pipeline, r.counts.relus])).toEqual([
      [null, allRelus],
      [CULL_THIN, culledThinned],
    ]);
    expect(runs[0].counts.reluStages).toEqual({ S1: stages[0], S2: stages[1], S3: stages[2], S4: stages[3] });
    // ReLU optimization leaves the convolutions alone: the same FLOPs (paper: 179M, within 1%).
    expect(runs[1].counts.flops).toBe(runs[0].counts.flops);
    expect(Math.abs(runs[0].counts.flops - 179e6) / 179e6).toBeLessThan(0.01);

    const text = await hrn('sweep', 'examples/hrn-2x5x3x.hrn', '--data', 'cifar100:/nowhere', '--dry-run', '--pipeline', 'none', '--pipeline', CULL_THIN);
    expect(text.out).toContain('186,368');
    expect(text.out).toContain('52,224');
    expect(text.out).toMatch(/^2 runs$/m);
  });

  it('a grid multiplies its axes, a list takes them in step; m scales ReLUs linearly', async () => {
    const grid = await dryRun('--grid', 'm=8|16', '--grid', 'widths=[2,5,3]|[5,5,3]', '--seeds', '0,1');
    expect(grid.length).toBe(2 * 2 * 2);
    const list = await dryRun('--grid', 'm=8|16', '--grid', 'widths=[2,5,3]|[5,5,3]', '--list');
    expect(list.map((r) => r.set)).toEqual([
      ['m=8', 'widths=[2,5,3]'],
      ['m=16', 'widths=[5,5,3]'],
    ]);
    // Every ReLU layer's channels are multiples of m: half the m, half the ReLUs.
    expect(list[0].counts.relus).toBe(allRelus / 2);
  });

  it('ids are stable and follow the exact configuration', async () => {
    const a = await dryRun('--seeds', '0,1');
    const b = await dryRun('--seeds', '1,0');
    expect(new Set(a.map((r) => r.id))).toEqual(new Set(b.map((r) => r.id)));
    expect(new Set(a.map((r) => r.id)).size).toBe(2);
    const lr = await dryRun('--seeds', '0', '--lr', '0.05');
    expect(a.map((r) => r.id)).not.toContain(lr[0].id);
    // --set m=16 is the file's own default: the same network, so the same run.
    const same = await dryRun('--seeds', '0', '--grid', 'm=16');
    const hash = (id: string) => id.split('-').at(-2);
    expect(hash(same[0].id)).toBe(hash(a.find((r) => r.seed === 0)!.id));
  });

  it('user errors are reported, not thrown', async () => {
    const r = await hrn('sweep', 'examples/hrn-2x5x3x.hrn', '--data', 'cifar100:/x', '--dry-run', '--grid', 'nosuch=1|2');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/nosuch/);
    const u = await hrn('sweep', 'examples/hrn-2x5x3x.hrn', '--dry-run');
    expect(u.code).toBe(2);
    expect(u.err).toMatch(/--data/);
    // --list with axes of different lengths was an internal error (exit 70).
    const l = await hrn('sweep', 'examples/hrn-2x5x3x.hrn', '--data', 'cifar100:/x', '--dry-run', '--list', '--grid', 'm=8|16', '--grid', 'res=32');
    expect(l.code).toBe(1);
    expect(l.err.trim()).toBe('hrn sweep: error: a list sweep takes its axes in step, so they need equally many values: m has 2, res has 1');
  });
});

describe('hrn report', () => {
  it("writes the table (CSV rows with the runs' counts, Pareto front marked) and SVG plots", async () => {
    const runs = await dryRun('--pipeline', 'none', '--pipeline', CULL_THIN, '--grid', 'm=8|16');
    const dir = join(root, 'report-runs');
    const store = new RunStore(dir);
    // Accuracies made up for the test, so that m=16 culled+thinned (45%) is dominated by m=8
    // culled+thinned (half the ReLUs, 50%) and the other three are on the front.
    const acc: Record<string, number> = { 'm=8 none': 0.6, 'm=8 cull': 0.5, 'm=16 none': 0.7, 'm=16 cull': 0.45 };
    for (const r of runs) {
      const key = `${r.set[0]} ${r.pipeline === null ? 'none' : 'cull'}`;
      const result: RunResult = {
        id: r.id, label: r.label, network: r.network, set: r.set, pipeline: r.pipeline, seed: r.seed, data: r.data, ...r.counts,
        epochs: 2, history: [{ epoch: 1, loss: 2, testAccuracy: acc[key] - 0.1 }, { epoch: 2, loss: 1.5, testAccuracy: acc[key] }],
        testAccuracy: acc[key], wallSeconds: 3, checkpoint: join(dir, r.id, 'checkpoint'), finishedAt: new Date(0).toISOString(), by: 'test',
      };
      store.writeResult(result);
    }
    const r = await hrn('report', dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const csv = readFileSync(join(dir, 'report', 'report.csv'), 'utf8').trim().split('\n');
    const head = csv[0].split(',');
    const col = (name: string) => head.indexOf(name);
    const rows = csv.slice(1).map((l) => l.match(/("[^"]*"|[^,]*)(,|$)/g)!.map((f) => f.replace(/,$/, '').replace(/^"|"$/g, '')));
    // Sorted by ReLUs: m=8 culled+thinned (half of 52,224), m=16 culled+thinned, m=8, m=16.
    expect(rows.map((x) => Number(x[col('relus')]))).toEqual([culledThinned / 2, culledThinned, allRelus / 2, allRelus]);
    const pts = rows.map((x) => ({ relus: Number(x[col('relus')]), acc: Number(x[col('testAccuracy')]), pareto: x[col('pareto')] === 'true' }));
    for (const p of pts) {
      const dominated = pts.some((q) => q !== p && q.relus <= p.relus && q.acc >= p.acc && (q.relus < p.relus || q.acc > p.acc));
      expect(p.pareto).toBe(!dominated);
    }
    expect(pts.map((p) => [p.acc, p.pareto])).toEqual([
      [0.5, true],
      [0.45, false],
      [0.6, true],
      [0.7, true],
    ]);
    for (const f of ['relus-accuracy.svg', 'flops-accuracy.svg', 'curves.svg', 'relus-per-stage.svg']) {
      const svg = readFileSync(join(dir, 'report', f), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
    }
    // Each point of the Pareto plot is labelled with its configuration (the run's label without its seed).
    const pareto = readFileSync(join(dir, 'report', 'relus-accuracy.svg'), 'utf8');
    for (const run of runs) expect(pareto).toContain(`>${run.label.replace(/ seed0$/, '').replace(/&/g, '&amp;')}<`);
    expect(JSON.parse(readFileSync(join(dir, 'report', 'report.json'), 'utf8')).length).toBe(4);
  });

  it('a dominated run is not on the front', async () => {
    const { paretoFront } = await import('../src/report/pareto.js');
    const front = paretoFront([
      { id: 'cheap', x: 10, y: 0.5 },
      { id: 'dominated', x: 20, y: 0.45 },
      { id: 'best', x: 30, y: 0.8 },
      { id: 'tie', x: 30, y: 0.8 },
    ]);
    expect([...front].sort()).toEqual(['best', 'cheap', 'tie']);
  });

  it('hrn stats --plot writes the ReLUs per stage as SVG', async () => {
    const path = join(root, 'stages.svg');
    const r = await hrn('stats', 'examples/hrn-2x5x3x.hrn', '--plot', path);
    expect(r.code).toBe(0);
    const svg = readFileSync(path, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const s of ['S1', 'S2', 'S3', 'S4']) expect(svg).toContain(`>${s}<`);
  });
});

describe('a local sweep, killed and started again', () => {
  it('skips finished runs and resumes the one that was cut off', async () => {
    const data = writeTinyFashion(join(root, 'fm'));
    const file = join(root, 'tiny.hrn');
    writeFileSync(file, TINY_HRN);
    const out = join(root, 'local');
    const args = ['sweep', file, '--seeds', '0,1,2', '--data', data, '--epochs', '3', '--batch', '10', '--subset', '40', '--lr', '0.05', '--out', out];
    const store = new RunStore(out);
    const ids = (JSON.parse((await hrn(...args, '--dry-run', '--json')).out) as RunConfig[]).map((r) => r.id);
    expect(ids.length).toBe(3);

    const first = hrnProcess(args);
    // Kill it once the first run has finished and the second has a checkpoint.
    await waitFor('run 1 done and run 2 checkpointed', () => store.result(ids[0]) !== undefined && existsSync(join(out, ids[1], 'checkpoint')), 300_000, 20);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(store.result(ids[1])).toBeUndefined();
    const doneAt = statSync(join(out, ids[0], 'result.json')).mtimeMs;

    const second = await hrn(...args);
    expect(second.code).toBe(0);
    expect(second.out).toContain('done: 2 trained, 1 already finished, 0 failed, of 3');
    // The finished run was not touched: same result file, one training start in its log.
    expect(statSync(join(out, ids[0], 'result.json')).mtimeMs).toBe(doneAt);
    expect(readJsonl(join(out, ids[0], 'train.jsonl')).map((r) => r.event).filter((e) => e === 'start' || e === 'resume')).toEqual(['start']);
    // The cut-off run continued from its checkpoint.
    expect(readJsonl(join(out, ids[1], 'train.jsonl')).map((r) => r.event).filter((e) => e === 'start' || e === 'resume')).toEqual(['start', 'resume']);
    for (const id of ids) expect(store.result(id)!.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
  }, 600_000);
});
