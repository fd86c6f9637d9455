// Output directories given on the command line (`compile -o`, `train --out`). Creating one must
// fail in one line, not hang or crash: Node's recursive mkdir spins forever on some paths under
// /proc, so missing directories are created one level at a time, and every failure becomes an
// OutputDirError with the system's reason.

import { accessSync, constants, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export class OutputDirError extends Error {
  override name = 'OutputDirError';
}

const code = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/** Creates `dir` and its missing parents; checks that it is a writable directory. */
export function ensureDir(dir: string): void {
  const missing: string[] = [];
  let p = resolve(dir);
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      const parent = dirname(p);
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || parent === p) throw new OutputDirError(`${dir}: cannot use as an output directory (${code(e)})`);
      missing.push(p);
      p = parent;
      continue;
    }
    if (!isDir) throw new OutputDirError(`${dir}: ${p === resolve(dir) ? 'exists and is not a directory' : `${p} is not a directory`}`);
    break;
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (e) {
      throw new OutputDirError(`${dir}: cannot create ${m} (${code(e)})`);
    }
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new OutputDirError(`${dir}: not writable (${code(e)})`);
  }
}

/** The entries of `dir`, or [] when it does not exist (or cannot be listed: ensureDir says why). */
export function dirEntries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
