// File access for the readers: whole files, their first bytes, and gunzipping with a bound on the
// output, with every failure turned into a DataError that names the file.

import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { DataError } from './errors.js';

const asBytes = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

function readError(path: string, e: unknown): DataError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new DataError(path, 'no such file');
  if (code === 'EISDIR') return new DataError(path, 'is a directory, not a file');
  return new DataError(path, `cannot read: ${(e as Error).message}`);
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

export function readBytes(path: string): Uint8Array {
  try {
    return asBytes(readFileSync(path));
  } catch (e) {
    throw readError(path, e);
  }
}

/** The file's size in bytes; a directory or a device is an error (its size says nothing). */
export function fileSize(path: string): number {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw readError(path, e);
  }
  if (st.isDirectory()) throw new DataError(path, 'is a directory, not a file');
  if (!st.isFile()) throw new DataError(path, 'not a regular file');
  return st.size;
}

/** The first `count` bytes of the file (all of it when shorter). */
export function readHead(path: string, count: number): Uint8Array {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = new Uint8Array(count);
    let got = 0;
    for (let n = -1; n !== 0 && got < count; got += n) n = readSync(fd, buf, got, count - got, got);
    return buf.subarray(0, got);
  } catch (e) {
    throw readError(path, e);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A name ending in `.gz` whose bytes are not gzip: a download saved under the wrong name, or an HTML page. */
export function notGzip(path: string, head: Uint8Array): DataError {
  const hex = Array.from(head.subarray(0, 2), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return new DataError(path, `not gzip: the name ends in .gz but the file starts with ${hex || 'nothing (empty file)'}, not the gzip magic 1f 8b`);
}

const tooLarge = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
const corrupt = (path: string, e: unknown) => new DataError(path, `corrupt or truncated gzip data (${(e as Error).message})`);

/**
 * Gunzips `gz`, stopping as soon as the output passes `limit` bytes (zlib inflates in 64 KiB
 * chunks, so little more than the limit is ever held); `overLimit` then says what is wrong.
 */
export function gunzipAtMost(gz: Uint8Array, path: string, limit: number, overLimit: () => string): Uint8Array {
  try {
    return asBytes(gunzipSync(gz, { maxOutputLength: Math.max(1, limit) }));
  } catch (e) {
    if (tooLarge(e)) throw new DataError(path, overLimit());
    throw corrupt(path, e);
  }
}

/** At most this much comes out while looking for a header, whatever the data. */
const HEAD_OUTPUT = 1 << 20;

/**
 * The first bytes of gzip data: at least `want` of them when there are that many, never more than
 * HEAD_OUTPUT, so that a header can be read before deciding how much of the rest to inflate.
 * Inflates growing prefixes of the compressed bytes (as far as each goes), and halves back towards
 * the last short one when a prefix gives too much.
 */
export function gunzipHead(gz: Uint8Array, path: string, want: number): Uint8Array {
  let short = 0;
  let long = gz.length + 1;
  let k = Math.min(gz.length, 256);
  for (;;) {
    let out: Uint8Array | undefined;
    try {
      out = asBytes(gunzipSync(gz.subarray(0, k), { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: HEAD_OUTPUT }));
    } catch (e) {
      if (!tooLarge(e)) throw corrupt(path, e);
    }
    if (out !== undefined && out.length >= want) return out;
    // All of it gives fewer bytes: inflated to the end this time, so a cut-off stream says so.
    if (out !== undefined && k >= gz.length) return gunzipAtMost(gz, path, HEAD_OUTPUT, () => `corrupt gzip data: it inflates differently when read to the end`);
    if (out === undefined) long = k;
    else short = k;
    k = out === undefined ? short + Math.floor((long - short) / 2) : Math.min(gz.length, 4 * k, long - 1);
    // A compressed byte inflates to about a kilobyte at most, so only data zlib rejects ends here.
    if (k <= short) throw new DataError(path, `corrupt gzip data: its first ${want} bytes cannot be read`);
  }
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
