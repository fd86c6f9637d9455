// The tuning cache: what `hrn tune` measured, one JSON file per device under $XDG_CACHE_HOME/hrn
// (~/.cache/hrn; HRN_CACHE_DIR names the directory instead). A file is keyed by the adapter (its
// vendor, architecture, device and description, and the driver version where Dawn gives one), the
// hrn version and the schedule-format version: its name carries a hash of that key, its contents
// the key itself, so a file read for one device, version or format is never used for another.
// It maps kernel signatures to schedules, with when and how each was measured.
//
// Readers are tolerant: a file that cannot be read, is not JSON, or was written for another key
// gives one warning line and is ignored. Writers merge: under a lock beside the file they read
// what is there, add their entries (newer measurements replace older ones of the same signature)
// and replace the file atomically, so two tune runs at once both keep their results.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { isCandidate } from '../codegen/schedule/candidates.js';
import { parseSignatureKey } from '../codegen/schedule/signature.js';
import { parseTunedSchedule, SCHEDULE_FORMAT_VERSION, type TunedSchedule, type TunedSchedules } from '../codegen/schedule/tuned.js';
import { scheduleTarget } from '../codegen/schedule/scheduler.js';
import type { ScheduleTarget } from '../codegen/schedule/types.js';
import { workgroupMultiple } from '../codegen/schedule/workgroup.js';
import { canonicalJson } from '../util/canonical-json.js';
import { DirLockedError, lockDir, type DirLock } from '../util/dir-lock.js';
import { writeFileAtomic } from '../util/durable-fs.js';

export const CACHE_FORMAT = 'hrn-tune-cache';

/** The adapter as Dawn describes it; `driver` only where its adapter info has a driver version. */
export interface CacheAdapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  driver?: string;
}

/** What a cache file is for: one adapter, one hrn version, one schedule format. */
export interface CacheKey {
  adapter: CacheAdapter;
  hrn: string;
  scheduleFormat: number;
}

/** How an entry was measured. */
export interface Measurement {
  /** When (ISO 8601). */
  at: string;
  /** The plan it was tuned in, and its batch (also part of the signature). */
  mode: 'inference' | 'training';
  network: string;
  /** Timed samples (the fastest is `ms`), and how many of the signature's candidates were timed. */
  reps: number;
  tried: number;
  candidates: number;
}

/** A tuned schedule with its measurement: milliseconds per run of the winner and of the profile's own choice. */
export type CacheEntry = TunedSchedule & { ms: number; profileMs: number; measured: Measurement };

export interface CacheFile {
  format: typeof CACHE_FORMAT;
  key: CacheKey;
  entries: Record<string, CacheEntry>;
}

/** The cache key of an adapter for this hrn. */
export function cacheKey(info: Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'>, hrn: string): CacheKey {
  const adapter: CacheAdapter = { vendor: info.vendor ?? '', architecture: info.architecture ?? '', device: info.device ?? '', description: info.description ?? '' };
  const driver = (info as { driverVersion?: unknown }).driverVersion;
  if (typeof driver === 'string' && driver !== '') adapter.driver = driver;
  return { adapter, hrn, scheduleFormat: SCHEDULE_FORMAT_VERSION };
}

/** The cache directory: HRN_CACHE_DIR, else $XDG_CACHE_HOME/hrn (an absolute XDG_CACHE_HOME only, as the XDG spec says), else HOME/.cache/hrn. */
export function tuneCacheDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  if (env.HRN_CACHE_DIR) return resolve(env.HRN_CACHE_DIR);
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(home, '.cache'), 'hrn');
}

/** The file of `key` in `dir`: a readable stem from the device's name and a hash of the whole key. */
export function tuneCachePath(dir: string, key: CacheKey): string {
  const name = (key.adapter.device || key.adapter.description || key.adapter.vendor || 'adapter').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'adapter';
  const hash = createHash('sha256').update(canonicalJson(key)).digest('hex').slice(0, 16);
  return join(dir, `tune-${name}-${hash}.json`);
}

