// What a training run fixes once from its options, before the first step: the settings with their
// defaults filled in (the only place the loop's defaults are applied), what its checkpoints record
// for a resume to check, and where it starts, from scratch or where the checkpoint it resumes
// stopped (src/train/resume.ts).

import { join } from 'node:path';
import type { BatchLoader } from '../data/batches.js';
import type { LayerGraph } from '../ir/graph.js';
import { SGD_DEFAULTS, type LossSpec } from '../codegen/kernels/index.js';
import type { GpuContext } from '../runtime/gpu-context.js';
import type { TeacherSource, TrainerOptions } from '../launch/train.js';
import { initWeights, type Weights } from '../weights/weights.js';
import { checkNetwork, loadCheckpoint, loadCheckpointState, type MetricsRecord } from './checkpoint.js';
import type { InterruptFlag } from './interrupt.js';
import type { TrainProgress } from './progress.js';
import { resumePoint, type DataSettings, type RunSettingsRecord } from './resume.js';
import { RUN_CHECKPOINT } from './run-dir.js';
import { cosineSchedule, type LrSchedule } from './schedule.js';
import type { SnlScheduleOptions, SnlState } from './snl.js';

export interface TrainLoopOptions {
  ctx: GpuContext;
  graph: LayerGraph;
  /** Network identity recorded in (and checked against) checkpoints. */
  network: { name: string; hash: string };
  train: BatchLoader;
  test?: BatchLoader;
  /** Held-out training images, evaluated after each epoch like the test split. */
  val?: BatchLoader;
  epochs: number;
  lr: number;
  minLr?: number;
  /** Linear warm-up, in epochs (fractions allowed). */
  warmupEpochs?: number;
  sgd?: { momentum?: number; weightDecay?: number; nesterov?: boolean };
  loss?: LossSpec;
  teacher?: TeacherSource;
  /** Initial weights; default initWeights(graph, seed). */
  init?: Weights;
  seed?: number;
  /** Checkpoints and the log go here; none: nothing is written. */
  outDir?: string;
  /** Continue from outDir's checkpoint (refused when the settings are not the run's: src/train/resume.ts). */
  resume?: boolean;
  /** How the training data was opened, recorded in checkpoints and checked on resume. */
  data?: DataSettings;
  /** Steps between loss read-backs (progress bar and log); default 10. */
  logEvery?: number;
  /** Test batches evaluated per epoch (default all). */
  testLimit?: number;
  evalBatch?: number;
  progress?: TrainProgress;
  interrupt?: InterruptFlag;
  /** Saved in the checkpoint's state (command line, data, normalization, ...). */
  extra?: Record<string, unknown>;
  /** The SNL schedule, for a network after the `snl` pass (src/train/snl.ts). */
  snl?: SnlScheduleOptions;
  /** Messages (checkpoint saved, resumed). */
  note?: (line: string) => void;
  /** How to continue after an interrupt, ending that message (default: `continue with --resume`, hrn train's way). */
  continueHint?: string;
  subgroups?: boolean;
  /** The kernels' schedule profile (default: the device's, as the runtime picks it). */
  profile?: TrainerOptions['profile'];
  /** Schedules hrn tune measured on the device, by kernel signature (the training step's and evaluation's). */
  tuned?: TrainerOptions['tuned'];
  /** Sees the IR after every training pass when the plan is compiled (`--debug`). */
  observer?: TrainerOptions['observer'];
  /**
   * Asked at each epoch boundary, once the epoch's checkpoint is saved (and before the first epoch
   * of a run resumed at a boundary), with the epochs so far: true ends the run there, as finished
   * early (a sweep's early-stopping rule).
   */
  stopAfterEpoch?: (history: readonly MetricsRecord[]) => boolean;
}

export interface TrainLoopResult {
  /** Epochs completed (including those of the run resumed from). */
  epochs: number;
  step: number;
  interrupted: boolean;
  /** `stopAfterEpoch` ended the run before its last epoch. */
  stoppedEarly: boolean;
  history: MetricsRecord[];
  weights: Weights;
  /** Seconds of training in this process (evaluation excluded). */
  trainSeconds: number;
  /** Training images per second in this process. */
  imagesPerSecond: number;
  checkpoint?: string;
}

/** Running sums of the loss, correct answers and steps since an epoch began. */
export interface PartialSums {
  loss: number;
  correct: number;
  steps: number;
}

