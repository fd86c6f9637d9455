// `hrn sweep --jobs N`: N runs of a local sweep at once, each in its own process (the queue
// worker's training child, `hrn worker --train-run`), so that each has its own device and, on a
// CPU driver, its own cores. A run's directory, checkpoint and training log are its own, as in a
// sequential sweep; this process alone writes result.json and error.json. Ctrl-C or SIGTERM
// reaches every child (the terminal's process group, and this process passes it on): each saves
// its checkpoint and exits, runs already finished keep their results, and no new run starts.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_USER } from '../errors.js';
import { isStoppedBySignal, type InterruptFlag } from '../train/interrupt.js';
import type { RunConfig } from './expand.js';
import { SWEEP_CONTINUE_HINT, type SweepOutcome } from './local.js';
import type { SweepProgress } from './progress.js';
import type { RunResult, RunStore } from './store.js';
import { trainedBy, type RunEarlyStop } from './train-run.js';
import { childError, childFailure, EXIT_RUN_BUSY, trainInChild } from './worker.js';

export interface ParallelOptions {
  jobs: number;
  progress: SweepProgress;
  interrupt: InterruptFlag;
  /** Aborted on the first stop request: each running child is told to stop. */
  stop: AbortSignal;
  /** The child's device options (--adapter, --require-gpu). */
  childArgs: string[];
  earlyStop?: RunEarlyStop;
}

/**
 * Lavapipe runs a shader on as many threads as there are cores; N processes doing that at once
 * fight over them. Each child gets its share, unless the user chose (LP_NUM_THREADS is lavapipe's
 * own setting; a GPU driver ignores it).
 */
export function childThreads(jobs: number, env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): NodeJS.ProcessEnv {
  return env.LP_NUM_THREADS !== undefined ? {} : { LP_NUM_THREADS: String(Math.max(1, Math.floor(cores / jobs))) };
}

/** Whole lines of a child's output, each passed on with the run's label in front (several runs write at once). */
function labelledLines(label: string, write: (line: string) => void): { push: (chunk: string) => void; end: () => void } {
  let partial = '';
  // A failed child's message is the run's error, shown once by the sweep; the lines from there on are not relayed.
  let quiet = false;
  const emit = (line: string) => {
    if (line.startsWith('hrn worker: error:')) quiet = true;
    // A terminal bar's redraws come as carriage returns; only the last state of a line is news.
    const shown = line.slice(line.lastIndexOf('\r') + 1);
    if (!quiet && shown.trim() !== '') write(`  ${label}: ${shown}`);
  };
  return {
    push: (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      lines.forEach(emit);
    },
    end: () => {
      if (partial !== '') emit(partial);
      partial = '';
    },
  };
}

export async function runParallel(runs: RunConfig[], store: RunStore, o: ParallelOptions): Promise<SweepOutcome> {
  const out: SweepOutcome = { done: 0, failed: 0, skipped: 0, interrupted: false };
  const todo = runs.filter((r) => store.result(r.id) === undefined);
  out.skipped = runs.length - todo.length;
  o.progress.begin(runs.length, out.skipped);
  const scratch = mkdtempSync(join(tmpdir(), 'hrn-jobs-'));
  const env = childThreads(o.jobs);
  let next = 0;
  const one = async (run: RunConfig): Promise<void> => {
    o.progress.startRun(run);
    const resultPath = join(scratch, `${run.id}.result.json`);
    const lines = labelledLines(run.label, (l) => o.progress.note(l));
    const exit = await trainInChild(
      { job: { run, dir: store.runDir(run.id), ...(o.earlyStop ? { earlyStop: o.earlyStop } : {}) }, dir: store.runDir(run.id), resultPath, continueHint: SWEEP_CONTINUE_HINT },
      { childArgs: o.childArgs, childOutput: lines.push, env },
      () => {},
      o.stop,
    );
    lines.end();
    if (exit.code === 0) {
      const result = { ...(JSON.parse(readFileSync(resultPath, 'utf8')) as RunResult), by: trainedBy() };
      store.writeResult(result);
      o.progress.finished(run, result);
      out.done++;
      return;
    }
    if (isStoppedBySignal(exit.code)) {
      // Saved its checkpoint (on the sweep's stop request, or a signal sent to that process
      // alone): the next start of the sweep continues it.
      o.progress.dropped(run);
      if (!o.stop.aborted) o.progress.note(`${run.label}: its training process was stopped by a signal, its checkpoint saved; ${SWEEP_CONTINUE_HINT}`);
      return;
    }
    if (exit.code === EXIT_RUN_BUSY) {
      // Another process trains this run: nothing is wrong with it, so no error.json.
      o.progress.failed(run, `${run.id} is being trained by another process`);
      out.failed++;
      return;
    }
    const message = exit.code === EXIT_USER ? childError(exit.stderr) : childFailure(exit);
    store.writeError({ id: run.id, label: run.label, error: message, at: new Date().toISOString(), by: trainedBy() });
    o.progress.failed(run, message);
    out.failed++;
  };
  const lane = async (): Promise<void> => {
    while (!o.stop.aborted && next < todo.length) await one(todo[next++]);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(o.jobs, todo.length) }, lane));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (o.interrupt.requested && out.done + out.failed < todo.length) {
    out.interrupted = true;
    out.signal = o.interrupt.signal;
  }
  return out;
}
