// The in-memory data set every reader returns and every later step consumes.

import type { Shape } from '../ir/arch.js';
import { deriveSeed, SplitMix32 } from '../util/rng.js';

export type Labels = Uint8Array | Int32Array;

/**
 * A labelled image set. `images` is N x C x H x W, float32, densely packed. Readers return pixel
 * values scaled to [0, 1] (byte / 255); `standardize` in transform.ts then applies the per-channel
 * (x - mean) / std and records it in `normalization`.
 */
export interface Dataset {
  /** What the set is, for messages and logs: `fashion-mnist/train`, `cifar10/test`, ... */
  name: string;
  images: Float32Array;
  labels: Labels;
  shape: Shape;
  classes: number;
  /** Class names where the format has them (CIFAR meta files, image-folder class directories). */
  classNames?: string[];
  /** Set once the images are standardized per channel. */
  normalization?: Normalization;
}

/** Per-channel mean and standard deviation, in the [0, 1] pixel scale. */
export interface Normalization {
  mean: number[];
  std: number[];
}

export type Split = 'train' | 'test';

export function imageSize(shape: Shape): number {
  return shape.c * shape.h * shape.w;
}

/** How many examples each class has. */
export function classCounts(labels: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}

export type SubsetMode = 'first' | 'stratified';

export interface SubsetOptions {
  count: number;
  /** `first`: the first N examples. `stratified`: N examples spread evenly over the classes. */
  mode?: SubsetMode;
}

/**
 * Indices (ascending) of a subset. Stratified takes classes round-robin, each class contributing
 * its examples in file order, so the counts per class differ by at most one (unless a class runs
 * out); the choice is deterministic and needs no seed.
 */
export function subsetIndices(labels: ArrayLike<number>, classes: number, o: SubsetOptions): Uint32Array {
  const n = labels.length;
  if (!Number.isInteger(o.count) || o.count < 1) throw new Error(`subset: count must be a positive integer, got ${o.count}`);
  const count = Math.min(o.count, n);
  if ((o.mode ?? 'first') === 'first') return Uint32Array.from({ length: count }, (_, i) => i);
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < n; i++) byClass[labels[i]].push(i);
  const out: number[] = [];
  const next = new Array<number>(classes).fill(0);
  while (out.length < count) {
    for (let c = 0; c < classes && out.length < count; c++) {
      const list = byClass[c];
      if (next[c] < list.length) out.push(list[next[c]++]);
    }
  }
  return Uint32Array.from(out.sort((a, b) => a - b));
}

/** Seed key of the hold-out stream (see `holdOut`). */
const HOLD_OUT = 0x7a1d;

/**
 * Splits `selection` (ascending example indices) into the examples kept for training and those
 * held out for validation: round(fraction x n) of each class's n examples, chosen by a shuffle
 * seeded with `seed` and the class, so the split is stratified and the same for the same seed.
 * Both lists are ascending.
 */
export function holdOut(labels: ArrayLike<number>, classes: number, selection: Uint32Array, fraction: number, seed: number): { kept: Uint32Array; held: Uint32Array } {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`hold-out: fraction must be between 0 and 1, got ${fraction}`);
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (const i of selection) byClass[labels[i]].push(i);
  const held: number[] = [];
  byClass.forEach((members, c) => {
    const order = Uint32Array.from(members);
    new SplitMix32(deriveSeed(seed, HOLD_OUT, c)).shuffle(order);
    held.push(...order.subarray(0, Math.round(fraction * members.length)));
  });
  const isHeld = new Set(held);
  return { kept: selection.filter((i) => !isHeld.has(i)), held: Uint32Array.from(held.sort((a, b) => a - b)) };
}
