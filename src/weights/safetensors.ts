// safetensors files (the format: safetensors-format.ts). Writing is atomic: a temporary file in the
// same directory, fsync, then rename.

import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/durable-fs.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsContents } from './safetensors-format.js';
import type { Weights } from './weights.js';

export * from './safetensors-format.js';

export function readSafetensors(path: string): SafetensorsContents {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`${path}: cannot read weights: ${(e as Error).message}`);
  }
  return decodeSafetensors(bytes, path);
}

/** Writes atomically (durable-fs.ts): a reader never sees a half-written weights file. */
export function writeSafetensors(path: string, tensors: Weights, metadata: Record<string, string> = {}): void {
  try {
    writeFileAtomic(path, encodeSafetensors(tensors, metadata));
  } catch (e) {
    throw new Error(`${path}: cannot write weights: ${(e as Error).message}`);
  }
}