/** A reason the contents cannot be used, or the parsed file. */
function parseCacheFile(text: string, key: CacheKey): CacheFile | string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return 'it is not JSON (damaged)';
  }
  const d = doc as Partial<CacheFile> | null;
  if (typeof d !== 'object' || d === null || d.format !== CACHE_FORMAT) return `it is not an hrn tuning cache (format ${JSON.stringify(d?.format)})`;
  if (canonicalJson(d.key) !== canonicalJson(key)) {
    const k = d.key as Partial<CacheKey> | undefined;
    if (k?.hrn !== key.hrn || k?.scheduleFormat !== key.scheduleFormat) return `it was written by hrn ${String(k?.hrn)} (schedule format ${String(k?.scheduleFormat)}), this is hrn ${key.hrn} (format ${key.scheduleFormat})`;
    return 'it was written for another adapter';
  }
  if (typeof d.entries !== 'object' || d.entries === null || Array.isArray(d.entries)) return 'it has no entries (damaged)';
  for (const [sig, e] of Object.entries(d.entries)) {
    const m = (e as Partial<CacheEntry>).measured;
    const ok = parseTunedSchedule(sig, e) !== undefined && typeof e.ms === 'number' && typeof e.profileMs === 'number' && typeof m === 'object' && m !== null;
    if (!ok) return `its entry for '${sig}' is damaged`;
  }
  return d as CacheFile;
}

export interface LoadedCache {
  path: string;
  file: CacheFile;
}

/** The cache file of `key` in `dir`: undefined when there is none, or (with a warning to `warn`) when it cannot be used. */
export function readTuneCache(dir: string, key: CacheKey, warn: (line: string) => void): LoadedCache | undefined {
  const path = tuneCachePath(dir, key);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') warn(`ignoring the tuning cache ${path}: it cannot be read (${code ?? (e as Error).message})`);
    return undefined;
  }
  const parsed = parseCacheFile(text, key);
  if (typeof parsed === 'string') {
    warn(`ignoring the tuning cache ${path}: ${parsed}; run hrn tune again to replace it`);
    return undefined;
  }
  return { path, file: parsed };
}

/**
 * The tuned schedules of a cache for plans on a device with these limits: the entries that are
 * schedules hrn tune could have measured for their signature there (anything else means the file
 * was edited or damaged: one warning, and none of it is used).
 */
export function tunedSchedulesOf(
  cache: LoadedCache,
  device: { subgroupSize: number; subgroupMaxSize?: number; limits: { maxComputeInvocationsPerWorkgroup: number; maxStorageBufferBindingSize: number; maxBufferSize: number } },
  warn: (line: string) => void,
): TunedSchedules {
  const out = new Map<string, TunedSchedule>();
  for (const [key, e] of Object.entries(cache.file.entries)) {
    const sig = parseSignatureKey(key);
    const tuned = parseTunedSchedule(key, e);
    const sg = sig && (sig.family === 'conv' || sig.family === 'conv_dx' || sig.family === 'conv_dw') ? sig.sg : device.subgroupSize;
    // gpu-profile schedules were measured with workgroups rounded to the adapter's largest subgroup
    const target: ScheduleTarget = scheduleTarget(sg, device.limits, workgroupMultiple('gpu', device.subgroupMaxSize || undefined));
    if (!sig || !tuned || !isCandidate(sig, tuned, target)) {
      warn(`ignoring the tuning cache ${cache.path}: its schedule for '${key}' is not one hrn tune measures on this device; run hrn tune again to replace it`);
      return new Map();
    }
    out.set(key, tuned);
  }
  return out;
}

/** How long a writer waits for another one's lock, and how old a lock may be before it is stale. */
const LOCK_WAIT_MS = 30_000;
const LOCK_STALE_MS = 60_000;

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Takes the cache file's lock, waiting while another writer holds it. */
function lockCache(dir: string, path: string): DirLock {
  const name = `${path.slice(dir.length + 1)}.lock`;
  const until = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      return lockDir(dir, { name, what: 'hrn tune', staleMs: LOCK_STALE_MS });
    } catch (e) {
      if (!(e instanceof DirLockedError) || Date.now() > until) throw e;
      sleep(50 + Math.random() * 100);
    }
  }
}

/**
 * Adds `entries` to the cache file of `key` in `dir` (created with the directory if need be) and
 * returns its path: the file as it is now, read under the lock, merged, replaced atomically. A file
 * there that cannot be used is replaced (after a warning to `warn`).
 */
export function writeTuneCache(dir: string, key: CacheKey, entries: Record<string, CacheEntry>, warn: (line: string) => void): string {
  mkdirSync(dir, { recursive: true });
  const path = tuneCachePath(dir, key);
  const lock = lockCache(dir, path);
  try {
    const now = readTuneCache(dir, key, warn);
    const file: CacheFile = { format: CACHE_FORMAT, key, entries: { ...(now?.file.entries ?? {}), ...entries } };
    const sorted = Object.fromEntries(Object.keys(file.entries).sort().map((k) => [k, file.entries[k]]));
    writeFileAtomic(path, new TextEncoder().encode(`${JSON.stringify({ ...file, entries: sorted }, null, 2)}\n`));
    return path;
  } finally {
    lock.release();
  }
}
