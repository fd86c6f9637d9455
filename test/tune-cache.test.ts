// The tuning cache (src/cli/tune-cache.ts) without a device: where it lives, what keeps one
// adapter's, driver's or signature's results from another's, how a damaged or foreign file is
// treated, and that writing it never leaves a half-written file where a reader looks.

import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compilePlan } from '../src/codegen/plan.js';
import { knobsKey, tuningCandidates } from '../src/codegen/schedule/candidates.js';
import { scheduleTarget } from '../src/codegen/schedule/scheduler.js';
import { parseSignatureKey } from '../src/codegen/schedule/signature.js';
import { SCHEDULE_FORMAT_VERSION, type TunedSchedule } from '../src/codegen/schedule/tuned.js';
import { cacheKey, readTuneCache, tuneCacheDir, tuneCachePath, tunedSchedulesOf, writeTuneCache, type CacheEntry } from '../src/cli/tune-cache.js';
import { lowerNetwork, loadNetworksFromText } from '../src/driver.js';
import { TUNE_SOURCE as SOURCE } from './tune-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'hrn-tune-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `c${n++}`);

const LAVAPIPE = { vendor: 'mesa', architecture: '', device: 'llvmpipe', description: 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)' };
const keyOf = (info: object, hrn = '1.0.0') => cacheKey(info as GPUAdapterInfo, hrn);

const graph = lowerNetwork(loadNetworksFromText('tiny.hrn', SOURCE, new Map(), { set: [] }).networks[0]);
const LIMITS = { maxComputeInvocationsPerWorkgroup: 256, maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 28, maxComputeWorkgroupsPerDimension: 65535 };
const device = { subgroupSize: 8, limits: LIMITS };
const planOf = (tuned?: ReadonlyMap<string, TunedSchedule>) =>
  compilePlan(graph, { batch: 2, subgroupSize: 8, limits: LIMITS as never, profile: 'cpu', ...(tuned ? { tuned } : {}) });

/** A cache entry for `signature` with a candidate other than the cpu profile's choice. */
function otherEntry(signature: string): CacheEntry {
  const sig = parseSignatureKey(signature)!;
  const list = tuningCandidates(sig, 'cpu', scheduleTarget(8, LIMITS as never));
  const measured = { at: new Date(0).toISOString(), mode: 'inference' as const, network: 'Tiny', reps: 1, tried: list.length, candidates: list.length };
  return { family: sig.family, knobs: list[list.length - 1], profile: 'cpu', ms: 1, profileMs: 2, measured } as CacheEntry;
}

describe('where the cache lives', () => {
  it('HRN_CACHE_DIR wins, then an absolute XDG_CACHE_HOME/hrn, then HOME/.cache/hrn', () => {
    expect(tuneCacheDir({ HRN_CACHE_DIR: '/x/mine', XDG_CACHE_HOME: '/xdg' }, '/home/u')).toBe('/x/mine');
    expect(tuneCacheDir({ XDG_CACHE_HOME: '/xdg' }, '/home/u')).toBe('/xdg/hrn');
    expect(tuneCacheDir({}, '/home/u')).toBe('/home/u/.cache/hrn');
    // The XDG spec: a relative XDG_CACHE_HOME is invalid and is ignored; an empty one is unset.
    expect(tuneCacheDir({ XDG_CACHE_HOME: 'rel/dir' }, '/home/u')).toBe('/home/u/.cache/hrn');
    expect(tuneCacheDir({ XDG_CACHE_HOME: '', HRN_CACHE_DIR: '' }, '/home/u')).toBe('/home/u/.cache/hrn');
  });
});

describe('what keeps results apart', () => {
  it('another adapter, driver or hrn version is another file; a file copied to the wrong one is refused', () => {
    const dir = freshDir();
    const sig = planOf().schedules[0].signature;
    const key = keyOf(LAVAPIPE);
    writeTuneCache(dir, key, { [sig]: otherEntry(sig) }, () => {});
    const others = [
      keyOf({ ...LAVAPIPE, device: 'swiftshader', description: 'SwiftShader' }),
      keyOf({ ...LAVAPIPE, driverVersion: '25.1.0' }),
      keyOf({ ...LAVAPIPE, description: 'llvmpipe: Mesa 25.1.0 (LLVM 16.0.0)' }),
      keyOf(LAVAPIPE, '2.0.0'),
    ];
    const paths = new Set([tuneCachePath(dir, key), ...others.map((k) => tuneCachePath(dir, k))]);
    expect(paths.size).toBe(others.length + 1);
    for (const other of others) {
      const warnings: string[] = [];
      expect(readTuneCache(dir, other, (l) => warnings.push(l))).toBeUndefined();
      expect(warnings).toEqual([]);
      // The same contents under the other key's name: its recorded key is not this one.
      copyFileSync(tuneCachePath(dir, key), tuneCachePath(dir, other));
      expect(readTuneCache(dir, other, (l) => warnings.push(l))).toBeUndefined();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/another adapter|written by hrn/);
    }
    expect(readTuneCache(dir, key, () => {})?.file.entries[sig]).toBeDefined();
  });

  it('a tuned schedule goes to the dispatches of its signature only', () => {
    const plain = planOf();
    const first = plain.schedules.find((s) => s.schedule.family === 'conv')!;
    const tuned = new Map([[first.signature, otherEntry(first.signature) as TunedSchedule]]);
    const plan = planOf(tuned);
    const taken = plan.schedules.filter((s) => s.from === 'tuned');
    expect(taken.length).toBeGreaterThan(0);
    expect(taken.every((s) => s.signature === first.signature)).toBe(true);
    expect(plan.schedules.filter((s) => s.signature !== first.signature).map((s) => s.from)).toEqual(plain.schedules.filter((s) => s.signature !== first.signature).map((s) => s.from));
    // The same layer at another batch is another signature: the entry does not reach it.
    const batch4 = compilePlan(graph, { batch: 4, subgroupSize: 8, limits: LIMITS as never, profile: 'cpu', tuned });
    expect(batch4.schedules.some((s) => s.from === 'tuned')).toBe(false);
  });
});

