// Shared by the sweep tests: a tiny Fashion-MNIST-format data set in IDX files, a tiny network
// family, and `hrn` run in-process or as a child process.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import { idxGzip } from './idx-fixtures.js';

/** Writes N training and N test images (28x28, ten classes) where a class is a brighter band. */
export function writeTinyFashion(dir: string, n = 40): string {
  mkdirSync(dir, { recursive: true });
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
  const px = new Uint8Array(n * 28 * 28);
  for (let i = 0; i < n; i++) for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) px[i * 784 + y * 28 + x] = Math.floor(y / 3) === labels[i] ? 220 : (x * 7 + y * 3 + i) % 60;
  for (const split of ['train', 't10k']) {
    writeFileSync(join(dir, `${split}-images-idx3-ubyte.gz`), idxGzip([n, 28, 28], px));
    writeFileSync(join(dir, `${split}-labels-idx1-ubyte.gz`), idxGzip([n], labels));
  }
  return `fashion-mnist:${dir}`;
}

/** A two-stage residual network small enough to train in seconds on lavapipe; `k` classes. */
export const TINY_HRN = `network Tiny {
  param m = 2
  param k = 10
  input   1x28x28
  classes k
  stem    conv3x3(m)
  block   basic
  stages  depths [1, 1] widths [2]
  head    avgpool fc
  criticality S2 > S1
}
`;

export async function hrnInProcess(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`) });
  return { code, out, err };
}

/** `hrn ARGS` as a child process (from the sources, through tsx), its output collected. */
export function hrnProcess(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, output: () => text, exited };
}

/** Polls `cond`; on time-out fails with `what` and whatever `context` says (child output). */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 200, context?: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${context ? context() : ''}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
