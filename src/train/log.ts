// The training log: JSON lines, one object per line, appended and flushed line by line (each line
// is one write(2) on a file opened for appending, so a crash loses at most the line being written
// and a reader never sees half of one unless the machine dies mid-write).

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export type LogRecord = Record<string, unknown>;

export class JsonlLogger {
  readonly path: string;
  private fd: number | undefined;

  /** Opens (creating, or appending to) `path`. */
  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a', 0o644);
  }

  /** Appends one record, with `time` (ISO 8601) first unless the record has one. */
  log(record: LogRecord): void {
    if (this.fd === undefined) throw new Error(`${this.path}: log is closed`);
    const line = `${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`;
    const bytes = Buffer.from(line, 'utf8');
    let at = 0;
    while (at < bytes.length) at += writeSync(this.fd, bytes, at, bytes.length - at);
  }

  /** Forces the log to disk (at checkpoints). */
  sync(): void {
    if (this.fd !== undefined) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}

/** Reads a JSON-lines log; a last line without its newline (a crash mid-write) is skipped. */
export function readJsonl(path: string): LogRecord[] {
  const text = readFileSync(path, 'utf8');
  // The piece after the last newline is empty, or a line cut short by a crash: either way, dropped.
  const lines = text.split('\n').slice(0, -1);
  const out: LogRecord[] = [];
  lines.forEach((l, i) => {
    if (l.trim() === '') return;
    try {
      out.push(JSON.parse(l) as LogRecord);
    } catch (e) {
      throw new Error(`${path}: line ${i + 1} is not JSON (${(e as Error).message})`);
    }
  });
  return out;
}
