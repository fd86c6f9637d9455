// The training settings a sweep block (and a `sample` line) sets with a number, and which numbers
// each allows: shared by the block's settings (from-source.ts) and the distributions drawn for them
// (distributions.ts), so both refuse the same values with the same words.

import type { TrainSettings } from '../train/settings.js';

export type NumberSetting = 'epochs' | 'batch' | 'subset' | 'test-subset' | 'val-split' | 'lr' | 'momentum' | 'weight-decay';

/** Which numbers a setting allows. */
export interface NumberRule {
  integer: boolean;
  ok: (v: number) => boolean;
  expected: string;
}

export type NumericField = { [K in keyof TrainSettings]-?: TrainSettings[K] extends number | undefined ? K : never }[keyof TrainSettings];

/** Training settings that take a number: the TrainSettings field, and which numbers are allowed. */
export const NUMBER_SETTINGS: Record<NumberSetting, NumberRule & { field: NumericField }> = {
  epochs: { field: 'epochs', integer: true, ok: (v) => v >= 1, expected: 'a whole number of epochs, at least 1' },
  batch: { field: 'batch', integer: true, ok: (v) => v >= 1, expected: 'a batch size, at least 1' },
  subset: { field: 'subset', integer: true, ok: (v) => v >= 1, expected: 'a number of training images, at least 1' },
  'test-subset': { field: 'testSubset', integer: true, ok: (v) => v >= 1, expected: 'a number of test images, at least 1' },
  'val-split': { field: 'valSplit', integer: false, ok: (v) => v > 0 && v < 1, expected: 'a fraction of the training images between 0 and 1' },
  lr: { field: 'lr', integer: false, ok: (v) => v > 0, expected: 'a positive learning rate' },
  momentum: { field: 'momentum', integer: false, ok: (v) => v >= 0 && v < 1, expected: 'a momentum in [0, 1)' },
  'weight-decay': { field: 'weightDecay', integer: false, ok: (v) => v >= 0, expected: 'a weight decay of 0 or more' },
};

/**
 * The settings a random search may draw per run. The data settings (subset, test-subset,
 * val-split) are left out: runs drawn with different ones would not be measured on the same images.
 */
export const SAMPLED_SETTINGS: readonly NumberSetting[] = ['epochs', 'batch', 'lr', 'momentum', 'weight-decay'];
