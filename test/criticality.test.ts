// `hrn criticality`: the D + 1 runs it plans (one per stage with that stage's ReLUs only, and the
// all-linear reference) as a JSON document valid against docs/schemas/criticality.schema.json, the
// teacher as part of each run's identity, C_k read back from stored results, and a tiny distilled
// measurement with a validation split trained end to end.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNetworksFromText, lowerNetwork } from '../src/driver.js';
import type { GpuContext } from '../src/runtime/device.js';
import { stageCriticality } from '../src/sweep/criticality.js';
import type { RunConfig } from '../src/sweep/expand.js';
import { teacherIdentity } from '../src/sweep/teacher.js';
import { trainRun } from '../src/sweep/train-run.js';
import { RunStore, type RunResult } from '../src/sweep/store.js';
import { loadCheckpointState, networkHash, saveCheckpoint } from '../src/train/checkpoint.js';
import { readJsonl } from '../src/train/log.js';
import { cosineSchedule } from '../src/train/schedule.js';
import { initWeights } from '../src/weights/weights.js';
import { validateJson } from './json-schema.js';
import { hrnInProcess as hrn, TINY_HRN, writeTinyFashion } from './sweep-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'hrn-criticality-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const EXAMPLE = 'examples/hrn-2x5x3x.hrn';
const NOWHERE = 'cifar100:/nowhere';

interface PlannedRun {
  id: string;
  label: string;
  role: 'stage' | 'reference';
  stage: string | null;
  pipeline: string | null;
  seed: number;
  relus: number;
  reluStages: Record<string, number>;
}

interface Entry {
  network: string;
  stages: string[];
  teacher: null | { checkpoint: string; network: string; weights: string; loss: { kind: string } };
  valSplit: number | null;
  runs: PlannedRun[];
  measurement?: {
    accuracy: string;
    reference: { accuracy: number };
    stages: { stage: string; relus: number; accuracy: number; accuracySd: number | null; gain: number; c: number; cSd: number | null }[];
    order: string[];
    seeds: { seed: number; reference: number; c: Record<string, number>; order: string[] }[];
    seedsAgreeing: number;
  };
}

async function plan(...args: string[]): Promise<Entry> {
  const r = await hrn('criticality', ...args, '--dry-run', '--json');
  // Nothing but warnings (a short run's DKD warm-up is one) on stderr.
  expect(r.err.split('\n').filter((l) => l !== '' && !/: warning: /.test(l))).toEqual([]);
  expect(r.code).toBe(0);
  const doc = JSON.parse(r.out);
  expect(validateJson('criticality', doc)).toEqual([]);
  return doc.networks[0] as Entry;
}

/** A checkpoint as `hrn train` leaves it, of the tiny network with weights from `seed`. */
function fakeTeacher(dir: string, file: string, seed: number): string {
  const graph = lowerNetwork(loadNetworksFromText(file, readFileSync(file, 'utf8'), new Map(), { set: [] }).networks[0]);
  saveCheckpoint(join(dir, 'checkpoint'), {
    weights: initWeights(graph, seed),
    optimizer: new Map(),
    state: {
      network: { name: graph.name, hash: networkHash(graph) },
      epoch: 1,
      step: 1,
      dataSeed: 0,
      rng: {},
      lrSchedule: cosineSchedule({ totalSteps: 1 }),
      optimizer: { kind: 'sgd', momentum: 0.9, weightDecay: 5e-4, nesterov: false },
      metrics: [],
      extra: { source: resolve(file), set: [], network: graph.name },
    },
  });
  return dir;
}

const tinyFile = join(root, 'tiny.hrn');
writeFileSync(tinyFile, TINY_HRN);

