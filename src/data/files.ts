// File access for the readers: reading whole files (gunzipping where the bytes say gzip), with
// every failure turned into a DataError that names the file.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DataError } from './errors.js';

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

export function readBytes(path: string): Uint8Array {
  try {
    const buf = readFileSync(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(path, 'no such file');
    if (code === 'EISDIR') throw new DataError(path, 'is a directory, not a file');
    throw new DataError(path, `cannot read: ${(e as Error).message}`);
  }
}

/**
 * The file's contents, gunzipped when they start with the gzip magic 1f 8b. A name ending in `.gz`
 * whose bytes are not gzip is an error (a download saved under the wrong name, or an HTML page).
 */
export function readMaybeGzip(path: string): Uint8Array {
  const raw = readBytes(path);
  if (isGzip(raw)) {
    try {
      const out = gunzipSync(raw);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (e) {
      throw new DataError(path, `corrupt or truncated gzip data (${(e as Error).message})`);
    }
  }
  if (path.endsWith('.gz')) {
    const head = Array.from(raw.subarray(0, 2), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DataError(path, `not gzip: the name ends in .gz but the file starts with ${head || 'nothing (empty file)'}, not the gzip magic 1f 8b`);
  }
  return raw;
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function requireDirectory(path: string, what: string): void {
  if (!existsSync(path)) throw new DataError(path, `${what} directory does not exist`);
  if (!isDirectory(path)) throw new DataError(path, `${what} path is not a directory`);
}

/** The first of `names` that exists in `dir`, or undefined. */
export function findFile(dir: string, names: readonly string[]): string | undefined {
  for (const n of names) {
    const p = join(dir, n);
    if (existsSync(p)) return p;
  }
  return undefined;
}
