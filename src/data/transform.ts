// Fitting images to the network's declared input, per-channel standardization, and the standard
// CIFAR augmentation (random crop with zero padding, horizontal flip).
//
// Order, as torchvision's CIFAR recipe: fit -> augment (in the [0, 1] pixel scale, so crop padding
// is black) -> standardize.

import type { Shape } from '../ir/arch.js';
import { imageSize, type Dataset, type Normalization } from './dataset.js';
import { DataError } from './errors.js';
import type { SplitMix32 } from '../util/rng.js';

/**
 * `pad`: centre the image and fill the border with 0 (28x28 -> 32x32 adds 2 pixels on each side);
 * the target must be at least as large. `resize`: bilinear, half-pixel centres (PyTorch's
 * `interpolate(mode='bilinear', align_corners=False)` without antialiasing).
 */
export type FitMode = 'pad' | 'resize';

export interface FitOptions {
  shape: Shape;
  mode?: FitMode;
}

/** Copies one image into another shape: `(src, srcOffset, dst, dstOffset)`. */
export type ImageFitter = (src: Float32Array, srcOff: number, dst: Float32Array, dstOff: number) => void;

const shapeText = (s: Shape) => `${s.c}x${s.h}x${s.w}`;

/**
 * Checks that `src` images can be fitted to `dst` and returns the copier. Channels: equal, or one
 * channel replicated to every target channel (grayscale to RGB). `what` names the data in errors.
 */
export function imageFitter(src: Shape, dst: Shape, mode: FitMode = 'pad', what = 'data set'): ImageFitter {
  if (src.c !== dst.c && src.c !== 1) {
    throw new DataError(what, `cannot fit ${shapeText(src)} images to the network input ${shapeText(dst)}: channels ${src.c} -> ${dst.c} (only 1 -> N is supported, by replication)`);
  }
  if (mode === 'pad' && (dst.h < src.h || dst.w < src.w)) {
    throw new DataError(what, `cannot pad ${shapeText(src)} images to the smaller network input ${shapeText(dst)}; use resize`);
  }
  const plane = src.h * src.w;
  const oplane = dst.h * dst.w;
  const chan = (c: number) => (src.c === 1 ? 0 : c);
  if (src.h === dst.h && src.w === dst.w) {
    return (s, so, d, doff) => {
      for (let c = 0; c < dst.c; c++) d.set(s.subarray(so + chan(c) * plane, so + (chan(c) + 1) * plane), doff + c * oplane);
    };
  }
  if (mode === 'pad') {
    const top = Math.floor((dst.h - src.h) / 2);
    const left = Math.floor((dst.w - src.w) / 2);
    return (s, so, d, doff) => {
      d.fill(0, doff, doff + dst.c * oplane);
      for (let c = 0; c < dst.c; c++) {
        for (let y = 0; y < src.h; y++) {
          const from = so + chan(c) * plane + y * src.w;
          d.set(s.subarray(from, from + src.w), doff + c * oplane + (y + top) * dst.w + left);
        }
      }
    };
  }
  // Bilinear: precompute the two source taps and weights per output row and column.
  const taps = (inSize: number, outSize: number) => {
    const i0 = new Int32Array(outSize);
    const i1 = new Int32Array(outSize);
    const f = new Float64Array(outSize);
    const scale = inSize / outSize;
    for (let o = 0; o < outSize; o++) {
      const x = Math.max(0, (o + 0.5) * scale - 0.5);
      const lo = Math.min(Math.floor(x), inSize - 1);
      i0[o] = lo;
      i1[o] = Math.min(lo + 1, inSize - 1);
      f[o] = x - lo;
    }
    return { i0, i1, f };
  };
  const ty = taps(src.h, dst.h);
  const tx = taps(src.w, dst.w);
  return (s, so, d, doff) => {
    for (let c = 0; c < dst.c; c++) {
      const sb = so + chan(c) * plane;
      const db = doff + c * oplane;
      for (let y = 0; y < dst.h; y++) {
        const r0 = sb + ty.i0[y] * src.w;
        const r1 = sb + ty.i1[y] * src.w;
        const fy = ty.f[y];
        for (let x = 0; x < dst.w; x++) {
          const a = s[r0 + tx.i0[x]] * (1 - tx.f[x]) + s[r0 + tx.i1[x]] * tx.f[x];
          const b = s[r1 + tx.i0[x]] * (1 - tx.f[x]) + s[r1 + tx.i1[x]] * tx.f[x];
          d[db + y * dst.w + x] = a * (1 - fy) + b * fy;
        }
      }
    }
  };
}

/** A copy of the data set with every image fitted to `o.shape` (see `imageFitter`). */
export function fitDataset(ds: Dataset, o: FitOptions): Dataset {
  const fit = imageFitter(ds.shape, o.shape, o.mode, ds.name);
  const n = ds.labels.length;
  const is = imageSize(ds.shape);
  const os = imageSize(o.shape);
  const images = new Float32Array(n * os);
  for (let i = 0; i < n; i++) fit(ds.images, i * is, images, i * os);
  return { ...ds, images, shape: { ...o.shape } };
}

