// IDX files (MNIST, Fashion-MNIST): a 4-byte magic (two zero bytes, an element type code, the
// number of dimensions), one big-endian u32 per dimension, then the elements in row-major order.
// Images are idx3 (N x H x W), labels idx1 (N); both unsigned bytes (type code 0x08).
// The standard file names, raw or gzipped:
//   train-images-idx3-ubyte  train-labels-idx1-ubyte  t10k-images-idx3-ubyte  t10k-labels-idx1-ubyte
// (the dotted variants `train-images.idx3-ubyte` found in some mirrors are accepted too).

import { join } from 'node:path';
import type { Dataset, Split } from './dataset.js';
import { DataError } from './errors.js';
import { fileSize, findFile, gunzipAtMost, gunzipHead, isGzip, notGzip, readBytes, readHead, requireDirectory } from './files.js';
import { idxSizeProblem, parseIdx, parseIdxHeader, type IdxArray, type IdxHeader } from './idx-format.js';
import { formatMiB } from '../util/bytes.js';

export * from './idx-format.js';

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


/**
 * The most bytes hrn reads from one IDX file, header included: twice the largest MNIST-style file
 * in use (EMNIST ByClass's training images, 547 MB), and a quarter of it as 32-bit floats in memory.
 */
export const MAX_IDX_BYTES = 2 ** 30;

/** The size the header declares, checked against MAX_IDX_BYTES before any of the elements is read. */
function declaredSize(h: IdxHeader, path: string): number {
  const total = h.headerLen + h.count;
  if (total > MAX_IDX_BYTES) {
    throw new DataError(path, `the header declares ${h.dims.join('x')} elements (${formatMiB(total)}), above the ${formatMiB(MAX_IDX_BYTES)} hrn reads from one IDX file`);
  }
  return total;
}

/**
 * One IDX file, raw or gzipped. The header comes first, and bounds the rest: a raw file must be
 * exactly as long as it declares, and gzip data is inflated only up to that length, so a small
 * file that inflates to gigabytes (or a wrong header) is an error after at most a chunk more.
 */
function readIdxFile(path: string, expectDims: number): IdxArray {
  const size = fileSize(path);
  const head = readHead(path, 4 + 4 * expectDims);
  if (isGzip(head)) {
    if (size > MAX_IDX_BYTES) throw new DataError(path, `${formatMiB(size)} of gzip data, above the ${formatMiB(MAX_IDX_BYTES)} hrn reads from one IDX file`);
    const gz = readBytes(path);
    const h = parseIdxHeader(gunzipHead(gz, path, 4 + 4 * expectDims), path, expectDims);
    const total = declaredSize(h, path);
    const bytes = gunzipAtMost(gz, path, total, () =>
      `more data than the header declares: dimensions ${h.dims.join('x')} need ${h.count} bytes after the ${h.headerLen}-byte header, ` +
        `and the gzip data goes on past them (stopped reading there; a wrong header, or not an IDX file?)`,
    );
    return parseIdx(bytes, path, expectDims);
  }
  if (path.endsWith('.gz')) throw notGzip(path, head);
  const h = parseIdxHeader(head, path, expectDims);
  const problem = idxSizeProblem(h, size - h.headerLen);
  if (problem !== undefined) throw new DataError(path, problem);
  declaredSize(h, path);
  return parseIdx(readBytes(path), path, expectDims);
}

/** Reads one split of an MNIST-style IDX directory; pixels scaled to [0, 1], shape 1 x H x W. */
export function readIdxDataset(dir: string, split: Split, o: IdxReadOptions = {}): Dataset {
  requireDirectory(dir, 'IDX data set');
  const classes = o.classes ?? 10;
  const imgPath = locate(dir, FILES[split].images);
  const lblPath = locate(dir, FILES[split].labels);
  const img = readIdxFile(imgPath, 3);
  const lbl = readIdxFile(lblPath, 1);
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
