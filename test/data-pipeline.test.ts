// The data pipeline after reading: PRNG, fitting to the network input, standardization,
// augmentation, the batch loader (order, resume, subsets) and openData.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchLoader } from '../src/data/batches.js';
import { classCounts, subsetIndices, type Dataset } from '../src/data/dataset.js';
import { DataError } from '../src/data/errors.js';
import { openData } from '../src/data/pipeline.js';
import { deriveSeed, SplitMix32 } from '../src/util/rng.js';
import { augmentImage, channelStats, fitDataset, imageFitter, standardize } from '../src/data/transform.js';

describe('splitmix32', () => {
  it('is deterministic, and its state saves and restores', () => {
    const a = new SplitMix32(42);
    const first = [a.nextU32(), a.nextU32(), a.nextU32()];
    expect([new SplitMix32(42).nextU32(), new SplitMix32(43).nextU32()]).not.toEqual([first[0], first[0]]);
    const saved = a.state;
    const next = [a.nextU32(), a.next(), a.int(10)];
    const b = SplitMix32.fromState(JSON.parse(JSON.stringify(saved)));
    expect([b.nextU32(), b.next(), b.int(10)]).toEqual(next);
    expect(() => new SplitMix32(0).setState(-1)).toThrow(/unsigned 32-bit/);
  });
  it('is uniform enough: int(10) histogram of 20,000 draws within 5% of 2,000', () => {
    const r = new SplitMix32(1);
    const h = new Array(10).fill(0);
    for (let i = 0; i < 20_000; i++) h[r.int(10)]++;
    for (const c of h) expect(Math.abs(c - 2000)).toBeLessThan(100);
  });
  it('shuffles into a permutation; derived seeds differ per key', () => {
    const p = new SplitMix32(5).shuffle(Uint32Array.from({ length: 50 }, (_, i) => i));
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(p)).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(new Set([deriveSeed(1, 0), deriveSeed(1, 1), deriveSeed(2, 0), deriveSeed(1, 0, 0)]).size).toBe(4);
  });
});

function ramp(n: number, c: number, h: number, w: number): Dataset {
  const images = Float32Array.from({ length: n * c * h * w }, (_, k) => (k % 97) / 96);
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 3);
  return { name: 'ramp/train', images, labels, shape: { c, h, w }, classes: 3 };
}

describe('fitting to the network input', () => {
  it('pads 28x28 to 32x32 with 2 black pixels each side and replicates gray to 3 channels', () => {
    const ds = ramp(2, 1, 28, 28);
    const f = fitDataset(ds, { shape: { c: 3, h: 32, w: 32 } });
    expect(f.shape).toEqual({ c: 3, h: 32, w: 32 });
    expect(f.images.length).toBe(2 * 3 * 1024);
    for (let c = 0; c < 3; c++) {
      const at = (y: number, x: number) => f.images[3 * 1024 + c * 1024 + y * 32 + x];
      expect(at(0, 0)).toBe(0);
      expect(at(1, 20)).toBe(0);
      expect(at(20, 31)).toBe(0);
      expect(at(2, 2)).toBe(ds.images[784]);
      expect(at(2 + 5, 2 + 9)).toBe(ds.images[784 + 5 * 28 + 9]);
      expect(at(29, 29)).toBe(ds.images[784 + 27 * 28 + 27]);
    }
  });
  it('resizes bilinearly with half-pixel centres (PyTorch align_corners=False)', () => {
    const fit = imageFitter({ c: 1, h: 2, w: 2 }, { c: 1, h: 4, w: 4 }, 'resize');
    const out = new Float32Array(16);
    fit(Float32Array.from([0, 1, 2, 3]), 0, out, 0);
    expect(Array.from(out)).toEqual([0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3]);
    const down = new Float32Array(4);
    imageFitter({ c: 1, h: 4, w: 4 }, { c: 1, h: 2, w: 2 }, 'resize')(out, 0, down, 0);
    expect(Array.from(down)).toEqual([0.375, 1.125, 1.875, 2.625]);
  });
  it('refuses what it cannot do, naming the data set', () => {
    expect(() => imageFitter({ c: 3, h: 32, w: 32 }, { c: 1, h: 32, w: 32 }, 'pad', 'cifar10/train')).toThrow(/cifar10\/train: cannot fit 3x32x32 images to the network input 1x32x32/);
    expect(() => imageFitter({ c: 1, h: 28, w: 28 }, { c: 1, h: 16, w: 16 }, 'pad', 'x')).toThrow(/cannot pad .* smaller .* use resize/);
    expect(() => imageFitter({ c: 1, h: 28, w: 28 }, { c: 1, h: 16, w: 16 }, 'resize')).not.toThrow();
  });
});

