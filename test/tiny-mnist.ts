// A tiny MNIST-format (IDX, gzipped) data set written by a test, so end-to-end commands run
// without the real data and in seconds. Pixels and labels follow a fixed pattern.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

function idx(magic: number, dims: number[], body: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return gzipSync(Buffer.concat([head, Buffer.from(body)]));
}

/** Writes `n` 28x28 images with labels 0..9 in turn as both the train and the test split. */
export function writeTinyMnist(dir: string, n: number): void {
  const pixels = new Uint8Array(n * 28 * 28).map((_, i) => (i * 37 + (i >> 5) * 11) % 256);
  const labels = new Uint8Array(n).map((_, i) => i % 10);
  for (const split of ['t10k', 'train']) {
    writeFileSync(join(dir, `${split}-images-idx3-ubyte.gz`), idx(0x803, [n, 28, 28], pixels));
    writeFileSync(join(dir, `${split}-labels-idx1-ubyte.gz`), idx(0x801, [n], labels));
  }
}
