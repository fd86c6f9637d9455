// IDX files (MNIST, Fashion-MNIST): a 4-byte magic (two zero bytes, an element type code, the
// number of dimensions), one big-endian u32 per dimension, then the elements in row-major order.
// Images are idx3 (N x H x W), labels idx1 (N); both unsigned bytes (type code 0x08).
// The standard file names, raw or gzipped:
//   train-images-idx3-ubyte  train-labels-idx1-ubyte  t10k-images-idx3-ubyte  t10k-labels-idx1-ubyte
// (the dotted variants `train-images.idx3-ubyte` found in some mirrors are accepted too).

import { join } from 'node:path';
import type { Dataset, Split } from './dataset.js';
import { DataError } from './errors.js';
import { findFile, readMaybeGzip, requireDirectory } from './files.js';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'short',
  0x0c: 'int',
  0x0d: 'float',
  0x0e: 'double',
};

/** Parses an (already gunzipped) IDX file of unsigned bytes. */
export function parseIdx(bytes: Uint8Array, file: string, expectDims?: number): IdxArray {
  if (bytes.length < 4) throw new DataError(file, `truncated: ${bytes.length} bytes, too short for the 4-byte IDX magic number`);
  const magic = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  const hex = `0x${magic.toString(16).padStart(8, '0')}`;
  if (bytes[0] !== 0 || bytes[1] !== 0 || !(bytes[2] in TYPE_NAMES) || bytes[3] < 1) {
    throw new DataError(file, `bad magic number ${hex}: not an IDX file (expected 0x00000801 for labels or 0x00000803 for images)`);
  }
  if (bytes[2] !== 0x08) {
    throw new DataError(file, `unsupported IDX element type 0x${bytes[2].toString(16).padStart(2, '0')} (${TYPE_NAMES[bytes[2]]}): hrn reads unsigned-byte IDX files (type 0x08)`);
  }
  const nd = bytes[3];
  if (expectDims !== undefined && nd !== expectDims) {
    const want = expectDims === 1 ? 'labels (0x00000801)' : `images (0x0000080${expectDims})`;
    throw new DataError(file, `bad magic number ${hex}: ${nd}-dimensional data where ${want} were expected`);
  }
  const headerLen = 4 + 4 * nd;
  if (bytes.length < headerLen) throw new DataError(file, `truncated: ${bytes.length} bytes, the header alone needs ${headerLen}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < nd; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const have = bytes.length - headerLen;
  if (have !== count) {
    throw new DataError(
      file,
      `size mismatch with the header: dimensions ${dims.join('x')} need ${count} bytes of data, the file has ${have}` +
        (have < count ? ' (truncated?)' : ' (trailing bytes)'),
    );
  }
  return { dims, data: bytes.subarray(headerLen) };
}

const FILES: Record<Split, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

/** Every name the reader looks for, for messages. */
export const IDX_FILE_NAMES = Object.values(FILES).flatMap((f) => [f.images, f.labels]);

function candidates(base: string): string[] {
  const dotted = base.replace(/-(idx\d)-/, '.$1-');
  return [`${base}.gz`, base, `${dotted}.gz`, dotted];
}

function locate(dir: string, base: string): string {
  const found = findFile(dir, candidates(base));
  if (found) return found;
  throw new DataError(
    join(dir, `${base}.gz`),
    `missing file: expected ${base}.gz or ${base} in ${dir}; an IDX data set directory holds ${IDX_FILE_NAMES.map((n) => `${n}[.gz]`).join(', ')}`,
  );
}

export interface IdxReadOptions {
  /** Set name for messages, e.g. `fashion-mnist`. */
  name?: string;
  classes?: number;
  classNames?: string[];
}

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

/** Reads one split of an MNIST-style IDX directory; pixels scaled to [0, 1], shape 1 x H x W. */
export function readIdxDataset(dir: string, split: Split, o: IdxReadOptions = {}): Dataset {
  requireDirectory(dir, 'IDX data set');
  const classes = o.classes ?? 10;
  const imgPath = locate(dir, FILES[split].images);
  const lblPath = locate(dir, FILES[split].labels);
  const img = parseIdx(readMaybeGzip(imgPath), imgPath, 3);
  const lbl = parseIdx(readMaybeGzip(lblPath), lblPath, 1);
  const [n, h, w] = img.dims;
  if (lbl.dims[0] !== n) {
    throw new DataError(lblPath, `size mismatch: ${lbl.dims[0]} labels for the ${n} images of ${imgPath}`);
  }
  const labels = new Uint8Array(lbl.data);
  for (let i = 0; i < n; i++) {
    if (labels[i] >= classes) throw new DataError(lblPath, `label out of range: label ${labels[i]} at index ${i}, expected 0..${classes - 1}`);
  }
  const images = new Float32Array(img.data.length);
  for (let i = 0; i < images.length; i++) images[i] = img.data[i] / 255;
  const ds: Dataset = { name: `${o.name ?? 'idx'}/${split}`, images, labels, shape: { c: 1, h, w }, classes };
  if (o.classNames) ds.classNames = o.classNames;
  return ds;
}
