// An exclusive lock on a directory that one process writes into (a training run's --out): a lock
// file created only if absent, holding the owner's pid and host. Two trainings in one directory
// would interleave their logs and replace each other's checkpoints, so the second is refused with
// the first one's pid.
//
// The lock file is complete the moment it appears: it is written under a temporary name and
// hard-linked into place, and link(2) fails when the name exists (also over NFS, where O_EXCL was
// long unreliable). On file systems without hard links it is created with O_EXCL instead.
//
// The holder touches the file (its mtime) every LOCK_REFRESH_MS, a heartbeat that a reader on any
// host sharing the directory can see. A lock is stale, and taken over with a note, when
//   - its heartbeat is older than LOCK_STALE_MS, whatever host wrote it (a host that died, a
//     container restarted under the same name whose new process got the old pid);
//   - it names this host and a pid that no longer runs here (SIGKILL, a crash: no need to wait);
//   - it names this very process, which does not hold it (a restart that reused the pid).
// Otherwise it is refused, saying when it will be stale. The heartbeat runs on a timer of the main
// thread, so LOCK_STALE_MS is far above the longest pause that thread takes (a synchronous
// submission that compiles kernels in the GPU driver: minutes on a loaded lavapipe) and above any
// likely difference between two hosts' clocks. A holder whose lock was taken over stops touching it.
// Two processes taking over the same stale lock at the same instant can both succeed; that needs
// two restarts of a crashed run within microseconds of each other, and is accepted.

import { closeSync, linkSync, openSync, readFileSync, statSync, unlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** How often a holder refreshes its lock (the file's mtime). */
export const LOCK_REFRESH_MS = 10_000;
/** How old a lock's last refresh may be before the lock is stale, whatever host wrote it. */
export const LOCK_STALE_MS = 15 * 60_000;

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
  /** Removes the lock file if it is still this lock's, and stops its heartbeat (idempotent). */
  release(): void;
}

export interface LockOptions {
  /** The lock file's name inside the directory. */
  name: string;
  /** Who takes the lock, recorded in it (e.g. `hrn train`). */
  what: string;
  /** Told when a stale lock is taken over. */
  note?: (line: string) => void;
  /** How often the holder refreshes the lock (default LOCK_REFRESH_MS). */
  refreshMs?: number;
  /** How old another's last refresh may be before its lock is stale (default LOCK_STALE_MS). */
  staleMs?: number;
}

const code = (e: unknown) => (e as NodeJS.ErrnoException).code;

/** The texts of the locks this process holds: a lock naming this pid that is not among them is a previous life's. */
const heldHere = new Set<string>();

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

/** When the lock file was last refreshed (ms since the epoch), or undefined when it is gone. */
function lastRefresh(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
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

/** A span of time in words: whole minutes when it is one, else seconds. */
function span(ms: number): string {
  if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 1000)} s`;
}

/** A lock found in place: its text, its owner when it says, and its last refresh. */
interface FoundLock {
  text: string;
  owner: LockOwner | undefined;
  refreshed: number;
}

/** Why `found` may be taken over, in words, or undefined while its holder may still be alive. */
function staleness(found: FoundLock, host: string, staleMs: number): string | undefined {
  const { owner } = found;
  if (owner && owner.host === host) {
    if (owner.pid === process.pid && !heldHere.has(found.text)) return 'which names this process but was not taken by it (a pid reused after a restart)';
    if (!isAlive(owner.pid)) return 'which is no longer running';
  }
  const age = Date.now() - found.refreshed;
  if (age > staleMs) return `whose last heartbeat was ${span(age)} ago`;
  return undefined;
}

function refusal(dir: string, file: string, found: FoundLock | undefined, staleMs: number): DirLockedError {
  const owner = found?.owner;
  const staleAt = found ? `${new Date(found.refreshed + staleMs).toISOString()} (${span(staleMs)} after its last heartbeat)` : undefined;
  if (!owner) {
    const when = staleAt ? ` unless refreshed, it is taken over as stale at ${staleAt};` : '';
    return new DirLockedError(file, undefined, `${dir} is locked by ${file}, which does not say who holds it;${when} if nothing is using ${dir}, delete that file and try again`);
  }
  const here = owner.host === hostname();
  const who = `${owner.what} (pid ${owner.pid}${here ? '' : ` on host ${owner.host}`}, since ${owner.since})`;
  const how = here
    ? `wait for it to finish, or stop it (kill ${owner.pid})`
    : `wait for it to finish; if that process is gone, its lock is taken over as stale at ${staleAt ?? `${span(staleMs)} after its last heartbeat`}, or delete ${file} now`;
  return new DirLockedError(file, owner, `${dir} is in use by ${who}: ${how}`);
}

/**
 * Takes the lock on `dir` (which must exist), or throws a DirLockedError naming its holder (a
 * LockFileError when the lock file cannot be written or read at all). The lock is refreshed until
 * released.
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

/** The lock in place, or undefined when there is none. */
function findLock(file: string): FoundLock | undefined {
  const text = readLock(file);
  const refreshed = text === undefined ? undefined : lastRefresh(file);
  if (text === undefined || refreshed === undefined) return undefined;
  return { text, owner: parseOwner(text), refreshed };
}

function takeLock(dir: string, file: string, o: LockOptions): DirLock {
  const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), what: o.what };
  const text = `${JSON.stringify(owner)}\n`;
  const staleMs = o.staleMs ?? LOCK_STALE_MS;
  // A few rounds: a lock may vanish (released) or go stale between looking and taking.
  for (let round = 0; round < 5; round++) {
    if (createExclusive(file, text)) return heldLock(file, owner, text, o.refreshMs ?? LOCK_REFRESH_MS);
    const found = findLock(file);
    if (found === undefined) continue;
    const why = staleness(found, owner.host, staleMs);
    if (why === undefined) throw refusal(dir, file, found, staleMs);
    // Remove it only if it is still the one just read.
    if (readLock(file) === found.text) {
      try {
        unlinkSync(file);
      } catch (e) {
        if (code(e) !== 'ENOENT') throw e;
      }
      o.note?.(`${dir}: took over ${tookOverWhat(found, owner.host)}, ${why}`);
    }
  }
  throw refusal(dir, file, findLock(file), staleMs);
}

function tookOverWhat(found: FoundLock, host: string): string {
  const other = found.owner;
  if (!other) return `the lock ${found.text.trim() === '' ? '(an empty file)' : '(which did not say who held it)'}`;
  return `the lock of pid ${other.pid}${other.host === host ? '' : ` on host ${other.host}`} (${other.what}, since ${other.since})`;
}

function heldLock(file: string, owner: LockOwner, text: string, refreshMs: number): DirLock {
  heldHere.add(text);
  const beat = setInterval(() => {
    try {
      // Taken over as stale (this process was suspended too long) or removed: not ours to keep alive.
      if (readLock(file) !== text) {
        clearInterval(beat);
        return;
      }
      const now = new Date();
      utimesSync(file, now, now);
    } catch {
      // a passing I/O error: the next beat tries again, and the stale age allows for many misses
    }
  }, refreshMs);
  // The heartbeat alone must not keep a finished process alive.
  beat.unref();
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    clearInterval(beat);
    heldHere.delete(text);
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
