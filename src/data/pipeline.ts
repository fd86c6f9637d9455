// From `--data KIND:DIR` and the network's input declaration to ready batch loaders: what
// `hrn train` and `hrn infer` call.

import type { Shape } from '../ir/arch.js';
import { BatchLoader } from './batches.js';
import { holdOut, subsetIndices, type Dataset, type Normalization, type SubsetOptions } from './dataset.js';
import { DataError } from './errors.js';
import { loadSplit, parseDataSpec, type DataSpec, type LoadOptions } from './spec.js';
import { channelStats, KNOWN_NORMALIZATION, type AugmentOptions, type FitMode } from './transform.js';

export interface DataPipelineOptions extends LoadOptions {
  batchSize: number;
  /** Evaluation batch size (default: batchSize). */
  evalBatchSize?: number;
  /** Data-order seed. */
  seed?: number;
  /** How images that differ from the network's input are fitted (default `pad`). */
  fit?: FitMode;
  /**
   * `computed` (default): per-channel mean/std of the fitted training set. `constants`: the
   * documented values in KNOWN_NORMALIZATION (native-size statistics). `none`: pixels in [0, 1].
   */
  normalization?: 'computed' | 'constants' | 'none' | Normalization;
  /** Training augmentation; default crop (4 px) + flip, crop only for MNIST digits. `false` disables. */
  augment?: AugmentOptions | false;
  /** Train on a subset (e.g. `{ count: 1000, mode: 'stratified' }` for CI). */
  subset?: SubsetOptions;
  testSubset?: SubsetOptions;
  /**
   * Hold out this fraction of the training examples (after `subset`) as a validation set:
   * stratified by class, chosen by `seed` (holdOut in dataset.ts). Training reads the rest.
   */
  validationFraction?: number;
  /** Skip reading the training split (inference). */
  testOnly?: boolean;
}

export interface DataPipeline {
  spec: DataSpec;
  /** Absent with `testOnly`. */
  train?: BatchLoader;
  /** The held-out part of the training split, with `validationFraction`. */
  val?: BatchLoader;
  test: BatchLoader;
  classes: number;
  classNames?: string[];
  /** What the batches are standardized with (undefined for `none`). */
  normalization?: Normalization;
  /** The batches' image shape: the network's input. */
  shape: Shape;
}

function constantsFor(kind: DataSpec['kind'], c: number, where: string): Normalization {
  const k = KNOWN_NORMALIZATION[kind === 'imagefolder' ? 'tinyimagenet' : kind];
  if (k.mean.length === c) return k;
  if (k.mean.length === 1) return { mean: new Array(c).fill(k.mean[0]), std: new Array(c).fill(k.std[0]) };
  throw new DataError(where, `the documented ${kind} statistics have ${k.mean.length} channels, the network input ${c}`);
}

/**
 * Reads the data set, checks it against the network's input and class count, and returns the
 * training and test loaders. A network with fewer classes than the data set is an error.
 */
export function openData(spec: string | DataSpec, input: Shape, networkClasses: number, o: DataPipelineOptions): DataPipeline {
  const s = typeof spec === 'string' ? parseDataSpec(spec) : spec;
  const test = loadSplit(s, 'test', o);
  const train = o.testOnly ? undefined : loadSplit(s, 'train', o);
  const ref: Dataset = train ?? test;
  if (networkClasses < ref.classes) {
    throw new DataError(s.text, `the data set has ${ref.classes} classes but the network declares only ${networkClasses}`);
  }
  const fit = { shape: input, mode: o.fit ?? 'pad' };
  let normalization: Normalization | undefined;
  const mode = o.normalization ?? 'computed';
  if (mode === 'computed') normalization = train ? channelStats(train, fit) : constantsFor(s.kind, input.c, s.text);
  else if (mode === 'constants') normalization = constantsFor(s.kind, input.c, s.text);
  else if (mode !== 'none') normalization = mode;
  const augment = o.augment ?? (s.kind === 'mnist' ? { padding: 4, flip: false } : { padding: 4, flip: true });
  const seed = o.seed ?? 0;
  const out: DataPipeline = {
    spec: s,
    test: new BatchLoader(test, { batchSize: o.evalBatchSize ?? o.batchSize, shuffle: false, fit, normalization, subset: o.testSubset, seed }),
    classes: ref.classes,
    shape: { ...input },
  };
  if (train && o.validationFraction !== undefined) {
    const all = o.subset ? subsetIndices(train.labels, train.classes, o.subset) : Uint32Array.from({ length: train.labels.length }, (_, i) => i);
    const { kept, held } = holdOut(train.labels, train.classes, all, o.validationFraction, seed);
    out.train = new BatchLoader(train, { batchSize: o.batchSize, seed, fit, normalization, augment, selection: kept });
    out.val = new BatchLoader(train, { batchSize: o.evalBatchSize ?? o.batchSize, shuffle: false, fit, normalization, selection: held, seed });
  } else if (train) out.train = new BatchLoader(train, { batchSize: o.batchSize, seed, fit, normalization, augment, subset: o.subset });
  if (ref.classNames) out.classNames = ref.classNames;
  if (normalization) out.normalization = normalization;
  return out;
}
