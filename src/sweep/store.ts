// A sweep's results on disk, one directory per run under the runs directory:
//
//   RUNS/sweep.json          the spec and its runs (rewritten at each start)
//   RUNS/ID/run.json         the run's configuration and counts
//   RUNS/ID/checkpoint/      the training checkpoint (src/train/checkpoint.ts), train.jsonl the log
//   RUNS/ID/result.json      written once, atomically, when the run has finished: it marks it done
//                            (one that cannot be read or lacks a field is a RunStoreError naming it)
//   RUNS/ID/error.json       why a run failed (a bad configuration); removed when it succeeds later
//
// Every file is replaced atomically, so an interrupted sweep leaves complete files only. A report
// reads the runs of a directory at any depth (several sweeps' runs directories under one folder).

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { legacyRunId } from './expand.js';
import type { MetricsRecord } from '../train/checkpoint.js';
import { writeFileAtomic } from '../util/durable-fs.js';
import type { RunConfig, RunCounts } from './expand.js';
import type { SweepSpec } from './spec.js';

export const SWEEP_FILE = 'sweep.json';
export const RUN_FILE = 'run.json';
export const RESULT_FILE = 'result.json';
export const ERROR_FILE = 'error.json';

export interface RunResult extends RunCounts {
  id: string;
  label: string;
  network: string;
  set: string[];
  pipeline: string | null;
  seed: number;
  data: string;
  epochs: number;
  /** Per epoch: loss, train and test accuracy, lr, seconds. */
  history: MetricsRecord[];
  /** Test accuracy after the last epoch (null when there is no test split). */
  testAccuracy: number | null;
  /** Validation accuracy after the last epoch (null, or absent in older results, without --val-split). */
  valAccuracy?: number | null;
  /** Seconds from the run's start to its end, over every attempt. */
  wallSeconds: number;
  checkpoint: string;
  finishedAt: string;
  /** Which process trained it (host:pid), for queue runs. */
  by: string;
  /** Set when an early-stopping rule ended the run before its last epoch (src/sweep/early-stop.ts). */
  stopped?: EarlyStop;
}

/** Why a run was stopped early: the rule, the epoch it stopped after, and the comparison in words. */
export interface EarlyStop {
  rule: string;
  epoch: number;
  reason: string;
}

export interface RunError {
  id: string;
  label: string;
  error: string;
  at: string;
  by: string;
}

// ---- reading a result back: a damaged result.json (a copy cut short, a disk error, an edit; the
// sweep itself writes it atomically) is reported with its name and what is wrong with it.

/** A run file that cannot be used, with what is wrong with it. */
export class RunStoreError extends Error {
  override name = 'RunStoreError';
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

type Check = (v: unknown) => boolean;
const isString: Check = (v) => typeof v === 'string';
const isNumber: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const orNull = (c: Check): Check => (v) => v === null || c(v);
const arrayOf = (c: Check): Check => (v) => Array.isArray(v) && v.every(c);
const recordOf = (c: Check): Check => (v) => isObject(v) && Object.values(v).every(c);

/** The fields that the report and the sweeps read, and what each must be. */
const FIELDS: Record<string, { check: Check; what: string }> = {
  id: { check: isString, what: 'a string' },
  label: { check: isString, what: 'a string' },
  network: { check: isString, what: 'a string' },
  set: { check: arrayOf(isString), what: 'a list of strings' },
  pipeline: { check: orNull(isString), what: 'a string or null' },
  seed: { check: isNumber, what: 'a number' },
  epochs: { check: isNumber, what: 'a number' },
  relus: { check: isNumber, what: 'a number' },
  flops: { check: isNumber, what: 'a number' },
  params: { check: isNumber, what: 'a number' },
  reluStages: { check: recordOf(isNumber), what: 'an object of numbers' },
  history: { check: arrayOf(recordOf((v) => v === null || isString(v) || isNumber(v))), what: 'a list of per-epoch records' },
  testAccuracy: { check: orNull(isNumber), what: 'a number or null' },
  wallSeconds: { check: isNumber, what: 'a number' },
  checkpoint: { check: isString, what: 'a string' },
};

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)?.slice(0, 40)}`;
}

/** The result in `file`, checked; a RunStoreError says what is wrong. */
export function readRunResult(file: string): RunResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new RunStoreError(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const cut = text.trim() === '' ? 'empty' : `not valid JSON (${(e as Error).message})`;
    throw new RunStoreError(file, `${cut}: a damaged or partly written result; delete it to train the run again`);
  }
  if (!isObject(value)) throw new RunStoreError(file, `expected a JSON object, found ${describe(value)}`);
  for (const [name, f] of Object.entries(FIELDS)) {
    if (!(name in value)) throw new RunStoreError(file, `field '${name}' is missing`);
    if (!f.check(value[name])) throw new RunStoreError(file, `field '${name}' should be ${f.what}, found ${describe(value[name])}`);
  }
  // Results written before --val-split existed have no validation accuracy.
  if ('valAccuracy' in value && !orNull(isNumber)(value.valAccuracy)) throw new RunStoreError(file, `field 'valAccuracy' should be a number or null, found ${describe(value.valAccuracy)}`);
  if ('stopped' in value && !isEarlyStop(value.stopped)) throw new RunStoreError(file, `field 'stopped' should be an object with rule, epoch and reason, found ${describe(value.stopped)}`);
  return value as unknown as RunResult;
}

function isEarlyStop(v: unknown): v is EarlyStop {
  return isObject(v) && isString(v.rule) && isNumber(v.epoch) && isString(v.reason);
}

/** How deep `hrn report` looks for runs below the directory it is given. */
const MAX_DEPTH = 16;

/** A directory that holds a run's files. */
const isRunDir = (dir: string) => [RESULT_FILE, ERROR_FILE, RUN_FILE].some((f) => existsSync(join(dir, f)));

function writeJson(path: string, value: unknown): void {
  writeFileAtomic(path, new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`));
}

