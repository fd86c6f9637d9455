// `hrn report` shows each run's private-inference latency as `hrn stats` computes it: GC for the
// ReLUs, HE for the linear layers, and their sum. Runs planned now carry the HE latency in their
// results; older ones (without it) get it from their network, built again from run.json, and a run
// whose source no longer makes its network gets none rather than a wrong one.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNetworksFromText, lowerNetwork, runPipelineText } from '../src/driver.js';
import { GC_SECONDS_PER_RELU } from '../src/ir/cost.js';
import { heCost } from '../src/ir/he-cost.js';
import type { RunConfig } from '../src/sweep/expand.js';
import { RunStore, type RunResult } from '../src/sweep/store.js';
import { hrnInProcess as hrn } from './sweep-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'hrn-report-latency-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const CULL_THIN = 'cull S1; thin S2 S3 S4';

/** The HE latency of HRN-2x5x3x under `set` and `pipeline`, from its layer graph. */
function heSeconds(file: string, set: string[], pipeline: string | null): number {
  const sources = new Map<string, string>();
  const loaded = loadNetworksFromText(file, readFileSync(file, 'utf8'), sources, { set });
  const net = pipeline === null ? loaded.networks[0] : runPipelineText(loaded.networks, pipeline, '<test>', loaded.file, sources).family[0];
  return heCost(lowerNetwork(net)).latencySeconds;
}

async function sweepRuns(file: string): Promise<RunConfig[]> {
  const r = await hrn('sweep', file, '--data', 'cifar100:/nowhere', '--dry-run', '--json', '--pipeline', 'none', '--pipeline', CULL_THIN, '--grid', 'm=8|16');
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out) as RunConfig[];
}

function finish(store: RunStore, r: RunConfig, drop: boolean): void {
  const counts: Partial<RunConfig['counts']> = { ...r.counts };
  // A result written before the latency was recorded.
  if (drop) delete counts.heLatencySeconds;
  const result = {
    id: r.id, label: r.label, network: r.network, set: r.set, pipeline: r.pipeline, seed: r.seed, data: r.data, ...counts,
    epochs: 1, history: [{ epoch: 1, loss: 1, testAccuracy: 0.5 }], testAccuracy: 0.5, wallSeconds: 1, checkpoint: join(store.dir, r.id, 'checkpoint'),
    finishedAt: new Date(0).toISOString(), by: 'test',
  } as RunResult;
  store.writeResult(result);
}

function csvRows(dir: string): Record<string, string>[] {
  const [head, ...rows] = readFileSync(join(dir, 'report', 'report.csv'), 'utf8').trim().split('\n');
  const cols = head.split(',');
  return rows.map((l) => {
    const cells = l.match(/("[^"]*"|[^,]*)(,|$)/g)!.map((f) => f.replace(/,$/, '').replace(/^"|"$/g, ''));
    return Object.fromEntries(cols.map((c, i) => [c, cells[i]]));
  });
}

describe('hrn report: PI latency columns', () => {
  it('GC, HE and total latency per run, in the CSV, JSON and text; from run.json for results without it', async () => {
    const file = join(root, 'hrn.hrn');
    writeFileSync(file, readFileSync('examples/hrn-2x5x3x.hrn', 'utf8'));
    const runs = await sweepRuns(file);
    for (const r of runs) expect(r.counts.heLatencySeconds).toBeCloseTo(heSeconds(file, r.set, r.pipeline), 9);
    const dir = join(root, 'runs');
    const store = new RunStore(dir);
    store.writeSweep({ name: 't', file, networks: [], mode: 'grid', axes: [], pipelines: [], seeds: [0], data: '', train: {} as never }, runs);
    runs.forEach((r, i) => finish(store, r, i % 2 === 1));
    const rep = await hrn('report', dir);
    expect(rep.code, rep.err).toBe(0);
    const rows = csvRows(dir);
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      const run = runs.find((r) => r.id === row.id)!;
      const gc = run.counts.relus * GC_SECONDS_PER_RELU;
      const he = heSeconds(file, run.set, run.pipeline);
      expect(Number(row.gcLatencySeconds)).toBeCloseTo(gc, 9);
      expect(Number(row.heLatencySeconds)).toBeCloseTo(he, 9);
      expect(Number(row.totalLatencySeconds)).toBeCloseTo(gc + he, 9);
    }
    expect(rep.out).toMatch(/^configuration +seeds +ReLUs +FLOPs +params +GC lat +HE lat +PI lat +test acc/m);
    const json = JSON.parse((await hrn('report', dir, '--json')).out) as { heLatencySeconds: number | null }[];
    expect(json.every((r) => typeof r.heLatencySeconds === 'number')).toBe(true);
  });

  it('an old result whose source changed since: no HE latency, shown as -', async () => {
    const file = join(root, 'moved.hrn');
    writeFileSync(file, readFileSync('examples/hrn-2x5x3x.hrn', 'utf8'));
    const runs = await sweepRuns(file);
    const dir = join(root, 'runs-moved');
    const store = new RunStore(dir);
    store.writeSweep({ name: 't', file, networks: [], mode: 'grid', axes: [], pipelines: [], seeds: [0], data: '', train: {} as never }, runs);
    for (const r of runs) finish(store, r, true);
    // The network is wider now: its hash is not the trained one's.
    writeFileSync(file, readFileSync('examples/hrn-2x5x3x.hrn', 'utf8').replace('widths = [2, 5, 3]', 'widths = [3, 5, 3]'));
    const rep = await hrn('report', dir);
    expect(rep.code, rep.err).toBe(0);
    for (const row of csvRows(dir)) {
      expect(Number(row.gcLatencySeconds)).toBeGreaterThan(0);
      expect([row.heLatencySeconds, row.totalLatencySeconds]).toEqual(['', '']);
    }
    expect(rep.out).toMatch(/ +\d+\.\ds +- +- +50\.00%/);
  });
});
