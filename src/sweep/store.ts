// A sweep's results on disk, one directory per run under the runs directory:
//
//   RUNS/sweep.json          the spec and its runs (rewritten at each start)
//   RUNS/ID/run.json         the run's configuration and counts
//   RUNS/ID/checkpoint/      the training checkpoint (src/train/checkpoint.ts), train.jsonl the log
//   RUNS/ID/result.json      written once, atomically, when the run has finished: it marks it done
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

  result(id: string): RunResult | undefined {
    return readJson<RunResult>(join(this.runDir(id), RESULT_FILE));
  }

  error(id: string): RunError | undefined {
    return readJson<RunError>(join(this.runDir(id), ERROR_FILE));
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

  /** Every finished run in the directory, in id order (for reports). */
  results(): RunResult[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => this.result(d.name))
      .filter((r): r is RunResult => r !== undefined)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}
