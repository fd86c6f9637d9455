// The IDX format (MNIST, Fashion-MNIST) on bytes, for Node and the browser alike; idx.ts finds and
// reads the files.

import { DataError } from './errors.js';

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

export interface IdxHeader {
  dims: number[];
  /** Bytes before the elements: the magic number and one u32 per dimension. */
  headerLen: number;
  /** Elements (bytes) the dimensions call for. */
  count: number;
}

/** The header of an IDX file of unsigned bytes, from its first bytes (the elements need not be there). */
export function parseIdxHeader(bytes: Uint8Array, file: string, expectDims?: number): IdxHeader {
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
  return { dims, headerLen, count: dims.reduce((a, b) => a * b, 1) };
}

/** Why `have` bytes of elements do not fit the header, or undefined when they do. */
export function idxSizeProblem(h: IdxHeader, have: number): string | undefined {
  if (have === h.count) return undefined;
  return (
    `size mismatch with the header: dimensions ${h.dims.join('x')} need ${h.count} bytes of data, the file has ${have}` +
    (have < h.count ? ' (truncated?)' : ' (trailing bytes)')
  );
}

/** Parses an (already gunzipped) IDX file of unsigned bytes. */
export function parseIdx(bytes: Uint8Array, file: string, expectDims?: number): IdxArray {
  const h = parseIdxHeader(bytes, file, expectDims);
  const problem = idxSizeProblem(h, bytes.length - h.headerLen);
  if (problem !== undefined) throw new DataError(file, problem);
  return { dims: h.dims, data: bytes.subarray(h.headerLen) };
}

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];
