// Copies what the static playground loads at run time into web/public/ (not committed): the first
// SAMPLE_IMAGES Fashion-MNIST test images and labels as IDX files, and the checkpoint the repository
// ships for the default network. Run by `npm run build:web` before Vite.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export const SAMPLE_IMAGES = 256;
const repo = fileURLToPath(new URL('..', import.meta.url));
const out = fileURLToPath(new URL('public/', import.meta.url));
const dataDir = process.env.HRN_FASHION_MNIST ?? '/usr/share/datasets/fashion-mnist';
const checkpoint = 'checkpoints/hrn-2x5x3x-m2';

function readIdx(name) {
  const gz = `${dataDir}/${name}.gz`;
  if (existsSync(gz)) return gunzipSync(readFileSync(gz));
  return readFileSync(`${dataDir}/${name}`);
}

/** The first `n` items of an IDX file of unsigned bytes, with its header rewritten for `n`. */
function firstItems(bytes, n) {
  const dims = bytes[3];
  const header = 4 + 4 * dims;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let item = 1;
  for (let d = 1; d < dims; d++) item *= view.getUint32(4 + 4 * d, false);
  const count = Math.min(n, view.getUint32(4, false));
  const outBytes = new Uint8Array(header + count * item);
  outBytes.set(bytes.subarray(0, header + count * item));
  new DataView(outBytes.buffer).setUint32(4, count, false);
  return outBytes;
}

mkdirSync(`${out}data`, { recursive: true });
if (existsSync(dataDir)) {
  for (const name of ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
    writeFileSync(`${out}data/${name}`, firstItems(readIdx(name), SAMPLE_IMAGES));
  }
  console.log(`playground: ${SAMPLE_IMAGES} Fashion-MNIST test images from ${dataDir} in web/public/data/`);
} else {
  console.warn(`playground: ${dataDir} not found; the page will have no sample images (set HRN_FASHION_MNIST)`);
}
mkdirSync(`${out}${checkpoint}`, { recursive: true });
for (const f of ['weights.safetensors', 'state.json']) copyFileSync(`${repo}${checkpoint}/${f}`, `${out}${checkpoint}/${f}`);