function readJson<T>(path: string): T | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
}

export class RunStore {
  /** Where each run was found below the directory, by id (read by a report; see scan). */
  private found: Map<string, string> | undefined;

  constructor(readonly dir: string) {}

  runDir(id: string): string {
    return this.found?.get(id) ?? join(this.dir, id);
  }

  /**
   * Runs planned before run ids showed the seed keep the id they have on disk, so that a runs
   * directory made then is resumed, not trained again: a run whose directory is not there but whose
   * old-style id's is takes that id (in `runs`, in place). Returns how many did.
   */
  adoptLegacyIds(runs: RunConfig[]): number {
    let adopted = 0;
    for (const r of runs) {
      const old = legacyRunId(r);
      if (old === r.id || existsSync(this.runDir(r.id)) || !existsSync(this.runDir(old))) continue;
      r.id = old;
      adopted++;
    }
    return adopted;
  }

  /**
   * The run directories below this one, at any depth (a folder of runs directories is reported
   * whole), by id; a run directory's own folders are not searched, and symbolic links are not
   * followed. An id found twice (one run in two folders) is read from the first in name order.
   */
  private scan(): Map<string, string> {
    if (this.found) return this.found;
    const found = new Map<string, string>();
    const walk = (dir: string, depth: number) => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const d of entries.filter((x) => x.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const path = join(dir, d.name);
        if (isRunDir(path)) {
          if (!found.has(d.name)) found.set(d.name, path);
        } else if (depth < MAX_DEPTH) walk(path, depth + 1);
      }
    };
    if (existsSync(this.dir)) walk(this.dir, 1);
    this.found = found;
    return found;
  }

  writeSweep(spec: SweepSpec, runs: RunConfig[]): void {
    mkdirSync(this.dir, { recursive: true });
    writeJson(join(this.dir, SWEEP_FILE), { spec, runs: runs.map((r) => r.id) });
    for (const r of runs) {
      mkdirSync(this.runDir(r.id), { recursive: true });
      writeJson(join(this.runDir(r.id), RUN_FILE), r);
    }
  }

  /** The run's result, undefined when it has none yet; a damaged result.json is a RunStoreError. */
  result(id: string): RunResult | undefined {
    const file = join(this.runDir(id), RESULT_FILE);
    return existsSync(file) ? readRunResult(file) : undefined;
  }

  error(id: string): RunError | undefined {
    return readJson<RunError>(join(this.runDir(id), ERROR_FILE));
  }

  /** The run's configuration as the sweep planned it (run.json); undefined when missing or unreadable. */
  config(id: string): RunConfig | undefined {
    try {
      return readJson<RunConfig>(join(this.runDir(id), RUN_FILE));
    } catch {
      return undefined;
    }
  }

  /** The runs that failed and have not finished since (an error.json and no result.json), at any depth, in id order; unreadable ones skipped. */
  failures(): RunError[] {
    const out: RunError[] = [];
    for (const id of [...this.scan().keys()].sort()) {
      if (existsSync(join(this.runDir(id), RESULT_FILE))) continue;
      try {
        const e = this.error(id);
        if (e && typeof e.error === 'string') out.push({ ...e, id, label: typeof e.label === 'string' ? e.label : id });
      } catch {
        // an error.json cut short says nothing readable about the failure
      }
    }
    return out;
  }

  writeResult(r: RunResult): void {
    mkdirSync(this.runDir(r.id), { recursive: true });
    writeJson(join(this.runDir(r.id), RESULT_FILE), r);
    rmSync(join(this.runDir(r.id), ERROR_FILE), { force: true });
  }

  writeError(e: RunError): void {
    mkdirSync(this.runDir(e.id), { recursive: true });
    writeJson(join(this.runDir(e.id), ERROR_FILE), e);
  }

  /**
   * Every finished run below the directory, at any depth, in id order (for reports), and the
   * result files that could not be used, each with what is wrong with it.
   */
  results(): { results: RunResult[]; problems: RunStoreError[] } {
    const results: RunResult[] = [];
    const problems: RunStoreError[] = [];
    for (const id of this.scan().keys()) {
      try {
        const r = this.result(id);
        if (r !== undefined) results.push(r);
      } catch (e) {
        if (!(e instanceof RunStoreError)) throw e;
        problems.push(e);
      }
    }
    results.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    problems.sort((a, b) => (a.file < b.file ? -1 : 1));
    return { results, problems };
  }
}
