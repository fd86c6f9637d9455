// Training checkpoints: a directory
//
//   CKPT/weights.safetensors     the network's tensors (running statistics included), F32
//   CKPT/optimizer.safetensors   SGD momentum buffers, one per trainable tensor, same names
//   CKPT/state.json              everything else (CheckpointState below), written last
//
// Saving is atomic with respect to crashes: the new checkpoint is written into a temporary
// sibling directory (`.CKPT.tmp-*`), every file fsynced, then the previous checkpoint is renamed
// to `CKPT.prev`, the new one renamed into place, and only then is `CKPT.prev` deleted. At every
// instant one complete checkpoint exists: CKPT, or (between the two renames) CKPT.prev, which the
// reader falls back to. Leftover temporary directories are ignored and removed by the next save.
// state.json records each tensor file's size and SHA-256, so a truncated or altered file is found
// and named, and the network's name and hash, so resuming against another network is refused.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { fsyncPath, writeFileSynced } from '../util/durable-fs.js';
import { basename, dirname, join, resolve } from 'node:path';
import type { LayerGraph } from '../ir/graph.js';
import { decodeSafetensors, encodeSafetensors } from '../weights/safetensors.js';
import type { Weights } from '../weights/weights.js';
import type { LrSchedule } from './schedule.js';

export const CHECKPOINT_FORMAT = 'hrn-checkpoint';
export const CHECKPOINT_VERSION = 1;
export const WEIGHTS_FILE = 'weights.safetensors';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const STATE_FILE = 'state.json';

export class CheckpointError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'CheckpointError';
    this.path = path;
  }
}

export interface FileRecord {
  file: string;
  bytes: number;
  sha256: string;
}

/** One line of the metrics history (per epoch, typically). */
export type MetricsRecord = Record<string, number | string | null>;

/** What the caller provides. */
export interface CheckpointStateInput {
  network: { name: string; hash: string };
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps completed. */
  step: number;
  /** For a save in the middle of an epoch (Ctrl-C): the next batch index; 0 at epoch boundaries. */
  batchInEpoch?: number;
  /** Data-order seed (batches are a function of seed, epoch and batch index). */
  dataSeed: number;
  /** Generator states to restore, e.g. `{ splitmix32: rng.state }`. */
  rng: Record<string, number>;
  lrSchedule: LrSchedule;
  optimizer: { kind: 'sgd'; momentum: number; weightDecay: number; nesterov: boolean };
  metrics: MetricsRecord[];
  /** Anything else worth keeping (command line, teacher, data spec). */
  extra?: Record<string, unknown>;
}

export interface CheckpointState extends CheckpointStateInput {
  format: typeof CHECKPOINT_FORMAT;
  formatVersion: number;
  hrnVersion: string;
  savedAt: string;
  files: { weights: FileRecord; optimizer: FileRecord };
}

export interface Checkpoint {
  /** The directory actually read (CKPT, or CKPT.prev after an interrupted save). */
  path: string;
  /** True when CKPT was missing and CKPT.prev was read instead. */
  recovered: boolean;
  weights: Weights;
  /** Momentum buffers. */
  optimizer: Weights;
  state: CheckpointState;
}

let versionCache: string | undefined;

/** hrn's version from package.json (src/train and dist/train are both two levels below it). */
export function hrnVersion(): string {
  if (versionCache === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
      versionCache = pkg.version ?? 'unknown';
    } catch {
      versionCache = 'unknown';
    }
  }
  return versionCache;
}

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  }
  return v;
}

/**
 * A hash identifying a network: of its text (line endings normalized), or of a layer graph's
 * structure (every node's op, name, wiring, shape and parameters, keys sorted, so the same graph
 * hashes the same however it was built). The layer graph is the better choice: `--set` overrides
 * and pipelines change it, comments and formatting do not.
 */
export function networkHash(network: string | LayerGraph): string {
  if (typeof network === 'string') return sha256(network.replace(/\r\n?/g, '\n'));
  return sha256(JSON.stringify(canonical({ nodes: network.nodes, output: network.output, classes: network.classes })));
}

/** The stages of a save, in order, for `onStage`. */
export type SaveStage = 'weights' | 'optimizer' | 'state' | 'moved-previous' | 'renamed' | 'done';

export interface SaveOptions {
  /**
   * Called after each stage. If it throws, the save stops right there with nothing cleaned up, as
   * if the process had died at that point: the tests use this to check crash safety.
   */
  onStage?: (stage: SaveStage) => void;
}

class SimulatedCrash extends Error {}

const CHECKPOINT_FILES = new Set([WEIGHTS_FILE, OPTIMIZER_FILE, STATE_FILE]);