describe('standardization', () => {
  it('computes per-channel mean and population std, after fitting when asked', () => {
    const ds: Dataset = { name: 't', images: Float32Array.from([0, 1, 0, 1, 0.5, 0.5, 0.5, 0.5]), labels: new Uint8Array(2), shape: { c: 2, h: 1, w: 2 }, classes: 1 };
    // image 0: ch0 [0, 1], ch1 [0, 1]; image 1: ch0 [0.5, 0.5], ch1 [0.5, 0.5]
    const s = channelStats(ds);
    expect(s.mean).toEqual([0.5, 0.5]);
    expect(s.std[0]).toBeCloseTo(Math.sqrt(0.125), 12);
    const padded = channelStats(ds, { shape: { c: 2, h: 1, w: 4 } });
    expect(padded.mean[0]).toBeCloseTo(0.25, 12);
    const z = standardize(ds, s);
    const again = channelStats(z);
    expect(again.mean[0]).toBeCloseTo(0, 6);
    expect(again.std[1]).toBeCloseTo(1, 6);
    expect(z.normalization).toEqual(s);
  });
});

describe('augmentation', () => {
  it('is a shift by -4..4 in each direction with zero fill, flipped about half the time', () => {
    const shape = { c: 2, h: 8, w: 8 };
    const src = Float32Array.from({ length: 128 }, (_, k) => 1 + k);
    const dst = new Float32Array(128);
    const rng = new SplitMix32(9);
    let flips = 0;
    const shifts = new Set<string>();
    for (let t = 0; t < 400; t++) {
      augmentImage(src, 0, dst, 0, shape, rng);
      let found = false;
      for (let dy = -4; dy <= 4 && !found; dy++) {
        for (let dx = -4; dx <= 4 && !found; dx++) {
          for (const flip of [false, true]) {
            let ok = true;
            for (let c = 0; c < 2 && ok; c++) {
              for (let y = 0; y < 8 && ok; y++) {
                for (let x = 0; x < 8 && ok; x++) {
                  const sy = y + dy;
                  const sx = (flip ? 7 - x : x) + dx;
                  const want = sy >= 0 && sy < 8 && sx >= 0 && sx < 8 ? src[c * 64 + sy * 8 + sx] : 0;
                  ok = dst[c * 64 + y * 8 + x] === want;
                }
              }
            }
            if (ok) {
              found = true;
              if (flip) flips++;
              shifts.add(`${dy},${dx}`);
              break;
            }
          }
        }
      }
      expect(found).toBe(true);
    }
    expect(flips).toBeGreaterThan(160);
    expect(flips).toBeLessThan(240);
    expect(shifts.size).toBeGreaterThan(60); // of the 81 possible
  });
  it('padding 0 and no flip is the identity', () => {
    const src = Float32Array.from({ length: 16 }, (_, k) => k);
    const dst = new Float32Array(16);
    augmentImage(src, 0, dst, 0, { c: 1, h: 4, w: 4 }, new SplitMix32(1), { padding: 0, flip: false });
    expect(Array.from(dst)).toEqual(Array.from(src));
  });
});

describe('subsets', () => {
  const labels = Uint8Array.from([0, 0, 0, 0, 1, 2, 1, 0, 2, 2, 1, 0]);
  it('first N', () => {
    expect(Array.from(subsetIndices(labels, 3, { count: 4 }))).toEqual([0, 1, 2, 3]);
  });
  it('stratified N: classes round-robin in file order', () => {
    const s = subsetIndices(labels, 3, { count: 7, mode: 'stratified' });
    // class 0: 0 1 2 3 7 11; class 1: 4 6 10; class 2: 5 8 9 -> rounds (0 4 5) (1 6 8) (2)
    expect(Array.from(s)).toEqual([0, 1, 2, 4, 5, 6, 8]);
    expect(classCounts(Array.from(s, (i) => labels[i]), 3)).toEqual([3, 2, 2]);
    expect(subsetIndices(labels, 3, { count: 100, mode: 'stratified' }).length).toBe(12);
  });
});

