// What an early-stopping decision compares a run with: the accuracy after each epoch of the other
// runs of its sweep, read from the runs directory (the sweep's sweep.json names its runs): a
// finished run's result.json, or the training log of a run still training (or stopped, or cut
// off). Every process that trains a run of the sweep (the sweep itself, its --jobs children, queue
// workers that share the runs directory) can therefore decide on its own, with no message passing.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonl } from '../train/log.js';
import { RUN_LOG } from '../train/run-dir.js';
import type { MetricsRecord } from '../train/checkpoint.js';
import type { Curve, Measure } from './early-stop.js';
import { RESULT_FILE, SWEEP_FILE } from './store.js';

/** The compared accuracy of each epoch of `records` (a resumed run may log an epoch twice: the last counts). */
export function curveOf(records: readonly Record<string, unknown>[], measure: Measure): Curve {
  const key = measure === 'validation' ? 'valAccuracy' : 'testAccuracy';
  const out: (number | undefined)[] = [];
  for (const r of records) {
    const epoch = r.epoch;
    const acc = r[key];
    if (typeof epoch === 'number' && Number.isInteger(epoch) && epoch >= 1 && typeof acc === 'number') out[epoch - 1] = acc;
  }
  return Array.from(out, (a) => a);
}

function runCurve(dir: string, measure: Measure): Curve | undefined {
  try {
    const result = join(dir, RESULT_FILE);
    if (existsSync(result)) {
      const r = JSON.parse(readFileSync(result, 'utf8')) as { history?: MetricsRecord[] };
      return Array.isArray(r.history) ? curveOf(r.history, measure) : undefined;
    }
    const log = join(dir, RUN_LOG);
    return existsSync(log) ? curveOf(readJsonl(log).filter((r) => r.event === 'epoch'), measure) : undefined;
  } catch {
    // A file being replaced, or damaged: that run is left out of this decision, not the run stopped.
    return undefined;
  }
}

/** The runs of the sweep in `runsDir` (its sweep.json), or none when it cannot be read. */
function sweepRuns(runsDir: string): string[] {
  try {
    const s = JSON.parse(readFileSync(join(runsDir, SWEEP_FILE), 'utf8')) as { runs?: unknown };
    return Array.isArray(s.runs) ? s.runs.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** The curves of every run of the sweep in `runsDir` but `self` that has reached an epoch. */
export function peerCurves(runsDir: string, self: string, measure: Measure): Curve[] {
  return sweepRuns(runsDir)
    .filter((id) => id !== self)
    .map((id) => runCurve(join(runsDir, id), measure))
    .filter((c): c is Curve => c !== undefined && c.length > 0);
}
