// A small Language Server Protocol client for tests: starts `hrn lsp --stdio` as a child process
// and speaks Content-Length framed JSON-RPC to it. Written here rather than taken from
// vscode-languageclient (which the VS Code extension uses) so that the tests see every byte of
// stdout: a stray line there is kept for them to catch, where a library would skip it.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');

export interface Message {
  id?: number;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string };
}

/** A message as the protocol frames it: a Content-Length header, an empty line, the JSON body. */
export function frame(m: Omit<Message, 'jsonrpc'>): Buffer {
  const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...m }), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]);
}

export class LspProcess {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Whatever stdout carried that was not a well-formed frame (must stay empty). */
  stray = '';
  stderr = '';
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly notifications: Message[] = [];
  private readonly waiters: Array<{ method: string; match: (params: unknown) => boolean; resolve: (params: unknown) => void }> = [];

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (chunk: Buffer) => this.read(chunk));
    child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    this.exited = new Promise((done) => child.on('exit', (code, signal) => done({ code, signal })));
  }

  /** `node --import tsx src/cli/run.ts lsp --stdio`, or `node bin/hrn.js lsp --stdio` with `entry`. */
  static start(entry: string[] = ['--import', 'tsx', 'src/cli/run.ts']): LspProcess {
    const child = spawn(process.execPath, [...entry, 'lsp', '--stdio'], { cwd: ROOT, stdio: 'pipe' });
    return new LspProcess(child);
  }

  request(method: string, params: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ id, method, params });
    });
  }

  notify(method: string, params: unknown): void {
    this.send({ method, params });
  }

  /** The next notification of `method` whose params `match` (one received earlier counts). */
  notification<T>(method: string, match: (params: T) => boolean = () => true): Promise<T> {
    const i = this.notifications.findIndex((n) => n.method === method && match(n.params as T));
    if (i >= 0) return Promise.resolve(this.notifications.splice(i, 1)[0].params as T);
    return new Promise((resolve) => this.waiters.push({ method, match: (p) => match(p as T), resolve: (p) => resolve(p as T) }));
  }

  /** Notifications of `method` received so far that no `notification()` call has taken. */
  received<T>(method: string): T[] {
    return this.notifications.filter((n) => n.method === method).map((n) => n.params as T);
  }

  /** Bytes as they are, framed or not: for what a broken client might send. */
  writeRaw(bytes: string | Buffer): void {
    this.child.stdin.write(bytes);
  }

  /** A request's frame, for `writeRaw` to send in one piece with other bytes; its answer comes to the promise. */
  framedRequest(method: string, params: unknown): { frame: Buffer; answer: Promise<unknown> } {
    const id = this.nextId++;
    const answer = new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    return { frame: frame({ id, method, params }), answer };
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private send(m: Omit<Message, 'jsonrpc'>): void {
    this.child.stdin.write(frame(m));
  }

  private read(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const header = this.buffer.subarray(0, headerEnd).toString('ascii');
      const length = /^Content-Length: (\d+)$/im.exec(header)?.[1];
      if (length === undefined || !header.startsWith('Content-')) {
        // Not a frame: keep it for the test to see, and look for the next header.
        const next = this.buffer.indexOf('Content-Length:', 1);
        this.stray += this.buffer.subarray(0, next < 0 ? this.buffer.length : next).toString('utf8');
        this.buffer = next < 0 ? Buffer.alloc(0) : this.buffer.subarray(next);
        continue;
      }
      const start = headerEnd + 4;
      if (this.buffer.length < start + Number(length)) return;
      const body = this.buffer.subarray(start, start + Number(length)).toString('utf8');
      this.buffer = this.buffer.subarray(start + Number(length));
      this.dispatch(JSON.parse(body) as Message);
    }
  }

  private dispatch(m: Message): void {
    if (m.id !== undefined && m.method === undefined) {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) p?.reject(new Error(`${m.error.code}: ${m.error.message}`));
      else p?.resolve(m.result);
      return;
    }
    if (m.id !== undefined) {
      // A request from the server (registrations, progress): accept it.
      this.send({ id: m.id, result: null });
      return;
    }
    const w = this.waiters.findIndex((x) => x.method === m.method && x.match(m.params));
    if (w >= 0) this.waiters.splice(w, 1)[0].resolve(m.params);
    else this.notifications.push(m);
  }
}
