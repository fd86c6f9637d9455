// `hrn tune` on the device (lavapipe in CI): a tiny network tuned end to end within a small budget,
// its winners then taken by compile (source `tuned`), a damaged cache ignored with one warning, a
// wrong-but-fast candidate never winning, and tuned plans computing what the default plans compute.

import { openTrainer } from '../src/launch/train.js';
import { inferencePlanFor, openExecutor } from '../src/launch/infer.js';
import { Executor } from '../src/runtime/executor.js';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePlan } from '../src/codegen/plan.js';
import { compileTrainPlan } from '../src/codegen/train-plan.js';
import { knobsKey, tuningCandidates } from '../src/codegen/schedule/candidates.js';
import { scheduleTarget } from '../src/codegen/schedule/scheduler.js';
import { parseSignatureKey } from '../src/codegen/schedule/signature.js';
import type { TunedSchedule } from '../src/codegen/schedule/tuned.js';
import type { DispatchSchedule } from '../src/codegen/schedule/types.js';
import { cacheEntries } from '../src/cli/tune-report.js';
import { loadNetworksFromText, lowerNetwork } from '../src/driver.js';
import { tuneSchedules } from '../src/launch/tune/index.js';
import { inputFor, relError, useGpu, weightsFor } from './gpu-fixtures.js';
import { validateJson } from './json-schema.js';
import { hrn } from './run-cli.js';
import { TINY_SOURCE, writeTinyMnist } from './tiny-mnist.js';
import { TUNE_SOURCE as SOURCE } from './tune-fixtures.js';

const graph = lowerNetwork(loadNetworksFromText('tiny.hrn', SOURCE, new Map(), { set: [] }).networks[0]);

const root = mkdtempSync(join(tmpdir(), 'hrn-tune-'));
const file = join(root, 'tiny.hrn');
const cacheDir = join(root, 'cache');
const savedEnv = process.env.HRN_CACHE_DIR;
beforeAll(() => {
  writeFileSync(file, SOURCE);
  process.env.HRN_CACHE_DIR = cacheDir;
});
afterAll(() => {
  if (savedEnv === undefined) delete process.env.HRN_CACHE_DIR;
  else process.env.HRN_CACHE_DIR = savedEnv;
  rmSync(root, { recursive: true, force: true });
});

const gpu = useGpu();

interface CompiledJson {
  networks: { dispatches: { schedule?: { from: string; signature?: string } }[] }[];
}

describe('hrn tune, then compile', () => {
  let tuneDoc: { cache: string; written: number; networks: { signatures: { signature: string; defaultMs: number | null; winnerMs: number | null; winner: object | null }[] }[] };

  it('times candidates within --budget, prints one --json document valid against tune.schema.json, and caches the winners', { timeout: 120_000 }, async () => {
    const t0 = performance.now();
    const r = await hrn('tune', file, '--batch', '2', '--budget', '6', '--reps', '2', '--json');
    const seconds = (performance.now() - t0) / 1000;
    expect(r.code, r.err).toBe(0);
    tuneDoc = JSON.parse(r.out);
    expect(validateJson('tune', tuneDoc)).toEqual([]);
    // The budget bounds the search; a candidate under way when it runs out is finished.
    expect(seconds).toBeLessThan(60);
    expect(tuneDoc.written).toBeGreaterThan(0);
    expect(readdirSync(cacheDir)).toEqual([tuneDoc.cache.slice(cacheDir.length + 1)]);
    const measured = tuneDoc.networks[0].signatures.filter((s) => s.winner !== null);
    expect(measured).toHaveLength(tuneDoc.written);
    for (const s of measured) expect(s.winnerMs!).toBeLessThanOrEqual(s.defaultMs!);
    const cached = JSON.parse(readFileSync(tuneDoc.cache, 'utf8'));
    expect(Object.keys(cached.entries).sort()).toEqual(measured.map((s) => s.signature).sort());
  });

  it('compile for the adapter takes the tuned schedules (--debug and --json say so); --no-tune-cache does not', { timeout: 60_000 }, async () => {
    const measured = tuneDoc.networks[0].signatures.filter((s) => s.winner !== null).map((s) => s.signature);
    const debug = await hrn('compile', file, '--batch', '2', '--adapter', '0', '--debug');
    expect(debug.code, debug.err).toBe(0);
    expect(debug.out + debug.err).toMatch(/schedule conv .*\(tuned\)/);

    const json = await hrn('compile', file, '--batch', '2', '--adapter', '0', '--json');
    expect(json.code, json.err).toBe(0);
    const doc = JSON.parse(json.out) as CompiledJson;
    expect(validateJson('compile', doc)).toEqual([]);
    const scheduled = doc.networks[0].dispatches.filter((d) => d.schedule?.signature !== undefined);
    const tunedSigs = new Set(scheduled.filter((d) => d.schedule!.from === 'tuned').map((d) => d.schedule!.signature));
    expect([...tunedSigs].sort()).toEqual([...new Set(measured)].sort());

    const off = await hrn('compile', file, '--batch', '2', '--adapter', '0', '--no-tune-cache', '--json');
    expect(off.code, off.err).toBe(0);
    expect((JSON.parse(off.out) as CompiledJson).networks[0].dispatches.some((d) => d.schedule?.from === 'tuned')).toBe(false);
  });

  it('prints a table of default and winner times per signature when not --json', { timeout: 120_000 }, async () => {
    const r = await hrn('tune', file, '--batch', '2', '--budget', '3', '--reps', '1');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/signature +layers +timed +default ms +winner ms +speed-up +winner/);
    expect(r.out).toMatch(/conv b2 3x8x8>4x8x8 k3 s1 p1 g1 sg\d+ +1 +\d+\/\d+/);
    expect(r.out).toMatch(/wrote \d+ tuned schedules? to /);
  });

  it('a damaged cache is one warning line of the command that reads it, and compile goes on with the profile', { timeout: 60_000 }, async () => {
    const path = tuneDoc.cache;
    const good = readFileSync(path);
    try {
      writeFileSync(path, good.subarray(0, good.length >> 1));
      const r = await hrn('compile', file, '--batch', '2', '--adapter', '0', '--json');
      expect(r.code, r.err).toBe(0);
      const warnings = r.err.split('\n').filter((l) => l.includes('warning'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^hrn compile: warning: ignoring the tuning cache .*: it is not JSON/);
      expect((JSON.parse(r.out) as CompiledJson).networks[0].dispatches.some((d) => d.schedule?.from === 'tuned')).toBe(false);
    } finally {
      writeFileSync(path, good);
    }
  });

  it('--budget must be a positive number of seconds', async () => {
    for (const b of ['0', '-3', 'soon']) {
      const r = await hrn('tune', file, '--budget', b);
      expect(r.code).toBe(2);
      expect(r.err.split('\n')[0]).toMatch(/^hrn (tune: )?.*--budget/);
    }
    expect(readdirSync(cacheDir)).toHaveLength(1);
  });
});

