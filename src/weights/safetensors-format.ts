// safetensors (https://github.com/huggingface/safetensors), the simple format: an 8-byte
// little-endian header length N, N bytes of JSON header, then the raw tensor bytes. The header maps
// each tensor name to {dtype, shape, data_offsets: [begin, end)} (offsets into the byte buffer that
// follows the header) and may hold `__metadata__`, a string-to-string map. Only F32 is supported.
// Tensors are little-endian; the byte buffer must be fully covered by the tensors, without gaps or
// overlaps.
// Encoding and decoding work on bytes, so the browser uses them too; safetensors.ts reads and writes files.

import { numel, type Weights } from './weights.js';

/** A safetensors file that cannot be read; the message names the file and what is wrong. */
export class SafetensorsError extends Error {
  constructor(readonly file: string, detail: string) {
    super(`${file}: not a valid safetensors file: ${detail}`);
    this.name = 'SafetensorsError';
  }
}

export interface SafetensorsContents {
  tensors: Weights;
  metadata: Record<string, string>;
}

/** Headers above this size are refused (the reference implementation's limit is 100 MB). */
const MAX_HEADER = 100_000_000;

/** Serializes tensors (sorted by name) and metadata. */
export function encodeSafetensors(tensors: Weights, metadata: Record<string, string> = {}): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new Error(`safetensors metadata ${k}: values must be strings`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw new Error('safetensors: a tensor cannot be named __metadata__');
    const t = tensors.get(name)!;
    if (t.data.length !== numel(t.shape)) {
      throw new Error(`safetensors: tensor ${name} has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    }
    const bytes = t.data.length * 4;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned (as the reference writer does).
  const raw = new TextEncoder().encode(json);
  const padded = Math.ceil(raw.length / 8) * 8;
  json += ' '.repeat(padded - raw.length);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  for (const name of names) {
    const t = tensors.get(name)!;
    if (littleEndian) {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    } else {
      for (let i = 0; i < t.data.length; i++) view.setFloat32(at + 4 * i, t.data[i], true);
    }
    at += t.data.byteLength;
  }
  return out;
}

/** Parses a safetensors image; `file` names it in errors. */
export function decodeSafetensors(bytes: Uint8Array, file = '<buffer>'): SafetensorsContents {
  const fail = (detail: string): never => {
    throw new SafetensorsError(file, detail);
  };
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, shorter than the 8-byte header length (truncated or empty)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER)) fail(`header length ${n64} is implausible (corrupt file?)`);
  const n = Number(n64);
  if (8 + n > bytes.length) fail(`header claims ${n} bytes but the file has only ${bytes.length - 8} after the length field (truncated)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__.${k} is not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    if (typeof value !== 'object' || value === null) fail(`tensor ${name}: entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
    if (dtype !== 'F32') fail(`tensor ${name}: dtype ${JSON.stringify(dtype)} is not supported (only F32)`);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      fail(`tensor ${name}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      fail(`tensor ${name}: data_offsets ${JSON.stringify(offsets)} is not [begin, end]`);
    }
    const [begin, end] = offsets as number[];
    const sh = shape as number[];
    if (end < begin) fail(`tensor ${name}: data_offsets [${begin}, ${end}] end before they begin`);
    if (end - begin !== numel(sh) * 4) {
      fail(`tensor ${name}: shape [${sh.join(', ')}] needs ${numel(sh) * 4} bytes but data_offsets span ${end - begin}`);
    }
    if (end > dataLen) {
      fail(`tensor ${name}: data_offsets [${begin}, ${end}] run past the end of the data (${dataLen} bytes; truncated file?)`);
    }
    entries.push({ name, shape: sh, begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const e of entries) {
    if (e.begin < covered) fail(`tensor ${e.name}: data overlaps the previous tensor`);
    if (e.begin > covered && e.end > e.begin) fail(`gap in the data before tensor ${e.name} (bytes ${covered}..${e.begin})`);
    covered = Math.max(covered, e.end);
  }
  if (covered !== dataLen) fail(`${dataLen - covered} bytes after the last tensor are not described by the header`);
  const tensors: Weights = new Map();
  for (const e of entries) {
    const count = (e.end - e.begin) / 4;
    const data = new Float32Array(count);
    // Copy: the source may not be 4-byte aligned, and the result must not alias the file image.
    const dv = new DataView(bytes.buffer, bytes.byteOffset + dataStart + e.begin, e.end - e.begin);
    for (let i = 0; i < count; i++) data[i] = dv.getFloat32(4 * i, true);
    tensors.set(e.name, { shape: e.shape, data });
  }
  return { tensors, metadata };
}