/** Whether a directory holds nothing but checkpoint files (so replacing it loses nothing else). */
export function isCheckpointDir(path: string): boolean {
  return statSync(path).isDirectory() && readdirSync(path).every((f) => CHECKPOINT_FILES.has(f));
}

function previousPath(dir: string): string {
  return `${dir}.prev`;
}

/** Writes a checkpoint to `dir` atomically (see the file comment); returns the saved state. */
export function saveCheckpoint(
  dir: string,
  data: { weights: Weights; optimizer: Weights; state: CheckpointStateInput },
  o: SaveOptions = {},
): CheckpointState {
  const target = resolve(dir);
  const parent = dirname(target);
  const base = basename(target);
  const prev = previousPath(target);
  if (existsSync(target) && !isCheckpointDir(target)) {
    throw new CheckpointError(target, `exists and is not an hrn checkpoint (it holds files other than ${[...CHECKPOINT_FILES].join(', ')}); refusing to replace it`);
  }
  mkdirSync(parent, { recursive: true });
  // Temporary directories of earlier, interrupted saves.
  for (const f of readdirSync(parent)) {
    if (f.startsWith(`.${base}.tmp-`)) rmSync(join(parent, f), { recursive: true, force: true });
  }
  const tmp = join(parent, `.${base}.tmp-${process.pid}-${Date.now().toString(36)}`);
  const stage = (s: SaveStage) => {
    try {
      o.onStage?.(s);
    } catch (e) {
      throw new SimulatedCrash((e as Error).message, { cause: e });
    }
  };
  let movedPrevious = false;
  try {
    mkdirSync(tmp);
    const meta = { format: CHECKPOINT_FORMAT, network: data.state.network.name, network_hash: data.state.network.hash };
    const wBytes = encodeSafetensors(data.weights, { ...meta, content: 'weights' });
    writeFileSynced(join(tmp, WEIGHTS_FILE), wBytes);
    stage('weights');
    const oBytes = encodeSafetensors(data.optimizer, { ...meta, content: 'sgd momentum' });
    writeFileSynced(join(tmp, OPTIMIZER_FILE), oBytes);
    stage('optimizer');
    const state: CheckpointState = {
      format: CHECKPOINT_FORMAT,
      formatVersion: CHECKPOINT_VERSION,
      hrnVersion: hrnVersion(),
      savedAt: new Date().toISOString(),
      ...data.state,
      files: {
        weights: { file: WEIGHTS_FILE, bytes: wBytes.length, sha256: sha256(wBytes) },
        optimizer: { file: OPTIMIZER_FILE, bytes: oBytes.length, sha256: sha256(oBytes) },
      },
    };
    writeFileSynced(join(tmp, STATE_FILE), new TextEncoder().encode(`${JSON.stringify(state, null, 2)}\n`));
    fsyncPath(tmp);
    stage('state');
    if (existsSync(target)) {
      // A stale CKPT.prev next to a complete CKPT is from a save that died after its second rename.
      rmSync(prev, { recursive: true, force: true });
      renameSync(target, prev);
      movedPrevious = true;
      fsyncPath(parent);
      stage('moved-previous');
    }
    renameSync(tmp, target);
    fsyncPath(parent);
    stage('renamed');
    rmSync(prev, { recursive: true, force: true });
    fsyncPath(parent);
    stage('done');
    return state;
  } catch (e) {
    if (e instanceof SimulatedCrash) throw e;
    // A real failure (disk full, permissions): undo what can be undone, keep the old checkpoint.
    rmSync(tmp, { recursive: true, force: true });
    if (movedPrevious && !existsSync(target) && existsSync(prev)) renameSync(prev, target);
    throw new CheckpointError(target, `cannot save checkpoint: ${(e as Error).message}`);
  }
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CheckpointError(path, `cannot read: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(path, `not valid JSON (${(e as Error).message}); the checkpoint is damaged`);
  }
}

function validateState(v: unknown, path: string): CheckpointState {
  const fail = (what: string): never => {
    throw new CheckpointError(path, `not an hrn checkpoint state: ${what}`);
  };
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail('not a JSON object');
  const s = v as Partial<CheckpointState>;
  if (s.format !== CHECKPOINT_FORMAT) fail(`format is ${JSON.stringify(s.format)}, expected "${CHECKPOINT_FORMAT}"`);
  if (s.formatVersion !== CHECKPOINT_VERSION) {
    throw new CheckpointError(path, `checkpoint format version ${s.formatVersion} is not supported by this hrn (${hrnVersion()}, reads version ${CHECKPOINT_VERSION})`);
  }
  for (const k of ['epoch', 'step', 'dataSeed'] as const) if (!Number.isInteger(s[k]) || (s[k] as number) < 0) fail(`${k} is not a non-negative integer`);
  if (!s.network || typeof s.network.name !== 'string' || typeof s.network.hash !== 'string') fail('network name/hash missing');
  if (!s.files?.weights || !s.files.optimizer) fail('files missing');
  if (!s.lrSchedule || !s.optimizer || !Array.isArray(s.metrics) || !s.rng) fail('lrSchedule, optimizer, rng or metrics missing');
  return s as CheckpointState;
}

function readTensorFile(dir: string, rec: FileRecord, what: string): Weights {
  const path = join(dir, rec.file);
  if (!existsSync(path)) throw new CheckpointError(path, `missing ${what} file (state.json lists it); the checkpoint is incomplete`);
  const size = statSync(path).size;
  if (size !== rec.bytes) {
    throw new CheckpointError(path, `${what} file is ${size} bytes, state.json records ${rec.bytes}${size < rec.bytes ? ' (truncated)' : ''}; the checkpoint is damaged`);
  }
  const bytes = readFileSync(path);
  const digest = sha256(bytes);
  if (digest !== rec.sha256) throw new CheckpointError(path, `${what} file does not match the SHA-256 in state.json (${digest.slice(0, 12)}... vs ${rec.sha256.slice(0, 12)}...); the checkpoint is damaged`);
  try {
    return decodeSafetensors(bytes, path).tensors;
  } catch (e) {
    throw new CheckpointError(path, (e as Error).message);
  }
}

export interface CheckpointLoadOptions {
  /** Refuse a checkpoint of another network (resume); the message names both. */
  expect?: { name: string; hash: string };
  /** For inference: read only the weights, so a checkpoint shipped without optimizer.safetensors loads. */
  weightsOnly?: boolean;
}

/** Refuses to resume `state` with a different network. */
export function checkNetwork(state: CheckpointState, expect: { name: string; hash: string }, path = 'checkpoint'): void {
  if (state.network.hash === expect.hash) return;
  const short = (h: string) => h.slice(0, 12);
  throw new CheckpointError(
    path,
    `was trained for network ${state.network.name} (hash ${short(state.network.hash)}), not for ${expect.name} (hash ${short(expect.hash)}): ` +
      `the architecture differs, so training cannot resume from it (start a new run, or pass the network it was trained with)`,
  );
}

/**
 * Reads and validates a checkpoint's state.json only (what the run recorded, without its tensors).
 * If CKPT is missing but CKPT.prev exists (a save interrupted between its two renames), reads that
 * instead and sets `recovered`.
 */
export function loadCheckpointState(dir: string): { path: string; recovered: boolean; state: CheckpointState } {
  const target = resolve(dir);
  const prev = previousPath(target);
  let path = target;
  let recovered = false;
  if (!existsSync(target)) {
    if (existsSync(prev)) {
      path = prev;
      recovered = true;
    } else {
      throw new CheckpointError(target, 'no checkpoint here (the directory does not exist)');
    }
  }
  if (!statSync(path).isDirectory()) throw new CheckpointError(path, 'not a checkpoint directory (a checkpoint is a directory with weights.safetensors, optimizer.safetensors and state.json)');
  const statePath = join(path, STATE_FILE);
  if (!existsSync(statePath)) {
    const hint = !recovered && existsSync(prev) ? `; the previous checkpoint is at ${prev}` : '';
    throw new CheckpointError(path, `incomplete checkpoint: ${STATE_FILE} is missing (expected ${WEIGHTS_FILE}, ${OPTIMIZER_FILE} and ${STATE_FILE})${hint}`);
  }
  return { path, recovered, state: validateState(readJson(statePath), statePath) };
}

/** Reads and validates a checkpoint directory (see loadCheckpointState for CKPT.prev). */
export function loadCheckpoint(dir: string, o: CheckpointLoadOptions = {}): Checkpoint {
  const { path, recovered, state } = loadCheckpointState(dir);
  if (o.expect) checkNetwork(state, o.expect, path);
  const weights = readTensorFile(path, state.files.weights, 'weights');
  const optimizer = o.weightsOnly ? new Map() : readTensorFile(path, state.files.optimizer, 'optimizer');
  return { path, recovered, weights, optimizer, state };
}

/**
 * Weights for inference from either a checkpoint directory or a plain .safetensors file.
 */
export function loadWeightsFrom(path: string): Weights {
  const p = resolve(path);
  if ((existsSync(p) && statSync(p).isDirectory()) || (!existsSync(p) && existsSync(previousPath(p)))) return loadCheckpoint(p, { weightsOnly: true }).weights;
  if (!existsSync(p)) throw new CheckpointError(p, 'no such file or checkpoint directory');
  try {
    return decodeSafetensors(readFileSync(p), p).tensors;
  } catch (e) {
    throw new CheckpointError(p, (e as Error).message);
  }
}