describe('a cache that cannot be used', () => {
  const cases: [string, (path: string, good: string) => string, RegExp][] = [
    ['not JSON', () => '{"format": "hrn-tune-cache", "key":', /not JSON/],
    ['another program', () => '{"hello": 1}', /not an hrn tuning cache/],
    ['another hrn version', (_, good) => good.replace('"hrn": "1.0.0"', '"hrn": "0.9.0"'), /written by hrn 0\.9\.0/],
    ['another schedule format', (_, good) => good.replace(`"scheduleFormat": ${SCHEDULE_FORMAT_VERSION}`, '"scheduleFormat": 99'), /schedule format 99/],
    ['a damaged entry', (_, good) => good.replace('"ms": 1', '"ms": "fast"'), /damaged/],
    ['knobs no candidate has', (_, good) => good.replace(/"wg": \d+/, '"wg": 7'), /not one hrn tune measures/],
  ];
  for (const [what, damage, message] of cases) {
    it(`${what}: one warning line, and nothing of it is used`, () => {
      const dir = freshDir();
      const key = keyOf(LAVAPIPE);
      const sig = planOf().schedules[0].signature;
      const path = writeTuneCache(dir, key, { [sig]: otherEntry(sig) }, () => {});
      writeFileSync(path, damage(path, readFileSync(path, 'utf8')));
      const warnings: string[] = [];
      const warn = (l: string) => warnings.push(l);
      const loaded = readTuneCache(dir, key, warn);
      const tuned = loaded ? tunedSchedulesOf(loaded, device, warn) : new Map();
      expect(tuned.size).toBe(0);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(message);
      expect(warnings[0]).not.toContain('\n');
    });
  }

  it('a damaged file is replaced by the next write, with a warning', () => {
    const dir = freshDir();
    const key = keyOf(LAVAPIPE);
    mkdirSync(dir, { recursive: true });
    writeFileSync(tuneCachePath(dir, key), 'garbage');
    const sig = planOf().schedules[0].signature;
    const warnings: string[] = [];
    writeTuneCache(dir, key, { [sig]: otherEntry(sig) }, (l) => warnings.push(l));
    expect(warnings).toHaveLength(1);
    expect(Object.keys(readTuneCache(dir, key, () => {})!.file.entries)).toEqual([sig]);
  });
});

describe('writing', () => {
  it('replaces the file by a rename: a reader holding the old one still reads it whole, and no temporary file is left', () => {
    const dir = freshDir();
    const key = keyOf(LAVAPIPE);
    const sigs = [...new Set(planOf().schedules.map((s) => s.signature))];
    const path = writeTuneCache(dir, key, { [sigs[0]]: otherEntry(sigs[0]) }, () => {});
    const before = readFileSync(path);
    const inode = statSync(path).ino;
    const fd = openSync(path, 'r');
    try {
      writeTuneCache(dir, key, { [sigs[1]]: otherEntry(sigs[1]) }, () => {});
      const held = Buffer.alloc(before.length + 100);
      const got = readSync(fd, held, 0, held.length, 0);
      expect(held.subarray(0, got).equals(before)).toBe(true);
    } finally {
      closeSync(fd);
    }
    expect(statSync(path).ino).not.toBe(inode);
    expect(readdirSync(dir).filter((f) => f !== path.slice(dir.length + 1))).toEqual([]);
    // Merged: the earlier signature is kept beside the new one.
    expect(Object.keys(readTuneCache(dir, key, () => {})!.file.entries).sort()).toEqual([sigs[0], sigs[1]].sort());
  });

  it('keeps the winners of one signature when another is written, and replaces a signature measured again', () => {
    const dir = freshDir();
    const key = keyOf(LAVAPIPE);
    const sig = planOf().schedules[0].signature;
    const a = otherEntry(sig);
    writeTuneCache(dir, key, { [sig]: a }, () => {});
    const again = { ...a, ms: 0.5 };
    writeTuneCache(dir, key, { [sig]: again }, () => {});
    const e = readTuneCache(dir, key, () => {})!.file.entries[sig];
    expect([e.ms, knobsKey(e.family, e.knobs)]).toEqual([0.5, knobsKey(a.family, a.knobs)]);
  });
});
