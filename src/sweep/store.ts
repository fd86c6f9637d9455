// A sweep's results on disk, one directory per run under the runs directory:
//
//   RUNS/sweep.json          the spec and its runs (rewritten at each start)
//   RUNS/ID/run.json         the run's configuration and counts
//   RUNS/ID/checkpoint/      the training checkpoint (src/train/checkpoint.ts), train.jsonl the log
//   RUNS/ID/result.json      written once, atomically, when the run has finished: it marks it done
//                            (one that cannot be read or lacks a field is a RunStoreError naming it)
//   RUNS/ID/error.json       why a run failed (a bad configuration); removed when it succeeds later
//
// Every file is replaced atomically, so an interrupted sweep leaves complete files only.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
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
  return value as unknown as RunResult;
}

function writeJson(path: string, value: unknown): void {
  writeFileAtomic(path, new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`));
}

function readJson<T>(path: string): T | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
}

export class RunStore {
  constructor(readonly dir: string) {}

  runDir(id: string): string {
    return join(this.dir, id);
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

  /** The runs that failed and have not finished since (an error.json and no result.json), in id order; unreadable ones skipped. */
  failures(): RunError[] {
    if (!existsSync(this.dir)) return [];
    const out: RunError[] = [];
    for (const d of readdirSync(this.dir, { withFileTypes: true }).filter((x) => x.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (existsSync(join(this.runDir(d.name), RESULT_FILE))) continue;
      try {
        const e = this.error(d.name);
        if (e && typeof e.error === 'string') out.push({ ...e, id: d.name, label: typeof e.label === 'string' ? e.label : d.name });
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
   * Every finished run in the directory, in id order (for reports), and the result files that
   * could not be used, each with what is wrong with it.
   */
  results(): { results: RunResult[]; problems: RunStoreError[] } {
    if (!existsSync(this.dir)) return { results: [], problems: [] };
    const results: RunResult[] = [];
    const problems: RunStoreError[] = [];
    for (const d of readdirSync(this.dir, { withFileTypes: true }).filter((x) => x.isDirectory())) {
      try {
        const r = this.result(d.name);
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
