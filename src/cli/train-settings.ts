// What `hrn train` trains with, and where: the settings from the options (on --resume, an option left
// out takes the value the checkpoint's run recorded, so a resume needs no more than FILE, --out and
// --resume), and the --out directory, locked for this run and checked for files of the user's.

import { existsSync, rmdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { dataSpecHelp } from '../data/spec.js';
import { TRAIN_DEFAULTS } from '../train/settings.js';
import { loadCheckpointState } from '../train/checkpoint.js';
import { recordedSettings, type RunSettingsRecord } from '../train/resume.js';
import type { SnlScheduleOptions } from '../train/snl.js';
import { ForeignRunFilesError, lockRunDir, refuseForeignRunFiles, RUN_CHECKPOINT, runDirContents } from '../train/run-dir.js';
import { DirLockedError, LockFileError, type DirLock } from '../util/dir-lock.js';
import { ensureDir, OutputDirError } from '../util/output-dir.js';
import { flag, intOption, numberOption, stringOption, type ParsedCommand } from './args.js';
import { UsageError, UserError } from '../errors.js';
import { valSplitOption } from './train-options.js';

export interface TrainCommandSettings {
  data: string;
  epochs: number;
  batch: number;
  lr: number;
  minLr: number;
  warmupEpochs: number;
  seed: number;
  fit: 'pad' | 'resize';
  augment: boolean;
  subset: number | null;
  testSubset: number | null;
  valSplit: number | null;
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
  /** The resumed run's SNL schedule: the defaults of the --snl-* options left out. */
  recordedSnl?: SnlScheduleOptions;
}

/** What the checkpoint in `out` says its run was trained with (for --resume). */
export function recordedRunSettings(out: string): Partial<RunSettingsRecord> {
  return recordedSettings(loadCheckpointState(join(out, RUN_CHECKPOINT)).state);
}

/** The training settings: the options, else what the resumed run recorded (`recorded`), else the defaults. */
export function trainSettings(p: ParsedCommand, recorded: Partial<RunSettingsRecord> = {}): TrainCommandSettings {
  const data = stringOption(p, 'data') ?? recorded.data;
  if (data === undefined) throw new UsageError(`train: --data KIND:DIR is required; data sets:\n${dataSpecHelp()}`);
  const lr = numberOption(p, 'lr', recorded.lr ?? TRAIN_DEFAULTS.lr);
  if (!(lr > 0)) throw new UsageError('train: --lr must be positive');
  const fit = stringOption(p, 'fit') ?? recorded.fit ?? TRAIN_DEFAULTS.fit;
  if (fit !== 'pad' && fit !== 'resize') throw new UsageError(`train: --fit must be pad or resize, got '${fit}'`);
  const given = (name: string) => stringOption(p, name) !== undefined;
  return {
    data,
    epochs: intOption(p, 'epochs', recorded.epochs ?? TRAIN_DEFAULTS.epochs),
    batch: intOption(p, 'batch', recorded.batch ?? TRAIN_DEFAULTS.batch),
    lr,
    minLr: numberOption(p, 'min-lr', recorded.minLr ?? 0),
    warmupEpochs: numberOption(p, 'warmup-epochs', recorded.warmupEpochs ?? 0),
    seed: intOption(p, 'seed', recorded.seed ?? 0, 0),
    fit,
    // A flag can only be given as on; left out, it is the run's.
    augment: flag(p, 'no-augment') ? false : (recorded.augment ?? TRAIN_DEFAULTS.augment),
    nesterov: flag(p, 'nesterov') || (recorded.nesterov ?? false),
    subset: given('subset') ? intOption(p, 'subset', 1) : (recorded.subset ?? null),
    testSubset: given('test-subset') ? intOption(p, 'test-subset', 1) : (recorded.testSubset ?? null),
    valSplit: valSplitOption(p, 'train') ?? recorded.valSplit ?? null,
    momentum: numberOption(p, 'momentum', recorded.momentum ?? TRAIN_DEFAULTS.momentum),
    weightDecay: numberOption(p, 'weight-decay', recorded.weightDecay ?? TRAIN_DEFAULTS.weightDecay),
    ...(recorded.snl ? { recordedSnl: recorded.snl } : {}),
  };
}

/**
 * Makes --out ready for this run and locks it (release the lock when the run ends). --out must be
 * new or empty unless the run in it is continued (--resume) or replaced (--force): starting over by
 * accident would mix two runs in one log and replace a checkpoint, and a directory of the user's
 * files is not a run directory. Files at the names hrn writes that hrn did not write are refused
 * even with --force. A directory another training holds is refused, naming its pid.
 */
export function prepareRunDir(out: string, resume: boolean, force: boolean, note: (line: string) => void): DirLock {
  if (resume && force) throw new UsageError('train: --resume continues the run in --out and --force starts over; give one');
  const created = missingDirs(out);
  let held: DirLock;
  try {
    ensureDir(out);
    held = lockRunDir(out, note);
  } catch (e) {
    removeIfEmpty(created);
    if (e instanceof OutputDirError || e instanceof DirLockedError || e instanceof LockFileError) throw new UserError(`--out ${e.message}`);
    throw e;
  }
  // A run refused before it wrote anything (bad data, a batch too large) leaves no empty
  // directories behind: releasing the lock removes those this call made, if they are still empty.
  const lock: DirLock = {
    ...held,
    release() {
      held.release();
      removeIfEmpty(created);
    },
  };
  try {
    const contents = runDirContents(out);
    refuseForeignRunFiles(out, contents);
    if (!resume && !force) {
      if (contents.run.length > 0) {
        throw new UserError(`--out ${out} already holds a training run (${contents.run.join(', ')}); continue it with --resume, or start over with --force`);
      }
      if (contents.other.length > 0) {
        const shown = contents.other.slice(0, 3).join(', ') + (contents.other.length > 3 ? `, and ${contents.other.length - 3} more` : '');
        throw new UserError(`--out ${out} is not an hrn run directory (it holds ${shown}); choose a new or empty directory, or use --force to train into it (its files are left alone)`);
      }
    }
  } catch (e) {
    lock.release();
    if (e instanceof ForeignRunFilesError) throw new UserError(`--out ${e.message}`);
    throw e;
  }
  return lock;
}

/** The directories `dir` and its ancestors that do not exist yet, deepest first. */
function missingDirs(dir: string): string[] {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d) && dirname(d) !== d; d = dirname(d)) missing.push(d);
  return missing;
}

/** Removes each of `dirs` (deepest first) while it is empty. */
function removeIfEmpty(dirs: readonly string[]): void {
  for (const d of dirs) {
    try {
      rmdirSync(d);
    } catch {
      return; // not empty (the run wrote something), or already gone
    }
  }
}