/**
 * Documented constants: per-channel mean and std of each training set in the [0, 1] scale, at its
 * native size (population std over all training pixels). Padding changes them (28x28 -> 32x32
 * adds black border), which is why the pipeline computes statistics by default.
 * - mnist: 0.1307 / 0.3081 (the values every PyTorch MNIST example uses)
 * - fashion-mnist: 0.2860 / 0.3530 (computed from the 60,000 training images)
 * - cifar10: (0.4914, 0.4822, 0.4465) / (0.2470, 0.2435, 0.2616)
 * - cifar100: (0.5071, 0.4865, 0.4409) / (0.2673, 0.2564, 0.2762)
 * - tinyimagenet: (0.4802, 0.4481, 0.3975) / (0.2770, 0.2691, 0.2821)
 */
export const KNOWN_NORMALIZATION: Record<string, Normalization> = {
  mnist: { mean: [0.1307], std: [0.3081] },
  'fashion-mnist': { mean: [0.286], std: [0.353] },
  cifar10: { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] },
  cifar100: { mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762] },
  tinyimagenet: { mean: [0.4802, 0.4481, 0.3975], std: [0.277, 0.2691, 0.2821] },
};

/**
 * Per-channel mean and population std over every pixel of the set, after fitting to `fit` when
 * given (images are fitted one at a time; nothing large is allocated). Accumulates in float64.
 */
export function channelStats(ds: Dataset, fit?: FitOptions): Normalization {
  const shape = fit ? fit.shape : ds.shape;
  const fitter = fit ? imageFitter(ds.shape, fit.shape, fit.mode, ds.name) : undefined;
  const is = imageSize(ds.shape);
  const os = imageSize(shape);
  const plane = shape.h * shape.w;
  const scratch = new Float32Array(os);
  const sum = new Float64Array(shape.c);
  const sq = new Float64Array(shape.c);
  const n = ds.labels.length;
  for (let i = 0; i < n; i++) {
    let src = ds.images;
    let off = i * is;
    if (fitter) {
      fitter(ds.images, off, scratch, 0);
      src = scratch;
      off = 0;
    }
    for (let c = 0; c < shape.c; c++) {
      let s = 0;
      let q = 0;
      for (let k = off + c * plane, end = k + plane; k < end; k++) {
        const v = src[k];
        s += v;
        q += v * v;
      }
      sum[c] += s;
      sq[c] += q;
    }
  }
  const count = n * plane;
  const mean = Array.from(sum, (s) => s / count);
  const std = Array.from(sq, (q, c) => Math.sqrt(Math.max(q / count - mean[c] * mean[c], 0)));
  if (std.some((s) => !(s > 0))) throw new DataError(ds.name, 'a channel has zero variance; cannot standardize');
  return { mean, std };
}

/** (x - mean[c]) / std[c] over `count` images of `shape`, in place. */
export function standardizeInPlace(images: Float32Array, shape: Shape, norm: Normalization, count = images.length / imageSize(shape)): void {
  if (norm.mean.length !== shape.c || norm.std.length !== shape.c) {
    throw new Error(`normalization has ${norm.mean.length} means and ${norm.std.length} stds for ${shape.c} channels`);
  }
  const plane = shape.h * shape.w;
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < shape.c; c++) {
      const m = norm.mean[c];
      const inv = 1 / norm.std[c];
      for (let k = (i * shape.c + c) * plane, end = k + plane; k < end; k++) images[k] = (images[k] - m) * inv;
    }
  }
}

/** A standardized copy of the set, with `normalization` recorded. */
export function standardize(ds: Dataset, norm: Normalization): Dataset {
  const images = ds.images.slice();
  standardizeInPlace(images, ds.shape, norm);
  return { ...ds, images, normalization: { mean: [...norm.mean], std: [...norm.std] } };
}

export interface AugmentOptions {
  /** Random crop back to the original size from the image zero-padded by this many pixels; 0 disables. Default 4. */
  padding?: number;
  /** Horizontal flip with probability 1/2. Default true. */
  flip?: boolean;
}

/**
 * torchvision's `RandomCrop(size, padding=p)` then `RandomHorizontalFlip()` on one image: draws the
 * crop offsets (rows, then columns, each uniform in 0..2p) and then the flip, in that order, from
 * `rng`. `src` and `dst` must not overlap.
 */
export function augmentImage(
  src: Float32Array,
  srcOff: number,
  dst: Float32Array,
  dstOff: number,
  shape: Shape,
  rng: SplitMix32,
  o: AugmentOptions = {},
): void {
  const p = o.padding ?? 4;
  const dy = p > 0 ? rng.int(2 * p + 1) - p : 0;
  const dx = p > 0 ? rng.int(2 * p + 1) - p : 0;
  const flip = (o.flip ?? true) && rng.next() < 0.5;
  const { c: C, h: H, w: W } = shape;
  for (let c = 0; c < C; c++) {
    const sb = srcOff + c * H * W;
    const db = dstOff + c * H * W;
    for (let y = 0; y < H; y++) {
      const sy = y + dy;
      for (let x = 0; x < W; x++) {
        const ox = flip ? W - 1 - x : x;
        const sx = ox + dx;
        dst[db + y * W + x] = sy >= 0 && sy < H && sx >= 0 && sx < W ? src[sb + sy * W + sx] : 0;
      }
    }
  }
}
