// Resuming a run: the checkpoint continues only the run it belongs to. A resume that trains on other
// data, at another batch size, with another seed, learning rate or loss would not continue that run
// but silently start a different one from its weights, with a step counter and a learning-rate
// schedule that no longer fit (a larger batch used to leave the last epoch at lr 0). Such a resume
// is refused, naming what differs. Only the number of epochs may change: the cosine schedule is
// stretched (or shortened) to the new total, from the step the run had reached.
//
// Every checkpoint records the run's settings (`extra.settings`); checkpoints written before that
// record existed are checked against what they did keep (batch, data, loss, seed, schedule, SGD).

import { resolve } from 'node:path';
import type { LossSpec } from '../codegen/kernels/index.js';
import type { CheckpointState } from './checkpoint.js';
import type { LrSchedule } from './schedule.js';
import type { SnlScheduleOptions } from './snl.js';
import { canonicalJson } from '../util/canonical-json.js';

/** How the training data was opened, as the caller (the command, the sweep) knows it. */
export interface DataSettings {
  /** KIND:DIR with DIR absolute (see dataSettingsKey). */
  data: string;
  subset: number | null;
  testSubset: number | null;
  /** Fraction of the training images held out for validation (--val-split). */
  valSplit: number | null;
  fit: string;
  augment: boolean;
}

/** What a checkpoint records about its run (`extra.settings`). */
export interface RunSettingsRecord extends Partial<DataSettings> {
  batch: number;
  seed: number;
  /** Training images (after --subset): with the batch size, the steps of an epoch. */
  trainImages: number;
  epochs: number;
  lr: number;
  minLr: number;
  warmupEpochs: number;
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
  loss: LossSpec;
  /** The SNL schedule's settings, null for a network without the snl pass. */
  snl?: SnlScheduleOptions | null;
}

/** `KIND:DIR` with DIR made absolute, so that a resume from another working directory compares equal. */
export function dataSettingsKey(text: string): string {
  const colon = text.indexOf(':');
  return colon <= 0 ? text : `${text.slice(0, colon).toLowerCase()}:${resolve(text.slice(colon + 1))}`;
}

/**
 * The settings a checkpoint's run was trained with, as far as the checkpoint says: its record, or
 * for an older checkpoint what it kept elsewhere (a relative data path there is taken relative to
 * the current directory).
 */
export function recordedSettings(state: CheckpointState): Partial<RunSettingsRecord> {
  const extra = (state.extra ?? {}) as Record<string, unknown>;
  const sched = state.lrSchedule;
  const opt = state.optimizer;
  const base: Partial<RunSettingsRecord> = { seed: state.dataSeed, lr: sched.baseLr, minLr: sched.minLr, momentum: opt.momentum, weightDecay: opt.weightDecay, nesterov: opt.nesterov };
  const rec = extra.settings;
  if (rec && typeof rec === 'object') return { ...base, ...(rec as Partial<RunSettingsRecord>) };
  if (typeof extra.batch === 'number') base.batch = extra.batch;
  if (typeof extra.epochs === 'number') {
    base.epochs = extra.epochs;
    const stepsPerEpoch = sched.totalSteps / extra.epochs;
    if (Number.isInteger(stepsPerEpoch) && stepsPerEpoch > 0) base.warmupEpochs = sched.warmupSteps / stepsPerEpoch;
  }
  if (typeof extra.data === 'string') base.data = dataSettingsKey(extra.data);
  if (extra.loss && typeof extra.loss === 'object') base.loss = extra.loss as LossSpec;
  return base;
}

function showLoss(l: LossSpec): string {
  const { kind, ...params } = l;
  const list = Object.entries(params).map(([k, v]) => `${k} ${v}`);
  return kind === 'ce' ? 'cross-entropy (no --teacher)' : `${kind} distillation${list.length > 0 ? ` (${list.join(', ')})` : ''}`;
}

const optional = (option: string) => (v: unknown) => (v === null || v === undefined ? `no ${option}` : `${option} ${v}`);
const toggle = (on: string, off: string) => (v: unknown) => (v ? on : off);

