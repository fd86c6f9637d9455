// A training's data as `hrn train` and a sweep's runs read it: the data set opened with the run's
// subset, test subset, validation hold-out, fit and augmentation, and enough training images for
// one batch. Both read it the same way so that a sweep's run trains on what `hrn train` with the
// same settings would.

import type { BatchLoader } from '../data/batches.js';
import { DataError } from '../data/errors.js';
import { openData, type DataPipeline } from '../data/pipeline.js';
import type { ArchIR } from '../ir/arch.js';
import { UserError } from '../errors.js';

/** The settings that choose which images a training reads, and how. */
export interface TrainingDataSettings {
  batch: number;
  seed: number;
  fit: 'pad' | 'resize';
  augment: boolean;
  /** Training images (a stratified subset); all when null or absent. */
  subset?: number | null;
  /** The first N test images; all when null or absent. */
  testSubset?: number | null;
  /** Fraction of the training images held out for validation; none when null or absent. */
  valSplit?: number | null;
}

const given = (n: number | null | undefined): n is number => n !== null && n !== undefined;

/**
 * The training and test splits of `data` for a network taking `net`'s input and classes. Problems
 * (a data set that cannot be read or does not fit the network, fewer training images than one
 * batch) are UserErrors; `batchHint` ends the last one's message (how to choose a smaller batch).
 */
export function openTrainingData(
  data: string,
  net: Pick<ArchIR, 'input' | 'classes'>,
  s: TrainingDataSettings,
  o: { evalBatch: number; batchHint?: string },
): { data: DataPipeline; train: BatchLoader; val?: BatchLoader } {
  let pipeline: DataPipeline;
  try {
    pipeline = openData(data, net.input, net.classes, {
      batchSize: s.batch,
      evalBatchSize: o.evalBatch,
      seed: s.seed,
      fit: s.fit,
      augment: s.augment ? undefined : false,
      subset: given(s.subset) ? { count: s.subset, mode: 'stratified' } : undefined,
      testSubset: given(s.testSubset) ? { count: s.testSubset, mode: 'first' } : undefined,
      validationFraction: given(s.valSplit) ? s.valSplit : undefined,
    });
  } catch (e) {
    if (e instanceof DataError) throw new UserError(e.message);
    throw e;
  }
  const train = pipeline.train!;
  const held = given(s.valSplit) ? ` (${pipeline.val!.count} more held out by --val-split ${s.valSplit})` : '';
  if (train.count < s.batch) throw new UserError(`${data}: ${train.count} training images${held} are fewer than one batch of ${s.batch}${o.batchHint ?? ''}`);
  if (pipeline.val?.count === 0) throw new UserError(`${data}: --val-split ${s.valSplit} holds out no image of the ${train.count} training images; use a larger fraction`);
  return { data: pipeline, train, ...(pipeline.val ? { val: pipeline.val } : {}) };
}
