// A training run's output directory (`hrn train --out DIR`, a sweep's RUNS/ID): the files hrn
// writes there, the lock that keeps a second training out while one runs, and how to tell hrn's
// files from the user's, so that a run never appends to or replaces a file hrn did not write.

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { lockDir, type DirLock } from '../util/dir-lock.js';
import { isCheckpointDir, STATE_FILE } from './checkpoint.js';
import { METRICS_COLUMNS } from './metrics-csv.js';

/** The checkpoint directory, the log and the per-epoch metrics inside a run's output directory. */
export const RUN_CHECKPOINT = 'checkpoint';
export const RUN_LOG = 'train.jsonl';
export const RUN_METRICS_CSV = 'metrics.csv';
/** Held while a process trains into the directory (pid and host inside). */
export const RUN_LOCK = 'train.lock';

/** Locks a run directory for the training about to write into it; throws DirLockedError when one already does. */
export function lockRunDir(dir: string, note?: (line: string) => void): DirLock {
  return lockDir(dir, { name: RUN_LOCK, what: 'hrn train', note });
}

/** The first line of a file (at most its first 64 KiB), or undefined when it cannot be read. */
function firstLine(path: string): string | undefined {
  try {
    const head = readFileSync(path).subarray(0, 65536).toString('utf8');
    const nl = head.indexOf('\n');
    return nl < 0 ? head : head.slice(0, nl);
  } catch {
    return undefined;
  }
}

/** Why hrn must not write to `name` in the run directory, or undefined when it is hrn's own. */
function notOurs(dir: string, name: string): string | undefined {
  const path = join(dir, name);
  if (name === RUN_CHECKPOINT || name === `${RUN_CHECKPOINT}.prev`) {
    try {
      return isCheckpointDir(path) ? undefined : 'is not an hrn checkpoint directory';
    } catch {
      return 'cannot be read';
    }
  }
  const st = statSync(path);
  if (!st.isFile()) return 'is not a regular file';
  // An empty file holds nothing of the user's to keep: hrn's own cut short by a full disk, or a
  // `touch`. MetricsCsv and the log start it afresh, so it must not wedge the run.
  if (st.size === 0) return undefined;
  const line = firstLine(path);
  if (name === RUN_METRICS_CSV) return line === METRICS_COLUMNS.join(',') ? undefined : "does not start with hrn's header";
  try {
    const event = (JSON.parse(line ?? '') as { event?: unknown }).event;
    if (event === 'start' || event === 'resume') return undefined;
  } catch {
    // not JSON: not hrn's log
  }
  return "does not start with hrn's start record";
}

const RUN_FILES = [RUN_CHECKPOINT, `${RUN_CHECKPOINT}.prev`, RUN_LOG, RUN_METRICS_CSV];

/** Left behind by hrn itself (interrupted saves, the lock and its temporary files): neither a run nor the user's. */
const isScratch = (name: string) => name === RUN_LOCK || name.startsWith(`${RUN_LOCK}.`) || name.startsWith(`.${RUN_CHECKPOINT}.tmp-`);

export interface RunDirContents {
  /** hrn's run files present (a run to --resume, or to replace with --force). */
  run: string[];
  /** Everything else there: the user's. */
  other: string[];
  /** Files at the names hrn writes that hrn did not write, with why: never appended to or replaced. */
  blocking: { name: string; why: string }[];
}

/** What a run directory (which exists) holds. */
export function runDirContents(dir: string): RunDirContents {
  const out: RunDirContents = { run: [], other: [], blocking: [] };
  for (const name of readdirSync(dir).sort()) {
    if (isScratch(name)) continue;
    if (!RUN_FILES.includes(name)) {
      out.other.push(name);
      continue;
    }
    const why = notOurs(dir, name);
    if (why === undefined) out.run.push(name);
    else out.blocking.push({ name, why });
  }
  return out;
}

/** A run directory holds files where hrn would write that hrn did not write. */
export class ForeignRunFilesError extends Error {
  override name = 'ForeignRunFilesError';
}

/** Throws a ForeignRunFilesError when `dir` holds, at the names hrn writes, files that are not hrn's. */
export function refuseForeignRunFiles(dir: string, contents: RunDirContents = runDirContents(dir)): void {
  const b = contents.blocking;
  if (b.length === 0) return;
  const list = b.map((f) => `${f.name} ${f.why}`).join(', ');
  throw new ForeignRunFilesError(
    `${dir}: ${list}, so hrn did not write ${b.length === 1 ? 'it' : 'them'}; hrn train never appends to or replaces a file of yours, not even with --force: ` +
      `move ${b.length === 1 ? 'it' : 'them'} away, or choose another output directory`,
  );
}

/**
 * The checkpoint a path names: a run directory (`hrn train --out DIR`) means the checkpoint inside
 * it; anything else (a checkpoint directory, a missing path) is returned as given, so that
 * loadCheckpoint's own messages still apply.
 */
export function checkpointOfRun(path: string): string {
  const inner = join(path, RUN_CHECKPOINT);
  const isCheckpoint = existsSync(join(path, STATE_FILE));
  return !isCheckpoint && (existsSync(inner) || existsSync(`${inner}.prev`)) ? inner : path;
}

