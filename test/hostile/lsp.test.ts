// `hrn lsp --stdio` against what a broken client or a half-written file gives it: bytes that are
// not protocol, requests with broken params, every stage of typing a file. The server answers what
// it can, says on stderr what it skipped, never writes anything but frames to stdout, and does not
// end until stdin does.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { frame, LspProcess, ROOT } from '../lsp-client.js';
import { runHrn } from './bounded.js';

interface PublishedDiagnostics {
  uri: string;
  version?: number;
  diagnostics: Array<{ message: string }>;
}

const RESNET18 = readFileSync(join(ROOT, 'examples/resnet18.hrn'), 'utf8');
const SKIPPED = 'hrn lsp: skipped input that is not a protocol message';
/** Bytes no client should send: a header line without a colon, then a framed body that is not JSON. */
const GARBAGE = Buffer.from('hello there\r\n\r\nContent-Length: 5\r\n\r\n{{{{{');

/** The end of `text` as a protocol position. */
function endOf(text: string): { line: number; character: number } {
  const lines = text.split('\n');
  return { line: lines.length - 1, character: lines[lines.length - 1].length };
}

describe('hrn lsp --stdio, given input that is not the protocol', () => {
  let server: LspProcess;
  let version = 0;

  beforeAll(async () => {
    server = LspProcess.start();
    await server.request('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
    server.notify('initialized', {});
  }, 30_000);
  afterAll(() => server?.kill());

  async function open(uri: string, text: string): Promise<void> {
    const v = ++version;
    const published = server.notification<PublishedDiagnostics>('textDocument/publishDiagnostics', (p) => p.uri === uri && p.version === v);
    server.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'hrn', version: v, text } });
    await published;
  }

  it('skips bytes that are not a message, says so on stderr, and answers the request that came with them', async () => {
    const { frame: request, answer } = server.framedRequest('textDocument/hover', { textDocument: { uri: 'file:///nowhere.hrn' }, position: { line: 0, character: 0 } });
    // One write: the request arrives in the same chunk as the garbage, not after more input.
    server.writeRaw(Buffer.concat([GARBAGE, request]));
    expect(await answer).toBeNull();
    // stderr is another pipe: its lines may be read after the answer on stdout.
    await vi.waitFor(() => expect(server.stderr.split('\n').filter((l) => l.startsWith(SKIPPED))).toHaveLength(2), { timeout: 10_000 });
  }, 15_000);

  it('answers requests with missing, wrong or out-of-range params without ending', async () => {
    const uri = 'file:///broken-params.hrn';
    await open(uri, RESNET18);
    await expect(server.request('textDocument/hover', null)).rejects.toThrow();
    expect(await server.request('textDocument/completion', { textDocument: { uri: 42 }, position: 'here' })).toEqual([]);
    const far = { textDocument: { uri }, position: { line: 1_000_000, character: -5 } };
    expect(await server.request('textDocument/hover', far)).toBeNull();
    expect(await server.request('textDocument/definition', far)).toEqual([]);
    expect(await server.request('textDocument/completion', far)).toEqual(expect.any(Array));
    // A message that is neither a request nor a notification, then a method nobody serves.
    const array = Buffer.from(JSON.stringify([1, 2, 3]));
    server.writeRaw(Buffer.concat([Buffer.from(`Content-Length: ${array.length}\r\n\r\n`), array]));
    await expect(server.request('hrn/nothing', {})).rejects.toThrow(/-32601/);
    expect(await server.request('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } })).toBeDefined();
  }, 15_000);

  it('checks every stage of typing a file and answers hover, completion and definition at its end, without an internal error', async () => {
    const uri = 'file:///typing.hrn';
    await open(uri, '');
    // Every third prefix: cut inside words, numbers, lists, comments and braces.
    for (let n = 0; n <= RESNET18.length; n += 3) {
      const text = RESNET18.slice(0, n);
      const v = ++version;
      const published = server.notification<PublishedDiagnostics>('textDocument/publishDiagnostics', (p) => p.uri === uri && p.version === v);
      server.notify('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: [{ text }] });
      await published;
      const at = { textDocument: { uri }, position: endOf(text) };
      const answers = await Promise.all(['hover', 'completion', 'definition'].map((m) => server.request(`textDocument/${m}`, at)));
      expect(answers[1]).toEqual(expect.any(Array));
    }
    const logged = server.received<{ message: string }>('window/logMessage').map((m) => m.message);
    expect(logged.filter((m) => m.includes('internal error'))).toEqual([]);
    expect(server.stderr).not.toContain('internal error');
  }, 60_000);

  it('has written nothing to stdout but frames, and ends with status 0 after shutdown and exit', async () => {
    expect(await server.request('shutdown', null)).toBeNull();
    server.notify('exit', null);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.stray).toBe('');
  });
});

describe('hrn lsp --stdio, bounded', () => {
  it('ends with status 1 when stdin ends without a shutdown, after garbage and half a message, in bounded time and memory', async () => {
    const init = frame({ id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } });
    // A header that promises more than will ever come.
    const input = Buffer.concat([GARBAGE, init, Buffer.from('Content-Length: 999999999999\r\n\r\n{"jsonrpc"')]).toString('latin1');
    const r = await runHrn(['lsp', '--stdio'], { input, timeoutMs: 30_000 });
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(SKIPPED);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    // Whatever it wrote before stdin ended is whole frames.
    expect(r.stdout.replace(/Content-Length: (\d+)\r\n\r\n(\{.*?\})(?=Content-Length|$)/gs, '')).toBe('');
    expect(r.ms).toBeLessThan(20_000);
    expect(r.peakMiB).toBeLessThan(600);
  }, 40_000);
});