/** What a run fixes once from its options. */
export interface RunSettings {
  batch: number;
  stepsPerEpoch: number;
  seed: number;
  loss: LossSpec;
  sgd: { momentum: number; weightDecay: number; nesterov: boolean };
  ckptDir?: string;
  note: (line: string) => void;
  /** What the checkpoints record about the run, for a resume to check. */
  record: RunSettingsRecord;
  continueHint: string;
}

/** Where a run starts: from scratch, or where the checkpoint it resumes stopped. */
export interface StartState {
  weights: Weights;
  momentum?: Weights;
  startEpoch: number;
  startBatch: number;
  step: number;
  history: MetricsRecord[];
  carried: PartialSums;
  schedule: LrSchedule;
  /** Where a resumed run's SNL schedule was (its checkpoint's `extra.snl`). */
  snl?: SnlState;
}

/** The run's settings, every default filled in. */
export function runSettings(o: Omit<TrainLoopOptions, 'ctx'>): RunSettings {
  const batch = o.train.batchSize;
  const stepsPerEpoch = Math.floor(o.train.count / batch);
  if (stepsPerEpoch < 1) throw new Error(`the training set has ${o.train.count} examples, fewer than one batch of ${batch}`);
  const seed = o.seed ?? 0;
  const loss = o.loss ?? { kind: 'ce' };
  const sgd = { momentum: o.sgd?.momentum ?? SGD_DEFAULTS.momentum, weightDecay: o.sgd?.weightDecay ?? SGD_DEFAULTS.weightDecay, nesterov: o.sgd?.nesterov ?? SGD_DEFAULTS.nesterov };
  return {
    batch,
    stepsPerEpoch,
    seed,
    loss,
    sgd,
    ckptDir: o.outDir ? join(o.outDir, RUN_CHECKPOINT) : undefined,
    note: o.note ?? (() => {}),
    record: { ...o.data, batch, seed, trainImages: o.train.count, epochs: o.epochs, lr: o.lr, minLr: o.minLr ?? 0, warmupEpochs: o.warmupEpochs ?? 0, ...sgd, loss, snl: o.snl ?? null },
    continueHint: o.continueHint ?? 'continue with --resume',
  };
}

/** The state the run starts from. */
export function startState(o: TrainLoopOptions, s: RunSettings): StartState {
  const { stepsPerEpoch, ckptDir, note } = s;
  const fresh: StartState = {
    weights: o.init ?? initWeights(o.graph, s.seed),
    startEpoch: 0,
    startBatch: 0,
    step: 0,
    history: [],
    carried: { loss: 0, correct: 0, steps: 0 },
    schedule: cosineSchedule({
      baseLr: o.lr,
      minLr: o.minLr ?? 0,
      warmupSteps: Math.round((o.warmupEpochs ?? 0) * stepsPerEpoch),
      totalSteps: o.epochs * stepsPerEpoch,
    }),
  };
  if (!o.resume) return fresh;
  if (!ckptDir) throw new Error('resume needs an output directory');
  const ck = loadCheckpoint(ckptDir, { expect: o.network });
  const { startEpoch, startBatch, step, schedule } = resumePoint(ck.path, ck.state, s.record, stepsPerEpoch, note);
  if (ck.recovered) note(`${ckptDir} was incomplete; resumed from ${ck.path}`);
  const p = (ck.state.extra as { partial?: PartialSums } | undefined)?.partial;
  note(`resumed from ${ck.path}: epoch ${startEpoch + (startBatch > 0 ? 1 : 0)}, step ${step}${startBatch > 0 ? `, batch ${startBatch} of the epoch` : ''}`);
  return {
    weights: ck.weights,
    momentum: ck.optimizer,
    startEpoch,
    startBatch,
    step,
    history: ck.state.metrics,
    carried: p && startBatch > 0 ? p : fresh.carried,
    schedule,
    ...(snlOf(ck.state.extra) ? { snl: snlOf(ck.state.extra) } : {}),
  };
}

/** Refuses, as trainLoop would, a resume that does not continue the run in outDir: callable before a device is opened. */
export function checkResume(o: Omit<TrainLoopOptions, 'ctx'>): void {
  const s = runSettings(o);
  if (!s.ckptDir) throw new Error('resume needs an output directory');
  const { path, state } = loadCheckpointState(s.ckptDir);
  checkNetwork(state, o.network, path);
  resumePoint(path, state, s.record, s.stepsPerEpoch, () => {});
}

function snlOf(extra: Record<string, unknown> | undefined): SnlState | undefined {
  const v = extra?.snl as SnlState | undefined;
  return v !== undefined && (v.phase === 'search' || v.phase === 'finetune') && Number.isFinite(v.penalty) ? v : undefined;
}
