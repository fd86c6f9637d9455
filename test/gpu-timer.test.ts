// Timing by the GPU's timestamp queries where the device has them, by the wall clock otherwise
// (src/runtime/gpu-timer.ts): the profiler, the tuner and `hrn tune` each on both paths, the wall
// clock forced by an option or HRN_TIMESTAMPS=0. Only sanity is checked (positive, finite times,
// the clock named): timings depend on the machine's load.

import { openTrainer } from '../src/launch/train.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNetworksFromText, lowerNetwork } from '../src/driver.js';
import { openDevice } from '../src/runtime/device.js';
import type { GpuContext } from '../src/runtime/gpu-context.js';
import { deviceClock, GpuTimer } from '../src/runtime/gpu-timer.js';
import { Trainer } from '../src/runtime/trainer.js';
import { tuneSchedules } from '../src/launch/tune/index.js';
import { initWeights, Rng } from '../src/weights/weights.js';
import { useGpu } from './gpu-fixtures.js';
import { validateJson } from './json-schema.js';
import { hrn } from './run-cli.js';
import { TUNE_SOURCE as SOURCE } from './tune-fixtures.js';

const graph = lowerNetwork(loadNetworksFromText('tiny.hrn', SOURCE, new Map(), { set: [] }).networks[0]);
const BATCH = 2;

const gpu = useGpu();
let wallOnly: GpuContext | undefined;
const root = mkdtempSync(join(tmpdir(), 'hrn-timer-'));
const savedCache = process.env.HRN_CACHE_DIR;
beforeAll(async () => {
  wallOnly = await openDevice({ timestamps: false });
  process.env.HRN_CACHE_DIR = join(root, 'cache');
});
afterAll(() => {
  wallOnly?.close();
  if (savedCache === undefined) delete process.env.HRN_CACHE_DIR;
  else process.env.HRN_CACHE_DIR = savedCache;
  rmSync(root, { recursive: true, force: true });
});

const sane = (ms: number) => Number.isFinite(ms) && ms > 0;

/** A trainer of the tiny network with one batch loaded (a step), for profiling. */
async function trainer(ctx: GpuContext): Promise<Trainer> {
  const tr = await openTrainer(ctx, graph, initWeights(graph, 1), { batch: BATCH });
  const x = new Rng(3).fillNormal(new Float32Array(BATCH * 3 * 8 * 8), 1);
  await tr.step(x, [1, 2], 0.01);
  return tr;
}

describe('the clock a device times with', () => {
  it('timestamps where the adapter has the feature (lavapipe does), the wall clock on a device opened without', () => {
    const has = gpu().adapter.features.has('timestamp-query');
    expect(gpu().device.features.has('timestamp-query')).toBe(has);
    expect(deviceClock(gpu().device)).toBe(has ? 'timestamp' : 'wall');
    expect(deviceClock(wallOnly!.device)).toBe('wall');
  });

  it('a timed pass: positive and finite by either clock, and named', async () => {
    const run = async (timer: GpuTimer) => {
      try {
        return await timer.time(() => undefined);
      } finally {
        timer.dispose();
      }
    };
    const ts = await run(new GpuTimer(gpu().device));
    expect(ts.clock).toBe(deviceClock(gpu().device));
    expect(Number.isFinite(ts.ms) && ts.ms >= 0).toBe(true);
    expect(sane(ts.wallMs)).toBe(true);
    for (const timer of [new GpuTimer(gpu().device, { timestamps: false }), new GpuTimer(wallOnly!.device)]) {
      const w = await run(timer);
      expect(w.clock).toBe('wall');
      expect(sane(w.ms)).toBe(true);
      expect(w.ms).toBe(w.wallMs);
    }
  });
});

describe('Trainer.profile', () => {
  it('times every dispatch by timestamps where the device has them, by the wall clock when told not to or without them', { timeout: 120_000 }, async () => {
    const cases: Array<[GpuContext, boolean, string]> = [
      [gpu(), true, deviceClock(gpu().device)],
      [gpu(), false, 'wall'],
      [wallOnly!, true, 'wall'],
    ];
    for (const [ctx, timestamps, clock] of cases) {
      const tr = await trainer(ctx);
      try {
        const prof = await tr.profile(2, undefined, undefined, timestamps);
        expect(prof.length).toBe(tr.program.dispatches.length);
        for (const p of prof) {
          expect(p.clock, p.label).toBe(clock);
          expect(sane(p.ms), `${p.label}: ${p.ms} ms`).toBe(true);
        }
      } finally {
        tr.dispose();
      }
    }
  });
});

describe('the tuner', () => {
  it('says which clock timed its candidates; their times are positive and finite', { timeout: 180_000 }, async () => {
    for (const [ctx, timestamps, clock] of [
      [gpu(), true, deviceClock(gpu().device)],
      [gpu(), false, 'wall'],
    ] as const) {
      const r = await tuneSchedules(ctx, { graph, mode: 'inference', batch: BATCH, budgetMs: 1500, reps: 1, timestamps });
      expect(r.clock).toBe(clock);
      const measured = r.signatures.filter((s) => s.baseline !== undefined);
      expect(measured.length).toBeGreaterThan(0);
      for (const s of measured) expect(sane(s.baseline!.ms) && sane(s.best!.ms), s.key).toBe(true);
    }
  });

  it('hrn tune names the clock in its report and --json; HRN_TIMESTAMPS=0 makes it the wall clock', { timeout: 180_000 }, async () => {
    const file = join(root, 'tiny.hrn');
    writeFileSync(file, SOURCE);
    const saved = process.env.HRN_TIMESTAMPS;
    const tune = async (env: string | undefined) => {
      if (env === undefined) delete process.env.HRN_TIMESTAMPS;
      else process.env.HRN_TIMESTAMPS = env;
      try {
        const r = await hrn('tune', file, '--batch', '2', '--budget', '2', '--reps', '1', '--json');
        expect(r.code, r.err).toBe(0);
        const doc = JSON.parse(r.out) as { networks: { clock: string }[] };
        expect(validateJson('tune', doc)).toEqual([]);
        return doc.networks[0].clock;
      } finally {
        if (saved === undefined) delete process.env.HRN_TIMESTAMPS;
        else process.env.HRN_TIMESTAMPS = saved;
      }
    };
    expect(await tune(undefined)).toBe(deviceClock(gpu().device));
    expect(await tune('0')).toBe('wall');
    const text = await hrn('tune', file, '--batch', '2', '--budget', '2', '--reps', '1');
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(deviceClock(gpu().device) === 'timestamp' ? /timed \d+ of \d+ candidates \(by GPU timestamps\)/ : /\(by the wall clock\)/);
  });
});
