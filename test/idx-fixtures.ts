// IDX files (the MNIST format) for tests that need a data set on disk.

import { gzipSync } from 'node:zlib';

/** A gzipped IDX file of unsigned bytes with the given dimensions. */
export function idxGzip(dims: number[], data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out[2] = 8;
  out[3] = dims.length;
  dims.forEach((d, i) => new DataView(out.buffer).setUint32(4 + 4 * i, d, false));
  out.set(Array.from(data), 4 + 4 * dims.length);
  return gzipSync(out);
}