describe('correctness before speed', () => {
  it('a candidate that is fast because it skips its work is rejected and never cached', { timeout: 120_000 }, async () => {
    const sigKey = compilePlan(graph, { batch: 2, subgroupSize: gpu().subgroupSize, limits: gpu().limits, profile: 'cpu' }).schedules.find((s) => s.schedule.family === 'conv')!.signature;
    const sig = parseSignatureKey(sigKey)!;
    const list = tuningCandidates(sig, 'cpu', scheduleTarget(gpu().subgroupSize, gpu().limits));
    const broken = list[list.length - 1];
    const result = await tuneSchedules(gpu(), {
      graph,
      mode: 'inference',
      batch: 2,
      profile: 'cpu',
      budgetMs: 60_000,
      reps: 1,
      // Only the signature under test, with only the profiles' choices and the broken candidate, which
      // returns at once (behind a condition on the workgroup, uniform as the subgroup operations after it
      // need, so that the shader compiler has no unreachable code to warn of).
      candidates: (s) => (s.family === 'conv' && JSON.stringify(s) === JSON.stringify(sig) ? [broken] : []),
      editKernel: (_s, knobs, wgsl) => (knobsKey(sig.family, knobs) === knobsKey(sig.family, broken) ? wgsl.replace(/(fn main\([^)]*\)[^{]*\{)/, '$1\n  if (wid.x < 0xffffffffu) { return; }') : wgsl),
    });
    const s = result.signatures.find((x) => x.key === sigKey)!;
    // The profile's choice, the other profile's, and the broken one.
    expect(s.tried).toBe(s.candidates);
    expect(s.rejected.map((r) => knobsKey(s.family, r.knobs))).toEqual([knobsKey(s.family, broken)]);
    expect(s.rejected[0].why).toMatch(/differs from the profile choice/);
    expect(knobsKey(s.family, s.best!.knobs)).not.toBe(knobsKey(s.family, broken));
    const entries = cacheEntries(result, { mode: 'inference', network: 'Tiny' }, new Date());
    expect(knobsKey(s.family, entries[sigKey].knobs)).not.toBe(knobsKey(s.family, broken));
  });
});

/** For every signature of `schedules`, a candidate other than its profile's choice that the plan `compile` accepts. */
function otherSchedules(schedules: readonly DispatchSchedule[], compile: (t: Map<string, TunedSchedule>) => { schedules: readonly DispatchSchedule[] }): Map<string, TunedSchedule> {
  const target = scheduleTarget(gpu().subgroupSize, gpu().limits);
  const tuned = new Map<string, TunedSchedule>();
  for (const key of new Set(schedules.map((s) => s.signature))) {
    const sig = parseSignatureKey(key);
    if (!sig) continue;
    const list = tuningCandidates(sig, 'cpu', target).slice(1).reverse();
    for (const knobs of list) {
      const next = new Map(tuned).set(key, { family: sig.family, knobs, profile: 'cpu' } as TunedSchedule);
      try {
        compile(next);
      } catch {
        continue;
      }
      tuned.set(key, next.get(key)!);
      break;
    }
  }
  return tuned;
}

describe('a tuned plan computes what the default plan computes', () => {
  it('inference: the same logits', { timeout: 120_000 }, async () => {
    const ctx = gpu();
    const opts = { batch: 2, subgroupSize: ctx.subgroupSize, limits: ctx.limits, profile: 'cpu' as const };
    const plain = compilePlan(graph, opts);
    const tuned = otherSchedules(plain.schedules, (t) => compilePlan(graph, { ...opts, tuned: t }));
    const plan = compilePlan(graph, { ...opts, tuned });
    const changed = plan.schedules.filter((s, i) => s.from === 'tuned' && JSON.stringify(s.schedule) !== JSON.stringify(plain.schedules[i]?.schedule));
    expect(changed.length).toBeGreaterThan(0);
    const w = weightsFor(graph, 3);
    const x = inputFor(graph, 2, 4);
    const a = await openExecutor(ctx, graph, w, { batch: 2, profile: 'cpu' });
    const bPlan = inferencePlanFor(ctx, graph, { batch: 2, profile: 'cpu', tuned });
    const b = await Executor.create(ctx, bPlan.program, w);
    try {
      expect(bPlan.schedules.some((s) => s.from === 'tuned')).toBe(true);
      expect(relError(await b.run(x), await a.run(x))).toBeLessThan(1e-4);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('training: the same weights after a step', { timeout: 120_000 }, async () => {
    const ctx = gpu();
    const batch = 2;
    const opts = { batch, subgroupSize: ctx.subgroupSize, limits: ctx.limits, profile: 'cpu' as const };
    const plain = compileTrainPlan(graph, opts);
    const tuned = otherSchedules(plain.schedules, (t) => compileTrainPlan(graph, { ...opts, tuned: t }));
    const families = new Set([...tuned.values()].map((t) => t.family));
    expect([...families].sort()).toEqual(expect.arrayContaining(['conv', 'conv_dw', 'conv_dx', 'elementwise', 'reduction']));
    const w = weightsFor(graph, 5);
    const x = inputFor(graph, batch, 6);
    const labels = [1, 7];
    const after = async (t?: Map<string, TunedSchedule>) => {
      const tr = await openTrainer(ctx, graph, w, { batch, profile: 'cpu', ...(t ? { tuned: t } : {}) });
      try {
        await tr.step(x, labels, 0.1);
        await tr.flush();
        return await tr.readWeights();
      } finally {
        tr.dispose();
      }
    };
    const a = await after();
    const b = await after(tuned);
    for (const [name, value] of a) expect(relError(b.get(name)!.data, value.data), name).toBeLessThan(1e-4);
  });
});

describe('hrn train and hrn infer take the tuned schedules of their device', () => {
  it('train (--debug shows them) and infer say they use the cache; --no-tune-cache leaves it out', { timeout: 300_000 }, async () => {
    const dir = join(root, 'mnist');
    mkdirSync(dir);
    writeTinyMnist(dir, 32);
    const net = join(dir, 'tiny.hrn');
    writeFileSync(net, TINY_SOURCE);
    const data = `mnist:${dir}`;
    for (const args of [['--train', '--batch', '16'], ['--batch', '8']]) {
      const r = await hrn('tune', net, ...args, '--budget', '3', '--reps', '1');
      expect(r.code, r.err).toBe(0);
    }
    const uses = /tuned schedules for \d+ kernel signatures? where the plan has them/;
    const run = join(root, 'run');
    const train = await hrn('train', net, '--data', data, '--batch', '16', '--epochs', '1', '--no-augment', '--out', run, '--debug');
    expect(train.code, train.err).toBe(0);
    expect(train.out).toMatch(uses);
    // Which signatures a 3-second search reaches depends on the machine's load; some always are.
    expect(train.out + train.err).toMatch(/schedule \w+ .*\(tuned\)/);
    const plain = await hrn('train', net, '--data', data, '--batch', '16', '--epochs', '1', '--no-augment', '--out', join(root, 'run-plain'), '--no-tune-cache', '--debug');
    expect(plain.code, plain.err).toBe(0);
    expect(plain.out).not.toMatch(uses);
    expect(plain.out + plain.err).not.toContain('(tuned)');

    const infer = await hrn('infer', '--weights', run, '--data', data, '--batch', '8');
    expect(infer.code, infer.err).toBe(0);
    expect(infer.out).toMatch(uses);
    const inferPlain = await hrn('infer', '--weights', run, '--data', data, '--batch', '8', '--no-tune-cache');
    expect(inferPlain.code, inferPlain.err).toBe(0);
    expect(inferPlain.out).not.toMatch(uses);
  });
});
