// An exclusive lock on a directory that one process writes into (a training run's --out): a lock
// file created only if absent, holding the owner's pid and host. Two trainings in one directory
// would interleave their logs and replace each other's checkpoints, so the second is refused with
// the first one's pid.
//
// The lock file is complete the moment it appears: it is written under a temporary name and
// hard-linked into place, and link(2) fails when the name exists (also over NFS, where O_EXCL was
// long unreliable). On file systems without hard links it is created with O_EXCL instead.
//
// A lock left by a process that died without releasing it (SIGKILL, a power cut) is stale when its
// pid no longer runs on this host; it is taken over with a note. A lock from another host cannot be
// checked from here and is refused, with how to remove it. Two processes taking over the same stale
// lock at the same instant can both succeed; that needs two restarts of a crashed run within
// microseconds of each other, and is accepted.

import { closeSync, linkSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface LockOwner {
  pid: number;
  host: string;
  /** When the lock was taken (ISO 8601). */
  since: string;
  /** What holds it, for the refusal message (e.g. `hrn train`). */
  what: string;
}

export class DirLockedError extends Error {
  override name = 'DirLockedError';
  constructor(
    readonly lockFile: string,
    readonly owner: LockOwner | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** The lock file could not be created or read (a full disk, a read-only directory). */
export class LockFileError extends Error {
  override name = 'LockFileError';
}

export interface DirLock {
  readonly file: string;
  readonly owner: LockOwner;
  /** Removes the lock file if it is still this lock's (idempotent). */
  release(): void;
}

export interface LockOptions {
  /** The lock file's name inside the directory. */
  name: string;
  /** Who takes the lock, recorded in it (e.g. `hrn train`). */
  what: string;
  /** Told when a stale lock is taken over. */
  note?: (line: string) => void;
}

const code = (e: unknown) => (e as NodeJS.ErrnoException).code;

/** Whether `pid` is a live process on this machine (EPERM: it is, but belongs to another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return code(e) === 'EPERM';
  }
}

/** Creates `file` holding `text` only if it does not exist; false when it does. */
function createExclusive(file: string, text: string): boolean {
  const tmp = `${file}.${process.pid}.${Date.now().toString(36)}.tmp`;
  writeFileSync(tmp, text, { mode: 0o644 });
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    if (code(e) === 'EEXIST') return false;
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK'].includes(code(e) ?? '')) throw e;
  } finally {
    unlinkSync(tmp);
  }
  // No hard links here (FAT, some FUSE file systems): O_EXCL, then one write.
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o644);
  } catch (e) {
    if (code(e) === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The lock file's text, or undefined when it is gone. */
function readLock(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if (code(e) === 'ENOENT') return undefined;
    throw e;
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (Number.isInteger(o.pid) && typeof o.host === 'string') return { pid: o.pid!, host: o.host, since: String(o.since ?? '?'), what: String(o.what ?? 'another process') };
  } catch {
    // written by something else, or cut short: reported as an unknown owner
  }
  return undefined;
}

function refusal(dir: string, file: string, owner: LockOwner | undefined): DirLockedError {
  if (!owner) {
    return new DirLockedError(file, undefined, `${dir} is locked by ${file}, which does not say who holds it; if nothing is using ${dir}, delete that file and try again`);
  }
  const here = owner.host === hostname();
  const who = `${owner.what} (pid ${owner.pid}${here ? '' : ` on host ${owner.host}`}, since ${owner.since})`;
  const how = here ? `wait for it to finish, or stop it (kill ${owner.pid})` : `wait for it to finish; if that process is gone, delete ${file}`;
  return new DirLockedError(file, owner, `${dir} is in use by ${who}: ${how}`);
}

/**
 * Takes the lock on `dir` (which must exist), or throws a DirLockedError naming its holder (a
 * LockFileError when the lock file cannot be written or read at all).
 */
export function lockDir(dir: string, o: LockOptions): DirLock {
  const file = join(dir, o.name);
  try {
    return takeLock(dir, file, o);
  } catch (e) {
    if (e instanceof DirLockedError || code(e) === undefined) throw e;
    throw new LockFileError(`${dir}: cannot lock it with ${file} (${code(e)})`);
  }
}

function takeLock(dir: string, file: string, o: LockOptions): DirLock {
  const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), what: o.what };
  const text = `${JSON.stringify(owner)}\n`;
  // A few rounds: a lock may vanish (released) or go stale between looking and taking.
  for (let round = 0; round < 5; round++) {
    if (createExclusive(file, text)) return heldLock(file, owner, text);
    const held = readLock(file);
    if (held === undefined) continue;
    const other = parseOwner(held);
    if (!other || other.host !== owner.host || isAlive(other.pid)) throw refusal(dir, file, other);
    // Stale: its process is gone. Remove it only if it is still the one just read.
    if (readLock(file) === held) {
      try {
        unlinkSync(file);
      } catch (e) {
        if (code(e) !== 'ENOENT') throw e;
      }
      o.note?.(`${dir}: took over the lock of pid ${other.pid} (${other.what}, since ${other.since}), which is no longer running`);
    }
  }
  throw refusal(dir, file, parseOwner(readLock(file) ?? ''));
}

function heldLock(file: string, owner: LockOwner, text: string): DirLock {
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.removeListener('exit', release);
    try {
      if (readLock(file) === text) unlinkSync(file);
    } catch {
      // gone already, or the directory went away: nothing left to release
    }
  };
  // process.exit (a second Ctrl-C) skips finally blocks; the lock must not outlive the process.
  process.on('exit', release);
  return { file, owner, release };
}