describe('batch loader', () => {
  const ds = ramp(23, 1, 4, 4);
  it('each epoch is a seeded permutation; epochs differ; the same seed repeats', () => {
    const a = new BatchLoader(ds, { batchSize: 5, seed: 3 });
    expect(a.batchesPerEpoch).toBe(5);
    const e0 = [...a.epoch(0)].flatMap((b) => Array.from(b.indices));
    const e1 = [...a.epoch(1)].flatMap((b) => Array.from(b.indices));
    expect([...e0].sort((x, y) => x - y)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(e0).not.toEqual(e1);
    const b = new BatchLoader(ds, { batchSize: 5, seed: 3 });
    expect([...b.epoch(1)].flatMap((x) => Array.from(x.indices))).toEqual(e1);
    expect([...new BatchLoader(ds, { batchSize: 5, seed: 4 }).epoch(1)].flatMap((x) => Array.from(x.indices))).not.toEqual(e1);
    expect([...a.epoch(0)].map((x) => x.size)).toEqual([5, 5, 5, 5, 3]);
    expect(new BatchLoader(ds, { batchSize: 5, dropLast: true }).batchesPerEpoch).toBe(4);
  });
  it('a batch depends only on (seed, epoch, index): resuming mid-epoch sees the same batches, augmentation included', () => {
    const o = { batchSize: 4, seed: 11, augment: { padding: 1 }, fit: { shape: { c: 3, h: 6, w: 6 } } };
    const full = [...new BatchLoader(ds, o).epoch(2)];
    const resumed = [...new BatchLoader(ds, o).epoch(2, 3)];
    expect(resumed.length).toBe(full.length - 3);
    resumed.forEach((b, i) => {
      expect(b.index).toBe(i + 3);
      expect(Array.from(b.images)).toEqual(Array.from(full[i + 3].images));
      expect(Array.from(b.labels)).toEqual(Array.from(full[i + 3].labels));
    });
  });
  it('fits, standardizes and labels each batch like the eager path', () => {
    const shape = { c: 3, h: 6, w: 6 };
    const norm = { mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.5] };
    const loader = new BatchLoader(ds, { batchSize: 8, shuffle: false, fit: { shape }, normalization: norm });
    const eager = standardize(fitDataset(ds, { shape }), norm);
    const b = loader.batch(0, 1);
    expect(Array.from(b.indices)).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
    expect(Array.from(b.labels)).toEqual(Array.from(eager.labels.subarray(8, 16)));
    const want = eager.images.subarray(8 * 108, 16 * 108);
    for (let i = 0; i < want.length; i++) expect(b.images[i]).toBeCloseTo(want[i], 6);
  });
  it('subsets for short runs', () => {
    const l = new BatchLoader(ds, { batchSize: 4, subset: { count: 9, mode: 'stratified' } });
    expect(l.count).toBe(9);
    const labels = [...l.epoch(0)].flatMap((b) => Array.from(b.labels));
    expect(classCounts(labels, 3)).toEqual([3, 3, 3]);
  });
  it('rejects bad arguments', () => {
    expect(() => new BatchLoader(ds, { batchSize: 0 })).toThrow(/batch size/);
    expect(() => new BatchLoader(ds, { batchSize: 4 }).batch(0, 6)).toThrow(/batch 6 out of range: an epoch has 6 batches/);
  });
});

describe('openData', () => {
  const root = mkdtempSync(join(tmpdir(), 'hrn-pipe-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'fm');
  mkdirSync(dir);
  const idx = (dims: number[], data: ArrayLike<number>) => {
    const out = new Uint8Array(4 + 4 * dims.length + data.length);
    out[2] = 8;
    out[3] = dims.length;
    dims.forEach((d, i) => new DataView(out.buffer).setUint32(4 + 4 * i, d, false));
    out.set(Array.from(data), 4 + 4 * dims.length);
    return gzipSync(out);
  };
  const n = 20;
  const px = Uint8Array.from({ length: n * 28 * 28 }, (_, k) => (k * 13) % 256);
  const lb = Uint8Array.from({ length: n }, (_, i) => i % 10);
  for (const p of ['train', 't10k']) {
    writeFileSync(join(dir, `${p}-images-idx3-ubyte.gz`), idx([n, 28, 28], px));
    writeFileSync(join(dir, `${p}-labels-idx1-ubyte.gz`), idx([n], lb));
  }

  it('gives train and test loaders in the network input shape, standardized with training statistics', () => {
    const d = openData(`fashion-mnist:${dir}`, { c: 3, h: 32, w: 32 }, 10, { batchSize: 8, seed: 1, subset: { count: 10, mode: 'stratified' } });
    expect(d.classes).toBe(10);
    expect(d.shape).toEqual({ c: 3, h: 32, w: 32 });
    expect(d.train!.count).toBe(10);
    expect(d.test.count).toBe(20);
    expect(d.normalization!.mean.length).toBe(3);
    const b = d.test.batch(0, 0);
    expect(b.images.length).toBe(8 * 3 * 1024);
    // The padding border is black in [0, 1], so -mean/std after standardization.
    expect(b.images[0]).toBeCloseTo(-d.normalization!.mean[0] / d.normalization!.std[0], 5);
    const constants = openData(`fashion-mnist:${dir}`, { c: 1, h: 28, w: 28 }, 10, { batchSize: 8, normalization: 'constants', testOnly: true });
    expect(constants.normalization).toEqual({ mean: [0.286], std: [0.353] });
    expect(constants.train).toBeUndefined();
  });
  it('refuses a network with fewer classes than the data set', () => {
    expect(() => openData(`fashion-mnist:${dir}`, { c: 1, h: 28, w: 28 }, 5, { batchSize: 8 })).toThrow(DataError);
    expect(() => openData(`fashion-mnist:${dir}`, { c: 1, h: 28, w: 28 }, 5, { batchSize: 8 })).toThrow(/has 10 classes but the network declares only 5/);
  });
});