describe('hrn criticality --dry-run --json', () => {
  it("plans D + 1 runs per seed: each stage's ReLUs alone, counted as the network counts them, and none", async () => {
    const doc = await plan(EXAMPLE, '--data', NOWHERE, '--seeds', '0,1');
    expect(doc.stages).toEqual(['S1', 'S2', 'S3', 'S4']);
    expect(doc.teacher).toBeNull();
    expect(doc.runs.length).toBe((4 + 1) * 2);
    const stats = JSON.parse((await hrn('stats', EXAMPLE, '--json')).out).networks[0].relus.stages as Record<string, number>;
    for (const stage of doc.stages) {
      const mine = doc.runs.filter((r) => r.role === 'stage' && r.stage === stage);
      expect(mine.map((r) => r.seed).sort()).toEqual([0, 1]);
      // Every ReLU of the run is in its stage, and they are all of that stage's in the full network.
      for (const r of mine) {
        expect(r.relus).toBe(stats[stage]);
        expect(Object.entries(r.reluStages).filter(([s, n]) => s !== stage && n > 0)).toEqual([]);
      }
    }
    const reference = doc.runs.filter((r) => r.role === 'reference');
    expect(reference.map((r) => [r.stage, r.relus, r.pipeline])).toEqual([
      [null, 0, 'cull S1 S2 S3 S4'],
      [null, 0, 'cull S1 S2 S3 S4'],
    ]);
    // The ids are the runs' directories: the same plan twice gives the same ids.
    expect((await plan(EXAMPLE, '--data', NOWHERE, '--seeds', '0,1')).runs.map((r) => r.id)).toEqual(doc.runs.map((r) => r.id));
  });

  it('the schema rejects what it does not describe', async () => {
    const doc = await plan(EXAMPLE, '--data', NOWHERE);
    const wrap = (entry: object) => ({ schemaVersion: 1, command: 'criticality', networks: [entry] });
    expect(validateJson('criticality', wrap({ ...doc, extra: 1 }))).not.toEqual([]);
    expect(validateJson('criticality', wrap({ ...doc, runs: doc.runs.map((r) => ({ ...r, role: 'baseline' })) }))).not.toEqual([]);
  });

  it('--val-split is recorded in the plan and in every run', async () => {
    const doc = await plan(EXAMPLE, '--data', NOWHERE, '--val-split', '0.1');
    expect(doc.valSplit).toBe(0.1);
    const plain = await plan(EXAMPLE, '--data', NOWHERE);
    expect(doc.runs.map((r) => r.id)).not.toEqual(plain.runs.map((r) => r.id));
    const bad = await hrn('criticality', EXAMPLE, '--data', NOWHERE, '--val-split', '1.5', '--dry-run');
    expect(bad.code).toBe(2);
    expect(bad.err.split('\n')[0]).toBe("hrn criticality: error: --val-split: expected a fraction between 0 and 1 (such as 0.1), got '1.5'");
  });
});

describe('hrn criticality --teacher', () => {
  it('every run distils from the teacher; its network, weights and loss are part of the run ids', async () => {
    const teacher = fakeTeacher(join(root, 'teacher'), tinyFile, 1);
    const args = [tinyFile, '--data', NOWHERE];
    const plain = await plan(...args);
    const hinton = await plan(...args, '--teacher', teacher);
    expect(hinton.teacher?.loss.kind).toBe('hinton');
    const state = loadCheckpointState(join(teacher, 'checkpoint')).state;
    expect(hinton.teacher?.network).toBe(state.network.hash);
    expect(hinton.teacher?.weights).toBe(state.files.weights.sha256);
    const dkd = await plan(...args, '--teacher', teacher, '--kd', 'dkd');
    const ids = (e: Entry) => e.runs.map((r) => r.id);
    expect(new Set([...ids(plain), ...ids(hinton), ...ids(dkd)]).size).toBe(3 * plain.runs.length);
    // The same teacher by another path is the same run; retrained in place, a new one.
    expect(ids(await plan(...args, '--teacher', join(teacher, 'checkpoint')))).toEqual(ids(hinton));
    fakeTeacher(teacher, tinyFile, 2);
    expect(ids(await plan(...args, '--teacher', teacher))).not.toEqual(ids(hinton));
  });

  it('a missing teacher, or distillation options without one, are one-line errors', async () => {
    const missing = await hrn('criticality', tinyFile, '--data', NOWHERE, '--teacher', join(root, 'nothing'), '--dry-run');
    expect(missing.code).toBe(1);
    expect(missing.err.trim().split('\n')).toHaveLength(1);
    expect(missing.err).toMatch(/^hrn criticality: error: --teacher: .*nothing/);
    const stray = await hrn('criticality', tinyFile, '--data', NOWHERE, '--kd', 'dkd', '--dry-run');
    expect(stray.code).toBe(2);
    expect(stray.err.split('\n')[0]).toBe('hrn criticality: error: --kd needs --teacher CKPT');
  });
});

