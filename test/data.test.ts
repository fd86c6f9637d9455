// Data readers: small files written here (valid and damaged), checked value by value, and the
// real Fashion-MNIST test set when the Debian package has installed it.

import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { afterAll, describe, expect, it } from 'vitest';
import { classCounts } from '../src/data/dataset.js';
import { DataError } from '../src/data/errors.js';
import { readCifar10, readCifar100 } from '../src/data/cifar.js';
import { parseIdx, readIdxDataset } from '../src/data/idx.js';
import { readImageFolder } from '../src/data/imagefolder.js';
import { loadSplit, parseDataSpec } from '../src/data/spec.js';

const root = mkdtempSync(join(tmpdir(), 'hrn-data-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirCount = 0;
const freshDir = (name: string) => {
  const d = join(root, `${name}-${dirCount++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

function idxBytes(typeCode: number, dims: number[], data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out[2] = typeCode;
  out[3] = dims.length;
  const v = new DataView(out.buffer);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(Array.from(data), 4 + 4 * dims.length);
  return out;
}

/** An MNIST-style directory: n images of h x w with pixel (i, y, x) = (i * 7 + y * w + x) % 256. */
function writeIdxDir(o: { n?: number; h?: number; w?: number; gzip?: boolean; labels?: number[] } = {}): { dir: string; pixels: Uint8Array; labels: number[] } {
  const n = o.n ?? 6;
  const h = o.h ?? 4;
  const w = o.w ?? 3;
  const dir = freshDir('idx');
  const pixels = Uint8Array.from({ length: n * h * w }, (_, k) => {
    const i = Math.floor(k / (h * w));
    return (i * 7 + (k % (h * w))) % 256;
  });
  const labels = o.labels ?? Array.from({ length: n }, (_, i) => i % 10);
  for (const prefix of ['train', 't10k']) {
    const img = idxBytes(8, [n, h, w], pixels);
    const lbl = idxBytes(8, [n], labels);
    const gz = o.gzip ?? true;
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte${gz ? '.gz' : ''}`), gz ? gzipSync(img) : img);
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte${gz ? '.gz' : ''}`), gz ? gzipSync(lbl) : lbl);
  }
  return { dir, pixels, labels };
}

function expectDataError(f: () => unknown, file: string, message: RegExp): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DataError);
  expect((err as DataError).file).toContain(file);
  expect((err as Error).message).toContain(file);
  expect((err as Error).message).toMatch(message);
}

describe('IDX (MNIST, Fashion-MNIST)', () => {
  it('reads gzipped files: pixels / 255 in N x 1 x H x W order, labels as bytes', () => {
    const { dir, pixels, labels } = writeIdxDir();
    const ds = readIdxDataset(dir, 'train', { name: 'fashion-mnist' });
    expect(ds.name).toBe('fashion-mnist/train');
    expect(ds.shape).toEqual({ c: 1, h: 4, w: 3 });
    expect(ds.classes).toBe(10);
    expect(ds.images.length).toBe(6 * 12);
    for (let k = 0; k < pixels.length; k++) expect(ds.images[k]).toBeCloseTo(pixels[k] / 255, 7);
    expect(Array.from(ds.labels)).toEqual(labels);
    expect(ds.labels).toBeInstanceOf(Uint8Array);
  });

  it('reads raw (not gzipped) files and the test split', () => {
    const { dir, pixels } = writeIdxDir({ gzip: false, n: 3 });
    const ds = readIdxDataset(dir, 'test');
    expect(ds.labels.length).toBe(3);
    expect(ds.images[5]).toBeCloseTo(pixels[5] / 255, 7);
  });

  it('rejects a bad magic number', () => {
    const { dir } = writeIdxDir({ gzip: false });
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), Uint8Array.from([0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1]));
    expectDataError(() => readIdxDataset(dir, 'train'), 'train-images-idx3-ubyte', /bad magic number 0x12345678/);
    // Labels where images belong: an idx1 file in the images slot.
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxBytes(8, [6], [0, 1, 2, 3, 4, 5]));
    expectDataError(() => readIdxDataset(dir, 'train'), 'train-images-idx3-ubyte', /bad magic number 0x00000801: 1-dimensional data where images/);
  });

  it('rejects an unsupported element type', () => {
    const { dir } = writeIdxDir({ gzip: false });
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxBytes(0x0d, [1], [0, 0, 0, 0]));
    expectDataError(() => readIdxDataset(dir, 'train'), 'train-labels-idx1-ubyte', /unsupported IDX element type 0x0d \(float\)/);
  });

  it('rejects a truncated image file (size mismatch with the header)', () => {
    const { dir } = writeIdxDir({ gzip: false });
    const full = idxBytes(8, [6, 4, 3], new Uint8Array(72));
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), full.subarray(0, full.length - 10));
    expectDataError(() => readIdxDataset(dir, 'train'), 'train-images-idx3-ubyte', /size mismatch with the header: dimensions 6x4x3 need 72 bytes of data, the file has 62 \(truncated\?\)/);
  });

  it('rejects a label out of range', () => {
    const { dir } = writeIdxDir({ labels: [0, 1, 2, 10, 4, 5] });
    expectDataError(() => readIdxDataset(dir, 'train'), 'train-labels-idx1-ubyte.gz', /label out of range: label 10 at index 3, expected 0..9/);
  });

  it('rejects a label count that differs from the image count', () => {
    const { dir } = writeIdxDir({ gzip: false });
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idxBytes(8, [5], [0, 1, 2, 3, 4]));
    expectDataError(() => readIdxDataset(dir, 'test'), 't10k-labels-idx1-ubyte', /5 labels for the 6 images/);
  });

  it('rejects a .gz file that is not gzip, and a truncated gzip stream', () => {
    const { dir } = writeIdxDir();
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), '<html>not found</html>');
    expectDataError(() => readIdxDataset(dir, 'train'), 'train-images-idx3-ubyte.gz', /not gzip: .* starts with 3c 68, not the gzip magic 1f 8b/);
    const good = gzipSync(idxBytes(8, [6, 4, 3], new Uint8Array(72)));
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), good.subarray(0, good.length - 12));
    expectDataError(() => readIdxDataset(dir, 'train'), 'train-images-idx3-ubyte.gz', /corrupt or truncated gzip data/);
  });

  it('names the expected files when one is missing, and the directory when it is absent', () => {
    const { dir } = writeIdxDir();
    rmSync(join(dir, 't10k-labels-idx1-ubyte.gz'));
    expectDataError(
      () => readIdxDataset(dir, 'test'),
      't10k-labels-idx1-ubyte',
      /missing file: .*train-images-idx3-ubyte\[\.gz\], train-labels-idx1-ubyte\[\.gz\], t10k-images-idx3-ubyte\[\.gz\], t10k-labels-idx1-ubyte\[\.gz\]/,
    );
    expectDataError(() => readIdxDataset(join(root, 'nowhere'), 'test'), 'nowhere', /directory does not exist/);
  });

  it('parses an IDX buffer directly', () => {
    const a = parseIdx(idxBytes(8, [2, 2], [1, 2, 3, 4]), 'mem');
    expect(a.dims).toEqual([2, 2]);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4]);
    expect(() => parseIdx(new Uint8Array(2), 'mem')).toThrow(/mem: truncated: 2 bytes/);
  });
});

const FASHION = '/usr/share/datasets/fashion-mnist';

describe('the real Fashion-MNIST', () => {
  it('test set: 10,000 images of 1x28x28 in [0, 1], 1,000 of each label 0..9', (ctx) => {
    if (!existsSync(FASHION)) ctx.skip(`${FASHION} is absent (apt-get install dataset-fashion-mnist installs it)`);
    const ds = loadSplit(`fashion-mnist:${FASHION}`, 'test');
    expect(ds.labels.length).toBe(10_000);
    expect(ds.shape).toEqual({ c: 1, h: 28, w: 28 });
    expect(ds.images.length).toBe(10_000 * 784);
    expect(classCounts(ds.labels, 10)).toEqual(new Array(10).fill(1000));
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const v of ds.images) {
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    // The documented training-set mean is 0.2860; the test set's is close to it.
    expect(sum / ds.images.length).toBeCloseTo(0.286, 2);
    expect(ds.classNames?.[9]).toBe('Ankle boot');
  });
});

function cifarRecord(labels: number[], seed: number): Uint8Array {
  const r = new Uint8Array(labels.length + 3072);
  r.set(labels, 0);
  for (let i = 0; i < 3072; i++) r[labels.length + i] = (seed * 31 + i) % 256;
  return r;
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('CIFAR-10 binary', () => {
  function writeCifar10(dir: string, perBatch = 2): void {
    for (let b = 1; b <= 5; b++) {
      writeFileSync(join(dir, `data_batch_${b}.bin`), concatBytes(Array.from({ length: perBatch }, (_, r) => cifarRecord([(b + r) % 10], b * 10 + r))));
    }
    writeFileSync(join(dir, 'test_batch.bin'), concatBytes([cifarRecord([9], 99), cifarRecord([3], 98)]));
    writeFileSync(join(dir, 'batches.meta.txt'), 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n');
  }

  it('reads the five training batches in order: labels, CHW pixels / 255, class names', () => {
    const dir = freshDir('c10');
    writeCifar10(dir);
    const ds = readCifar10(dir, 'train');
    expect(ds.shape).toEqual({ c: 3, h: 32, w: 32 });
    expect(ds.labels.length).toBe(10);
    expect(Array.from(ds.labels)).toEqual([1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
    // Record 3 is batch 2, row 1: seed 21. Pixel (c=1, y=2, x=5) is byte 1024 + 2*32 + 5.
    const k = 1024 + 64 + 5;
    expect(ds.images[3 * 3072 + k]).toBeCloseTo(((21 * 31 + k) % 256) / 255, 7);
    expect(ds.classNames?.[3]).toBe('cat');
    const test = readCifar10(dir, 'test');
    expect(Array.from(test.labels)).toEqual([9, 3]);
  });

  it('finds the files in the cifar-10-batches-bin subdirectory', () => {
    const dir = freshDir('c10p');
    mkdirSync(join(dir, 'cifar-10-batches-bin'));
    writeCifar10(join(dir, 'cifar-10-batches-bin'));
    expect(loadSplit(`cifar10:${dir}`, 'test').labels.length).toBe(2);
  });

  it('rejects a truncated batch, a label out of range, and a missing batch', () => {
    const dir = freshDir('c10bad');
    writeCifar10(dir);
    writeFileSync(join(dir, 'data_batch_3.bin'), cifarRecord([1], 0).subarray(0, 3000));
    expectDataError(() => readCifar10(dir, 'train'), 'data_batch_3.bin', /size mismatch: 3000 bytes is not a whole number of 3073-byte records/);
    writeFileSync(join(dir, 'data_batch_3.bin'), concatBytes([cifarRecord([1], 0), cifarRecord([12], 1)]));
    expectDataError(() => readCifar10(dir, 'train'), 'data_batch_3.bin', /label out of range: label 12 in record 1, expected 0..9/);
    rmSync(join(dir, 'data_batch_5.bin'));
    expectDataError(() => readCifar10(dir, 'train'), 'data_batch_5.bin', /missing file: a cifar10 binary directory holds data_batch_1.bin, .*test_batch.bin/);
  });
});

describe('CIFAR-100 binary', () => {
  it('reads fine labels by default and coarse labels on request', () => {
    const dir = freshDir('c100');
    writeFileSync(join(dir, 'train.bin'), concatBytes([cifarRecord([4, 40], 1), cifarRecord([19, 99], 2), cifarRecord([0, 0], 3)]));
    writeFileSync(join(dir, 'test.bin'), cifarRecord([7, 77], 4));
    const fine = readCifar100(dir, 'train');
    expect(fine.classes).toBe(100);
    expect(Array.from(fine.labels)).toEqual([40, 99, 0]);
    expect(fine.images[3072 + 10]).toBeCloseTo(((2 * 31 + 10) % 256) / 255, 7);
    const coarse = readCifar100(dir, 'train', { labels: 'coarse' });
    expect(coarse.classes).toBe(20);
    expect(Array.from(coarse.labels)).toEqual([4, 19, 0]);
    expect(Array.from(readCifar100(dir, 'test').labels)).toEqual([77]);
  });

  it('rejects out-of-range fine and coarse labels and a record-size mismatch', () => {
    const dir = freshDir('c100bad');
    writeFileSync(join(dir, 'test.bin'), concatBytes([cifarRecord([1, 1], 1), cifarRecord([2, 100], 2)]));
    expectDataError(() => readCifar100(dir, 'test'), 'test.bin', /fine label 100 in record 1, expected 0..99/);
    writeFileSync(join(dir, 'test.bin'), cifarRecord([20, 5], 1));
    expectDataError(() => readCifar100(dir, 'test'), 'test.bin', /coarse label 20 in record 0, expected 0..19/);
    // A CIFAR-10 file where CIFAR-100 is expected: 3073-byte records do not divide into 3074.
    writeFileSync(join(dir, 'test.bin'), concatBytes([cifarRecord([1], 0), cifarRecord([2], 1)]));
    expectDataError(() => readCifar100(dir, 'test'), 'test.bin', /not a whole number of 3074-byte records/);
  });
});

// jpeg-js's encoder takes ~100 ms per call (it rebuilds its tables), so each image is made once.
const jpegCache = new Map<string, Uint8Array>();
function solidJpeg(w: number, h: number, rgb: [number, number, number]): Uint8Array {
  const key = `${w}x${h}:${rgb.join(',')}`;
  let bytes = jpegCache.get(key);
  if (!bytes) {
    const data = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) data.set([...rgb, 255], 4 * i);
    bytes = new Uint8Array(jpeg.encode({ width: w, height: h, data }, 95).data);
    jpegCache.set(key, bytes);
  }
  return bytes;
}

const COLORS: [number, number, number][] = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
];

describe('image folders (TinyImageNet layout)', () => {
  function writeTiny(): string {
    const dir = freshDir('tiny');
    const wnids = ['n02', 'n01', 'n03']; // wnids.txt order, not sorted, sets the labels
    writeFileSync(join(dir, 'wnids.txt'), `${wnids.join('\n')}\n`);
    wnids.forEach((id, label) => {
      mkdirSync(join(dir, 'train', id, 'images'), { recursive: true });
      for (let i = 0; i < 2; i++) writeFileSync(join(dir, 'train', id, 'images', `${id}_${i}.JPEG`), solidJpeg(8, 8, COLORS[label]));
      writeFileSync(join(dir, 'train', id, `${id}_boxes.txt`), 'ignored');
    });
    mkdirSync(join(dir, 'val', 'images'), { recursive: true });
    const ann: string[] = [];
    for (let i = 0; i < 3; i++) {
      const label = (i + 1) % 3;
      writeFileSync(join(dir, 'val', 'images', `val_${i}.JPEG`), solidJpeg(8, 8, COLORS[label]));
      ann.push(`val_${i}.JPEG\t${wnids[label]}\t0\t0\t7\t7`);
    }
    writeFileSync(join(dir, 'val', 'val_annotations.txt'), `${ann.join('\n')}\n`);
    return dir;
  }

  it('reads train/CLASS/images/*.JPEG with wnids.txt order, and val via val_annotations.txt', () => {
    const dir = writeTiny();
    const train = readImageFolder(dir, 'train');
    expect(train.shape).toEqual({ c: 3, h: 8, w: 8 });
    expect(train.classes).toBe(3);
    expect(train.classNames).toEqual(['n02', 'n01', 'n03']);
    expect(Array.from(train.labels)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(train.labels).toBeInstanceOf(Int32Array);
    // Solid colours survive JPEG within a few levels.
    for (let i = 0; i < 6; i++) {
      const c = COLORS[train.labels[i]];
      for (let ch = 0; ch < 3; ch++) expect(Math.abs(train.images[i * 192 + ch * 64 + 27] * 255 - c[ch])).toBeLessThan(4);
    }
    const val = readImageFolder(dir, 'test');
    expect(Array.from(val.labels)).toEqual([1, 2, 0]);
    expect(loadSplit(`imagefolder:${dir}`, 'train', { imagefolder: { maxPerClass: 1 } }).labels.length).toBe(3);
  });

  it('reads the torchvision ImageFolder layout, sorted class names, resizing odd-sized images', () => {
    const dir = freshDir('folder');
    for (const [label, cls] of ['cat', 'dog'].entries()) {
      for (const split of ['train', 'val']) {
        mkdirSync(join(dir, split, cls), { recursive: true });
        writeFileSync(join(dir, split, cls, 'a.jpg'), solidJpeg(6, 6, COLORS[label]));
      }
    }
    writeFileSync(join(dir, 'train', 'dog', 'b.jpg'), solidJpeg(12, 9, COLORS[1]));
    const ds = readImageFolder(dir, 'train');
    expect(ds.classNames).toEqual(['cat', 'dog']);
    expect(ds.shape).toEqual({ c: 3, h: 6, w: 6 });
    expect(Array.from(ds.labels)).toEqual([0, 1, 1]);
    expect(Math.abs(ds.images[2 * 108 + 36 + 10] * 255 - 255)).toBeLessThan(4); // green channel of the resized image
    expect(readImageFolder(dir, 'test', { size: { h: 4, w: 4 } }).shape).toEqual({ c: 3, h: 4, w: 4 });
  });

  it('rejects a corrupt JPEG, an unknown class in val_annotations.txt, and a missing train directory', () => {
    const dir = writeTiny();
    writeFileSync(join(dir, 'train', 'n01', 'images', 'n01_1.JPEG'), solidJpeg(8, 8, COLORS[0]).subarray(0, 40));
    expectDataError(() => readImageFolder(dir, 'train'), 'n01_1.JPEG', /not a readable JPEG/);
    const dir2 = writeTiny();
    writeFileSync(join(dir2, 'val', 'val_annotations.txt'), 'val_0.JPEG\tn99\t0\t0\t1\t1\n');
    expectDataError(() => readImageFolder(dir2, 'test'), 'val_annotations.txt', /line 1: class n99 is not among the 3 training classes/);
    expectDataError(() => readImageFolder(freshDir('empty'), 'train'), 'train', /missing train directory/);
  });
});

describe('data specs', () => {
  it('parses KIND:DIR for every kind', () => {
    expect(parseDataSpec('fashion-mnist:/data/fm')).toMatchObject({ kind: 'fashion-mnist', dir: '/data/fm' });
    expect(parseDataSpec('CIFAR100:C:/x')).toMatchObject({ kind: 'cifar100', dir: 'C:/x' });
    for (const k of ['mnist', 'cifar10', 'imagefolder']) expect(parseDataSpec(`${k}:d`).kind).toBe(k);
  });
  it('explains unknown kinds and malformed specs', () => {
    expect(() => parseDataSpec('svhn:/d')).toThrow(/unknown data set kind 'svhn'; known kinds:\n.*fashion-mnist:DIR[\s\S]*imagefolder:DIR/);
    expect(() => parseDataSpec('/data/fm')).toThrow(/a data set is written KIND:DIR/);
    expect(() => parseDataSpec('mnist:')).toThrow(/no directory after 'mnist:'/);
    expect(() => parseDataSpec('svhn:/d')).toThrow(DataError);
  });
});