/** How each setting reads in a message, in command-line terms. */
const SHOW: Record<Exclude<keyof RunSettingsRecord, 'epochs'>, (v: unknown) => string> = {
  data: (v) => `--data ${v}`,
  subset: optional('--subset'),
  testSubset: optional('--test-subset'),
  valSplit: optional('--val-split'),
  fit: (v) => `--fit ${v}`,
  augment: toggle('augmentation', '--no-augment'),
  batch: (v) => `--batch ${v}`,
  seed: (v) => `--seed ${v}`,
  trainImages: (v) => `${v} training images`,
  lr: (v) => `--lr ${v}`,
  minLr: (v) => `--min-lr ${v}`,
  warmupEpochs: (v) => `--warmup-epochs ${v}`,
  momentum: (v) => `--momentum ${v}`,
  weightDecay: (v) => `--weight-decay ${v}`,
  nesterov: toggle('--nesterov', 'no --nesterov'),
  loss: (v) => showLoss(v as LossSpec),
  snl: (v) => showSnl(v as SnlScheduleOptions | null),
};

function showSnl(v: SnlScheduleOptions | null): string {
  if (v === null) return 'no SNL schedule';
  return `snl ${v.budget} with --snl-search-epochs ${v.searchEpochs} --snl-penalty ${v.penalty} --snl-growth ${v.growth} --snl-threshold ${v.threshold}`;
}

/** Each setting of `now` that differs from what the checkpoint's run recorded, as `NOW (the run: WAS)`. */
export function settingsDifferences(was: Partial<RunSettingsRecord>, now: RunSettingsRecord): string[] {
  const out: string[] = [];
  for (const key of Object.keys(SHOW) as (keyof typeof SHOW)[]) {
    const a = was[key];
    const b = now[key];
    if (a === undefined || b === undefined || canonicalJson(a) === canonicalJson(b)) continue;
    out.push(`${SHOW[key](b)} (the run: ${SHOW[key](a)})`);
  }
  return out;
}

/** A resume that would not continue the checkpoint's run. */
export class ResumeMismatchError extends Error {
  override name = 'ResumeMismatchError';
}

export interface ResumePoint {
  startEpoch: number;
  startBatch: number;
  step: number;
  schedule: LrSchedule;
}

/**
 * Checks that `now` continues the run of `state` (read from `path`) and returns where it resumes,
 * with the learning-rate schedule spanning `now.epochs`; `note` hears about a changed epoch count.
 */
export function resumePoint(path: string, state: CheckpointState, now: RunSettingsRecord, stepsPerEpoch: number, note: (line: string) => void): ResumePoint {
  const was = recordedSettings(state);
  const differences = settingsDifferences(was, now);
  if (differences.length > 0) {
    throw new ResumeMismatchError(
      `cannot resume from ${path}: this command differs from the run it continues: ${differences.join('; ')}. ` +
        `Resume with the run's settings (options left out take the run's values), or start a new run with --force or another --out`,
    );
  }
  const startEpoch = state.epoch;
  const startBatch = state.batchInEpoch ?? 0;
  // The step counter drives the schedule; it must agree with the epochs and batches it counts.
  if (state.step !== startEpoch * stepsPerEpoch + startBatch) {
    throw new ResumeMismatchError(
      `cannot resume from ${path}: the run stopped after step ${state.step}, at epoch ${startEpoch + (startBatch > 0 ? 1 : 0)}` +
        `${startBatch > 0 ? `, batch ${startBatch}` : ''}, but ${now.trainImages} training images at --batch ${now.batch} make ${stepsPerEpoch} steps per epoch: ` +
        `the training set or the batch size is not the run's; resume with the run's data and --batch, or start a new run with --force or another --out`,
    );
  }
  const totalSteps = now.epochs * stepsPerEpoch;
  let schedule = state.lrSchedule;
  if (schedule.totalSteps !== totalSteps) {
    const planned = was.epochs ?? schedule.totalSteps / stepsPerEpoch;
    schedule = { ...schedule, totalSteps };
    note(`the learning-rate schedule now spans ${now.epochs} epoch${now.epochs === 1 ? '' : 's'} (the checkpoint's run planned ${planned})`);
  }
  return { startEpoch, startBatch, step: state.step, schedule };
}
