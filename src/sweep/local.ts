// Runs a sweep in this process, one run after another on one GPU device. Finished runs (those with
// a result.json) are skipped; a run with a checkpoint resumes from it. A run that fails on its
// configuration records its error and the sweep goes on; Ctrl-C or SIGTERM stops after saving the
// current run's checkpoint, and starting the sweep again continues.

import type { GpuContext } from '../runtime/device.js';
import type { InterruptFlag } from '../train/interrupt.js';
import type { RunConfig } from './expand.js';
import { SweepProgress } from './progress.js';
import { RunStore } from './store.js';
import { RunBusyError, trainedBy, trainRun, type RunEarlyStop } from './train-run.js';
import { UserError } from '../errors.js';
import { DiagnosticError, formatDiagnostics } from '../diagnostics.js';
import { DeviceLimitError } from '../codegen/device-limits.js';

export interface SweepOutcome {
  done: number;
  failed: number;
  /** Runs that were already finished when this invocation started. */
  skipped: number;
  interrupted: boolean;
  /** The signal that stopped the sweep, when one did. */
  signal?: NodeJS.Signals;
}

/** The message a failed run records: what a user would have seen from `hrn train`. */
export function runErrorMessage(e: unknown, sources?: Map<string, string>): string | undefined {
  if (e instanceof DiagnosticError) return formatDiagnostics(e.diagnostics, sources ?? new Map());
  if (e instanceof UserError || e instanceof DeviceLimitError) return e.message;
  return undefined;
}

/** What an interrupted local sweep tells its user: starting it again continues it (there is no --resume). */
export const SWEEP_CONTINUE_HINT = 'run the same command again to continue the sweep';

export async function runLocal(runs: RunConfig[], store: RunStore, o: { gpu: GpuContext; progress: SweepProgress; interrupt?: InterruptFlag; earlyStop?: RunEarlyStop }): Promise<SweepOutcome> {
  const out: SweepOutcome = { done: 0, failed: 0, skipped: 0, interrupted: false };
  const todo = runs.filter((r) => store.result(r.id) === undefined);
  out.skipped = runs.length - todo.length;
  o.progress.begin(runs.length, out.skipped);
  for (const run of todo) {
    o.progress.startRun(run);
    let result;
    try {
      result = await trainRun(run, { gpu: o.gpu, dir: store.runDir(run.id), progress: o.progress.trainProgress(run), interrupt: o.interrupt, note: (l) => o.progress.note(l), continueHint: SWEEP_CONTINUE_HINT, ...(o.earlyStop ? { earlyStop: o.earlyStop } : {}) });
    } catch (e) {
      if (e instanceof RunBusyError) {
        // Another process is training this run: nothing is wrong with it, so no error.json.
        o.progress.failed(run, e.message);
        out.failed++;
        continue;
      }
      const message = runErrorMessage(e);
      if (message === undefined) throw e;
      store.writeError({ id: run.id, label: run.label, error: message, at: new Date().toISOString(), by: trainedBy() });
      o.progress.failed(run, message);
      out.failed++;
      continue;
    }
    if (!result) {
      out.interrupted = true;
      out.signal = o.interrupt?.signal;
      break;
    }
    store.writeResult(result);
    o.progress.finished(run, result);
    out.done++;
  }
  return out;
}
