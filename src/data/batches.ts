// Batches for training and evaluation: a seeded, epoch-dependent shuffle, fitting to the network's
// input, augmentation and standardization applied per batch (so a 60,000-image grayscale set is not
// expanded to 3x32x32 in memory), and a subset option for short runs.
//
// Every batch is a pure function of (seed, epoch, batch index): the order of epoch e comes from
// splitmix32 seeded with deriveSeed(seed, ORDER, e) and a batch's augmentation from
// deriveSeed(seed, AUGMENT, e, index). Resuming at (epoch, index) therefore reproduces the batches
// an uninterrupted run would have seen, with no generator state to carry.

import type { Shape } from '../ir/arch.js';
import { imageSize, subsetIndices, type Dataset, type Normalization, type SubsetOptions } from './dataset.js';
import { deriveSeed, SplitMix32 } from '../util/rng.js';
import { augmentImage, imageFitter, standardizeInPlace, type AugmentOptions, type FitOptions, type ImageFitter } from './transform.js';

const ORDER = 0x0bde7;
const AUGMENT = 0xa0a0;

export interface LoaderOptions {
  batchSize: number;
  /** Data-order seed (default 0). */
  seed?: number;
  /** Shuffle each epoch (default true); false keeps file order (evaluation). */
  shuffle?: boolean;
  /** Drop the last, smaller batch (default false). */
  dropLast?: boolean;
  /** Random crop + flip (default off). */
  augment?: AugmentOptions | false;
  /** Fit each image to this shape (default: the data set's own shape). */
  fit?: FitOptions;
  /** Standardize after fitting and augmentation (default: leave as is). */
  normalization?: Normalization;
  /** Use only these examples (first N, or N stratified over the classes). */
  subset?: SubsetOptions;
  /** Use exactly these examples (ascending indices); takes the place of `subset`. */
  selection?: Uint32Array;
}

export interface Batch {
  epoch: number;
  /** Batch number within the epoch, from 0. */
  index: number;
  size: number;
  /** size x C x H x W, standardized if the loader has a normalization. */
  images: Float32Array;
  labels: Int32Array;
  /** Which examples of the data set, in batch order. */
  indices: Uint32Array;
}

export class BatchLoader {
  readonly dataset: Dataset;
  /** Shape of the images in each batch. */
  readonly shape: Shape;
  readonly batchSize: number;
  /** Examples used per epoch (after the subset). */
  readonly count: number;
  readonly batchesPerEpoch: number;
  /** The examples in use, ascending. */
  readonly selection: Uint32Array;
  private readonly o: LoaderOptions;
  private readonly fitter: ImageFitter;
  private cached: { epoch: number; order: Uint32Array } | undefined;

  constructor(dataset: Dataset, o: LoaderOptions) {
    if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new Error(`batch size must be a positive integer, got ${o.batchSize}`);
    this.dataset = dataset;
    this.o = o;
    this.batchSize = o.batchSize;
    this.shape = o.fit ? { ...o.fit.shape } : { ...dataset.shape };
    this.fitter = imageFitter(dataset.shape, this.shape, o.fit?.mode, dataset.name);
    this.selection = o.selection
      ? o.selection.slice()
      : o.subset
      ? subsetIndices(dataset.labels, dataset.classes, o.subset)
      : Uint32Array.from({ length: dataset.labels.length }, (_, i) => i);
    this.count = this.selection.length;
    this.batchesPerEpoch = o.dropLast ? Math.floor(this.count / o.batchSize) : Math.ceil(this.count / o.batchSize);
    if (o.normalization && (o.normalization.mean.length !== this.shape.c || o.normalization.std.length !== this.shape.c)) {
      throw new Error(`normalization has ${o.normalization.mean.length} channels, the images ${this.shape.c}`);
    }
  }

  get seed(): number {
    return this.o.seed ?? 0;
  }

  /** The example order of an epoch (a permutation of `selection`; `selection` itself if not shuffling). */
  order(epoch: number): Uint32Array {
    if (this.cached?.epoch === epoch) return this.cached.order;
    const order = this.selection.slice();
    if (this.o.shuffle ?? true) new SplitMix32(deriveSeed(this.seed, ORDER, epoch)).shuffle(order);
    this.cached = { epoch, order };
    return order;
  }

  batch(epoch: number, index: number): Batch {
    if (!Number.isInteger(index) || index < 0 || index >= this.batchesPerEpoch) {
      throw new Error(`batch ${index} out of range: an epoch has ${this.batchesPerEpoch} batches`);
    }
    const order = this.order(epoch);
    const start = index * this.batchSize;
    const end = Math.min(start + this.batchSize, this.count);
    const size = end - start;
    const indices = order.slice(start, end);
    const is = imageSize(this.dataset.shape);
    const os = imageSize(this.shape);
    const images = new Float32Array(size * os);
    const labels = new Int32Array(size);
    const aug = this.o.augment;
    const rng = aug ? new SplitMix32(deriveSeed(this.seed, AUGMENT, epoch, index)) : undefined;
    const scratch = aug ? new Float32Array(os) : undefined;
    for (let i = 0; i < size; i++) {
      const j = indices[i];
      labels[i] = this.dataset.labels[j];
      if (aug && rng && scratch) {
        this.fitter(this.dataset.images, j * is, scratch, 0);
        augmentImage(scratch, 0, images, i * os, this.shape, rng, aug);
      } else {
        this.fitter(this.dataset.images, j * is, images, i * os);
      }
    }
    if (this.o.normalization) standardizeInPlace(images, this.shape, this.o.normalization, size);
    return { epoch, index, size, images, labels, indices };
  }

  /** The batches of an epoch, starting at batch `from` (for resuming mid-epoch). */
  *epoch(epoch: number, from = 0): Generator<Batch> {
    for (let i = from; i < this.batchesPerEpoch; i++) yield this.batch(epoch, i);
  }
}