describe('a teacher that cannot teach the runs', () => {
  it('one with other classes is refused before anything trains, in one message', async () => {
    const data = writeTinyFashion(join(root, 'fm-classes'));
    const other = join(root, 'tiny-12.hrn');
    writeFileSync(other, TINY_HRN.replace('param k = 10', 'param k = 12'));
    const teacher = fakeTeacher(join(root, 'teacher-12'), other, 1);
    const out = join(root, 'runs-12');
    const r = await hrn('criticality', tinyFile, '--data', data, '--teacher', teacher, '--epochs', '1', '--batch', '10', '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toContain('3 of 3 runs cannot be trained; nothing was trained:');
    expect(r.err).toContain(`--teacher ${resolve(teacher)}: the teacher has 12 classes, the network 10`);
    expect(existsSync(out)).toBe(false);
  });

  it('a run whose teacher was retrained after it was planned is refused, not continued with the new one', async () => {
    const data = writeTinyFashion(join(root, 'fm-retrained'));
    const teacher = fakeTeacher(join(root, 'teacher-retrained'), tinyFile, 1);
    const planned = JSON.parse((await hrn('sweep', tinyFile, '--data', data, '--batch', '10', '--dry-run', '--json')).out).runs[0] as RunConfig;
    const run: RunConfig = { ...planned, kd: { teacher: resolve(teacher), identity: teacherIdentity(teacher), loss: { kind: 'hinton', temperature: 4, ceWeight: 0.1, kdWeight: 0.9 } } };
    fakeTeacher(teacher, tinyFile, 2);
    // The teacher is checked before the device is first used.
    await expect(trainRun(run, { gpu: {} as GpuContext, dir: join(root, 'retrained-run') })).rejects.toThrow(/the teacher is no longer the checkpoint this run was planned with/);
  });
});

describe('hrn criticality on finished runs', () => {
  it('C_k from the stored accuracies: validation when every run has one, the mean over seeds', async () => {
    const args = [EXAMPLE, '--data', NOWHERE, '--seeds', '0,1', '--val-split', '0.1'];
    const doc = await plan(...args);
    const dir = join(root, 'stored');
    const store = new RunStore(dir);
    // Made-up accuracies, the test's and the validation's deliberately in another order.
    const val: Record<string, number> = { S1: 0.4, S2: 0.6, S3: 0.7, S4: 0.5, none: 0.3 };
    const test: Record<string, number> = { S1: 0.7, S2: 0.6, S3: 0.5, S4: 0.4, none: 0.3 };
    // The seeds differ around those means; on S2 by so much that they disagree on the order.
    const offset = (key: string, seed: number) => (seed === 0 ? 1 : -1) * (key === 'S2' ? 0.15 : 0.01);
    for (const r of doc.runs) {
      const key = r.stage ?? 'none';
      const result: RunResult = {
        id: r.id, label: r.label, network: 'HRN-2x5x3x', set: [], pipeline: r.pipeline, seed: r.seed, data: NOWHERE, relus: r.relus, flops: 1, params: 1, reluStages: r.reluStages,
        epochs: 1, history: [], testAccuracy: test[key], valAccuracy: val[key] + offset(key, r.seed), wallSeconds: 1, checkpoint: '', finishedAt: '', by: 'test',
      };
      store.writeResult(result);
    }
    const r = await hrn('criticality', ...args, '--out', dir, '--json');
    expect(r.code).toBe(0);
    const measured = JSON.parse(r.out);
    expect(validateJson('criticality', measured)).toEqual([]);
    const m = (measured.networks[0] as Entry).measurement!;
    expect(m.accuracy).toBe('validation');
    expect(m.reference.accuracy).toBeCloseTo(0.3, 12);
    const stageRelus = Object.fromEntries(doc.runs.filter((x) => x.role === 'stage').map((x) => [x.stage, x.relus]));
    const expected = stageCriticality(doc.stages.map((s) => ({ stage: s, relus: stageRelus[s], accuracy: val[s] })), { accuracy: val.none });
    m.stages.forEach((s, i) => {
      expect(s.accuracy).toBeCloseTo(val[s.stage], 12);
      expect(s.c).toBeCloseTo(expected.stages[i].c, 9);
      expect(s.gain).toBeCloseTo(100 * (val[s.stage] - val.none), 9);
    });
    expect(m.order).toEqual(expected.order);
    // Each seed alone: its stage runs against its own reference.
    const onSeed = [0, 1].map((seed) => stageCriticality(doc.stages.map((st) => ({ stage: st, relus: stageRelus[st], accuracy: val[st] + offset(st, seed) })), { accuracy: val.none + offset('none', seed) }));
    expect(m.seeds.map((x) => x.order)).toEqual(onSeed.map((c) => c.order));
    expect(onSeed[0].order).not.toEqual(onSeed[1].order);
    expect(m.seedsAgreeing).toBe(onSeed.filter((c) => c.order.join() === expected.order.join()).length);
    m.stages.forEach((st, i) => {
      // Two values a and b have a sample standard deviation of |a - b| / sqrt(2).
      expect(st.accuracySd).toBeCloseTo((2 * Math.abs(offset(st.stage, 0))) / Math.SQRT2, 9);
      expect(st.cSd).toBeCloseTo(Math.abs(onSeed[0].stages[i].c - onSeed[1].stages[i].c) / Math.SQRT2, 9);
      expect(m.seeds.map((x) => x.c[st.stage])).toEqual(onSeed.map((c) => c.stages[i].c));
    });

    const text = await hrn('criticality', ...args, '--out', dir);
    expect(text.out).toContain(`criticality ${expected.order.join(' > ')}`);
    expect(text.out).toContain(`per seed: seed 0 ${onSeed[0].order.join(' > ')}; seed 1 ${onSeed[1].order.join(' > ')}`);
    expect(text.out).toMatch(new RegExp(`^S2 .* 60\\.00% ± 21\\.21 `, 'm'));
    expect(text.out).toMatch(/measured with validation accuracy, mean of 2 seeds, not distilled/);
    const emitted = await hrn('criticality', ...args, '--out', dir, '--emit', 'hrn');
    const path = join(root, 'measured.hrn');
    writeFileSync(path, emitted.out);
    expect(JSON.parse((await hrn('stats', path, '--json')).out).networks[0].criticality.order).toEqual(expected.order);
  });
});

describe('a tiny measurement, trained', () => {
  it('distils every run from the teacher and selects on the held-out images', async () => {
    const data = writeTinyFashion(join(root, 'fm'));
    const teacher = fakeTeacher(join(root, 'tiny-teacher'), tinyFile, 3);
    const out = join(root, 'tiny-runs');
    const args = [tinyFile, '--data', data, '--teacher', teacher, '--val-split', '0.25', '--epochs', '1', '--batch', '10', '--subset', '40', '--lr', '0.05', '--out', out];
    const doc = await plan(...args);
    expect(doc.runs.length).toBe(3);
    const r = await hrn('criticality', ...args, '--json');
    expect(r.code).toBe(0);
    const m = (JSON.parse(r.out).networks[0] as Entry).measurement!;
    expect(m.accuracy).toBe('validation');
    expect(m.order.slice().sort()).toEqual(['S1', 'S2']);
    const store = new RunStore(out);
    for (const run of doc.runs) {
      const res = store.result(run.id)!;
      expect(typeof res.valAccuracy).toBe('number');
      const epochs = readJsonl(join(out, run.id, 'train.jsonl')).filter((x) => x.event === 'epoch');
      expect(epochs.map((e) => typeof e.valAccuracy)).toEqual(['number']);
      // Distilled with the default Hinton loss: the epoch records its parts.
      expect(typeof epochs[0].kd).toBe('number');
      const start = readJsonl(join(out, run.id, 'train.jsonl')).find((x) => x.event === 'start');
      expect(start?.loss).toBe('hinton');
      // 40 images, a quarter held out (stratified: one per class in ten classes): 30 train.
      expect(loadCheckpointState(join(out, run.id, 'checkpoint')).state.extra).toMatchObject({ settings: { trainImages: 30, valSplit: 0.25 } });
    }
  }, 300_000);
});
