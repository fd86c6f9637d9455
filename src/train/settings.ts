// The settings of a training run, in one place for `hrn train` and a sweep's runs: the defaults
// both start from, and `loopSettings`, the one way both hand their settings to the training loop,
// so that a sweep's run trains as `hrn train` with the same settings would.

import { SGD_DEFAULTS } from '../codegen/kernels/index.js';
import { dataSettingsKey } from './resume.js';
import type { TrainLoopOptions } from './run-start.js';

/** What a sweep's run records of its training (part of its id), and what `hrn train` defaults. */
export interface TrainSettings {
  epochs: number;
  batch: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  /** Training images (stratified subset); all when absent. */
  subset?: number;
  /** First N test images; all when absent. */
  testSubset?: number;
  /** Fraction of the training images held out for validation; none when absent. */
  valSplit?: number;
  augment: boolean;
  fit: 'pad' | 'resize';
}

/** The recipe's defaults (docs/architecture.md, "Training recipe"); SGD's are the optimizer's own. */
export const TRAIN_DEFAULTS: TrainSettings = {
  epochs: 1,
  batch: 128,
  lr: 0.1,
  momentum: SGD_DEFAULTS.momentum,
  weightDecay: SGD_DEFAULTS.weightDecay,
  augment: true,
  fit: 'pad',
};

/** A run's settings as the commands resolve them: what `loopSettings` reads. */
export interface RunTrainingSettings {
  epochs: number;
  lr: number;
  minLr?: number;
  warmupEpochs?: number;
  momentum: number;
  weightDecay: number;
  nesterov?: boolean;
  seed: number;
  subset?: number | null;
  testSubset?: number | null;
  valSplit?: number | null;
  fit: 'pad' | 'resize';
  augment: boolean;
}

/** The training loop's options that come from a run's settings, `data` being the data set as given (KIND:DIR). */
export function loopSettings(data: string, s: RunTrainingSettings): Pick<TrainLoopOptions, 'epochs' | 'lr' | 'minLr' | 'warmupEpochs' | 'sgd' | 'seed' | 'data'> {
  return {
    epochs: s.epochs,
    lr: s.lr,
    minLr: s.minLr,
    warmupEpochs: s.warmupEpochs,
    sgd: { momentum: s.momentum, weightDecay: s.weightDecay, nesterov: s.nesterov },
    seed: s.seed,
    data: { data: dataSettingsKey(data), subset: s.subset ?? null, testSubset: s.testSubset ?? null, valSplit: s.valSplit ?? null, fit: s.fit, augment: s.augment },
  };
}
