// CIFAR-10 and CIFAR-100, the "binary version" from the CIFAR page (Krizhevsky 2009):
// - CIFAR-10: data_batch_1.bin .. data_batch_5.bin (train, 10,000 records each) and
//   test_batch.bin; a record is 1 label byte (0..9) then 3072 pixel bytes: the 1024 red values of
//   the 32x32 image in row-major order, then green, then blue (so CHW already). batches.meta.txt
//   has the class names, one per line.
// - CIFAR-100: train.bin (50,000 records) and test.bin (10,000); a record is a coarse label byte
//   (0..19), a fine label byte (0..99), then the same 3072 pixel bytes. fine_label_names.txt and
//   coarse_label_names.txt have the names.
// The directory given may be the extracted folder itself (cifar-10-batches-bin, cifar-100-binary)
// or its parent.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset, Split } from './dataset.js';
import { DataError } from './errors.js';
import { readBytes, requireDirectory } from './files.js';

const PIXELS = 3 * 32 * 32;

interface Layout {
  kind: 'cifar10' | 'cifar100';
  sub: string;
  files: Record<Split, string[]>;
  labelBytes: number;
  meta: string;
}

const CIFAR10: Layout = {
  kind: 'cifar10',
  sub: 'cifar-10-batches-bin',
  files: { train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`), test: ['test_batch.bin'] },
  labelBytes: 1,
  meta: 'batches.meta.txt',
};

const CIFAR100: Layout = {
  kind: 'cifar100',
  sub: 'cifar-100-binary',
  files: { train: ['train.bin'], test: ['test.bin'] },
  labelBytes: 2,
  meta: 'fine_label_names.txt',
};

function resolveDir(dir: string, l: Layout): string {
  requireDirectory(dir, `${l.kind} data set`);
  const all = [...l.files.train, ...l.files.test];
  if (all.some((f) => existsSync(join(dir, f)))) return dir;
  const nested = join(dir, l.sub);
  if (all.some((f) => existsSync(join(nested, f)))) return nested;
  return dir;
}

function readNames(path: string, count: number): string[] | undefined {
  if (!existsSync(path)) return undefined;
  const names = readFileSync(path, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
  return names.length === count ? names : undefined;
}

export interface CifarReadOptions {
  /** CIFAR-100 only: the 100 fine labels (default) or the 20 coarse superclasses. */
  labels?: 'fine' | 'coarse';
}

function readCifar(dir0: string, split: Split, l: Layout, o: CifarReadOptions): Dataset {
  const dir = resolveDir(dir0, l);
  const coarse = l.kind === 'cifar100' && o.labels === 'coarse';
  const classes = l.kind === 'cifar10' ? 10 : coarse ? 20 : 100;
  const record = l.labelBytes + PIXELS;
  const paths = l.files[split].map((f) => join(dir, f));
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length > 0) {
    const expected = [...l.files.train, ...l.files.test].join(', ');
    throw new DataError(missing[0], `missing file: a ${l.kind} binary directory holds ${expected} (looked in ${dir}${dir === dir0 ? ` and ${join(dir0, l.sub)}` : ''})`);
  }
  const chunks = paths.map((p) => {
    const bytes = readBytes(p);
    if (bytes.length === 0 || bytes.length % record !== 0) {
      throw new DataError(
        p,
        `size mismatch: ${bytes.length} bytes is not a whole number of ${record}-byte records ` +
          `(${l.labelBytes === 1 ? '1 label byte' : 'coarse and fine label bytes'} + ${PIXELS} pixel bytes); truncated or not ${l.kind} binary?`,
      );
    }
    return { p, bytes };
  });
  const n = chunks.reduce((s, c) => s + c.bytes.length / record, 0);
  const images = new Float32Array(n * PIXELS);
  const labels = new Uint8Array(n);
  let at = 0;
  for (const { p, bytes } of chunks) {
    const count = bytes.length / record;
    for (let r = 0; r < count; r++, at++) {
      const base = r * record;
      const label = l.kind === 'cifar10' ? bytes[base] : coarse ? bytes[base] : bytes[base + 1];
      if (label >= classes) {
        const which = l.kind === 'cifar10' ? 'label' : coarse ? 'coarse label' : 'fine label';
        throw new DataError(p, `label out of range: ${which} ${label} in record ${r}, expected 0..${classes - 1}`);
      }
      if (l.kind === 'cifar100' && !coarse && bytes[base] >= 20) {
        throw new DataError(p, `label out of range: coarse label ${bytes[base]} in record ${r}, expected 0..19`);
      }
      labels[at] = label;
      const px = bytes.subarray(base + l.labelBytes, base + record);
      const out = at * PIXELS;
      for (let i = 0; i < PIXELS; i++) images[out + i] = px[i] / 255;
    }
  }
  const ds: Dataset = { name: `${l.kind}/${split}`, images, labels, shape: { c: 3, h: 32, w: 32 }, classes };
  const names = readNames(join(dir, coarse ? 'coarse_label_names.txt' : l.meta), classes);
  if (names) ds.classNames = names;
  return ds;
}

export function readCifar10(dir: string, split: Split): Dataset {
  return readCifar(dir, split, CIFAR10, {});
}

export function readCifar100(dir: string, split: Split, o: CifarReadOptions = {}): Dataset {
  return readCifar(dir, split, CIFAR100, o);
}
