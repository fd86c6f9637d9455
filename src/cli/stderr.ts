// Where hrn's own messages and progress go. Normally that is process.stderr. Under the supervisor
// (supervise.ts) descriptor 2 is a pipe that carries only what native code and Node itself print,
// and the user's real stderr arrives as another descriptor, which supervise.ts names here: hrn
// writes there directly, so its lines keep their order against stdout and a terminal stays a
// terminal (progress bars, width).

import { fstatSync, writeSync } from 'node:fs';
import { isatty, WriteStream } from 'node:tty';

/** What progress bars and message lines need of a stream. */
export interface ErrStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

/** Writes all of `text` to `fd`, waiting out a full non-blocking pipe instead of dropping lines. */
export function writeFully(fd: number, text: string): void {
  let buf = Buffer.from(text);
  while (buf.length > 0) {
    try {
      buf = buf.subarray(writeSync(fd, buf));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      // A reader that is slower than us (a pager): give it a moment.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

/** A stream over a descriptor that is not a terminal: synchronous writes, so nothing is pending at exit. */
function fdStream(fd: number): ErrStream {
  return {
    isTTY: false,
    write(chunk) {
      writeFully(fd, chunk);
      return true;
    },
  };
}

/** A stream for the user's stderr on descriptor `fd`, or undefined if it is not open. */
function streamOnFd(fd: number): ErrStream | undefined {
  try {
    fstatSync(fd);
  } catch {
    return undefined;
  }
  return isatty(fd) ? new WriteStream(fd) : fdStream(fd);
}

let chosen: ErrStream | undefined;

/** From now on hrn's messages go to descriptor `fd` (the supervisor's child), if it is open. */
export function useStderrFd(fd: number): void {
  chosen = streamOnFd(fd) ?? chosen;
}

/** The user's stderr (see the top of this file); the same object on every call. */
export function userStderr(): ErrStream {
  chosen ??= process.stderr;
  return chosen;
}
