// `hrn lsp --stdio` driven as an editor drives it: a child process spoken to in framed JSON-RPC.
// Diagnostics are compared with what `hrn check` prints for the same text, counts with what
// `hrn stats` prints, pass names with the registry: nothing here is a number written by hand.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCK_KINDS } from '../src/ir/arch.js';
import { defaultRegistry } from '../src/passes/registry.js';
import { LspProcess, ROOT } from './lsp-client.js';
import { hrn } from './run-cli.js';

interface Range {
  start: { line: number; character: number };
  end: { line: number; character: number };
}
interface PublishedDiagnostics {
  uri: string;
  version?: number;
  diagnostics: Array<{ range: Range; severity: number; message: string; source?: string }>;
}
interface HoverResult {
  contents: { kind: string; value: string };
}

const RESNET18 = readFileSync(join(ROOT, 'examples/resnet18.hrn'), 'utf8');
/** Each change must be checked and published within this (the example parses in a few ms). */
const MS_PER_CHANGE = 500;

/** The position of `needle`'s first character in `text` (after the line holding `after`, if given). */
function positionOf(text: string, needle: string, after?: string): { line: number; character: number } {
  const lines = text.split('\n');
  const from = after === undefined ? 0 : lines.findIndex((l) => l.includes(after));
  for (let line = from; line < lines.length; line++) {
    const character = lines[line].indexOf(needle);
    if (character >= 0) return { line, character };
  }
  throw new Error(`'${needle}' not in the text`);
}

describe('hrn lsp --stdio', () => {
  let dir: string;
  let server: LspProcess;
  let version = 1;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hrn-lsp-'));
    server = LspProcess.start();
    const init = (await server.request('initialize', { processId: process.pid, rootUri: null, capabilities: {} })) as { capabilities: Record<string, unknown> };
    expect(init.capabilities).toMatchObject({ hoverProvider: true, definitionProvider: true, completionProvider: {} });
    server.notify('initialized', {});
  }, 30_000);

  afterAll(() => {
    server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Sends the text as the document's next version and waits for that version's diagnostics. */
  async function change(uri: string, text: string): Promise<PublishedDiagnostics> {
    const v = ++version;
    server.notify('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: [{ text }] });
    return server.notification<PublishedDiagnostics>('textDocument/publishDiagnostics', (p) => p.uri === uri && p.version === v);
  }

  it("publishes `hrn check`'s diagnostic at its line and character on open, and none once fixed", async () => {
    const broken = RESNET18.replace('block   basic', 'block   basci');
    const path = join(dir, 'broken.hrn');
    writeFileSync(path, broken);
    const cli = await hrn('check', path);
    expect(cli.code).toBe(1);
    // `FILE:LINE:COL: error: MESSAGE`, the source line, then the caret under the span.
    const [head, , caret] = cli.err.split('\n');
    const m = /:(\d+):(\d+): error: (.*)$/.exec(head)!;
    const [line, col, message] = [Number(m[1]), Number(m[2]), m[3]];
    const width = caret.trim().length;

    const uri = pathToFileURL(path).href;
    const published = server.notification<PublishedDiagnostics>('textDocument/publishDiagnostics', (p) => p.uri === uri);
    server.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'hrn', version: ++version, text: broken } });
    const { diagnostics } = await published;
    expect(diagnostics).toEqual([
      { range: { start: { line: line - 1, character: col - 1 }, end: { line: line - 1, character: col - 1 + width } }, severity: 1, source: 'hrn', message },
    ]);
    expect(message).toContain("did you mean 'basic'");

    expect((await change(uri, RESNET18)).diagnostics).toEqual([]);

    // Another mistake in the next version: its own place and message, as `hrn check` gives them.
    const other = RESNET18.replace('param m = 64', 'param m = sixty');
    writeFileSync(path, other);
    const again = /:(\d+):(\d+): error: (.*)$/.exec((await hrn('check', path)).err.split('\n')[0])!;
    const updated = (await change(uri, other)).diagnostics;
    expect(updated.map((d) => [d.range.start.line + 1, d.range.start.character + 1, d.message])).toEqual([[Number(again[1]), Number(again[2]), again[3]]]);
  });

  it("reports a sweep block's mistake as `hrn check` does", async () => {
    const text = `${RESNET18}\nsweep widths {\n  network ResNet18\n  grid m = [16, 32]\n  epochs 0\n}\n`;
    const path = join(dir, 'sweep.hrn');
    writeFileSync(path, text);
    const cli = await hrn('check', path);
    const m = /:(\d+):(\d+): error: (.*)$/.exec(cli.err.split('\n')[0])!;
    const uri = pathToFileURL(path).href;
    const published = server.notification<PublishedDiagnostics>('textDocument/publishDiagnostics', (p) => p.uri === uri);
    server.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'hrn', version: ++version, text } });
    const { diagnostics } = await published;
    expect(diagnostics.map((d) => [d.range.start.line + 1, d.range.start.character + 1, d.message])).toEqual([[Number(m[1]), Number(m[2]), m[3]]]);
  });

  it('checks each change of examples/resnet18.hrn within a bound', async () => {
    const uri = pathToFileURL(join(dir, 'timed.hrn')).href;
    const opened = server.notification<PublishedDiagnostics>('textDocument/publishDiagnostics', (p) => p.uri === uri);
    server.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'hrn', version: ++version, text: RESNET18 } });
    await opened;
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      const edited = RESNET18.replace('param m = 64', `param m = ${i % 2 === 0 ? 'q' : 64 + i}`);
      const { diagnostics } = await change(uri, edited);
      times.push(performance.now() - started);
      expect(diagnostics.length).toBe(i % 2 === 0 ? 1 : 0);
    }
    // The median: a wall-clock bound, and other test processes share the cores.
    expect(times.sort((a, b) => a - b)[times.length / 2]).toBeLessThan(MS_PER_CHANGE);
  });

  describe('on examples/resnet18.hrn', () => {
    const uri = pathToFileURL(join(ROOT, 'examples/resnet18.hrn')).href;
    beforeAll(async () => {
      const opened = server.notification<PublishedDiagnostics>('textDocument/publishDiagnostics', (p) => p.uri === uri);
      server.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'hrn', version: ++version, text: RESNET18 } });
      await opened;
    });

    it("hovers a stage of the criticality line with its ReLUs, share and FLOPs as `hrn stats` counts them", async () => {
      const lines = (await hrn('stats', join(ROOT, 'examples/resnet18.hrn'))).out.split('\n');
      const header = lines.find((l) => l.startsWith('stage '))!;
      const row = lines.find((l) => l.startsWith('S2 '))!;
      const columns = header.trim().split(/\s+/);
      const cell = (name: string) => row.trim().split(/\s+/)[columns.indexOf(name)];
      expect([cell('ReLUs'), cell('share'), cell('FLOPs')]).toEqual([expect.stringMatching(/^[\d,]+$/), expect.stringMatching(/%$/), expect.stringMatching(/M$/)]);
      const at = positionOf(RESNET18, 'S2', 'criticality');
      const h = (await server.request('textDocument/hover', { textDocument: { uri }, position: at })) as HoverResult;
      // The row under the table's header, so that each number says what it counts.
      expect(h.contents.value).toContain(`${header.trimEnd()}\n`);
      expect(h.contents.value).toContain(row.trimEnd());
      for (const name of ['ReLUs', 'share', 'FLOPs']) expect(h.contents.value).toContain(cell(name));
    });

    it('hovers a pass name with its summary from the registry', async () => {
      const at = positionOf(RESNET18, 'thin', 'pipeline');
      const h = (await server.request('textDocument/hover', { textDocument: { uri }, position: at })) as HoverResult;
      expect(h.contents.value).toContain(defaultRegistry().get('thin')!.summary);
    });

    it("completes a pipeline step with the registry's pass names", async () => {
      const at = positionOf(RESNET18, 'alpha', 'pipeline');
      const items = (await server.request('textDocument/completion', { textDocument: { uri }, position: at })) as Array<{ label: string }>;
      const labels = items.map((i) => i.label);
      for (const p of defaultRegistry().list()) expect(labels).toContain(p.name);
    });

    it('completes keywords, block kinds and params where each can be written', async () => {
      const labelsAt = async (text: string, marker: string) => {
        const doc = pathToFileURL(join(dir, 'complete.hrn')).href;
        const opened = server.notification<PublishedDiagnostics>('textDocument/publishDiagnostics', (p) => p.uri === doc);
        server.notify('textDocument/didOpen', { textDocument: { uri: doc, languageId: 'hrn', version: ++version, text: text.replace(marker, '') } });
        await opened;
        const items = (await server.request('textDocument/completion', { textDocument: { uri: doc }, position: positionOf(text, marker) })) as Array<{ label: string }>;
        server.notify('textDocument/didClose', { textDocument: { uri: doc } });
        await server.notification<PublishedDiagnostics>('textDocument/publishDiagnostics', (p) => p.uri === doc);
        return items.map((i) => i.label);
      };
      expect(await labelsAt(`${RESNET18}\n<>`, '<>')).toEqual(['network', 'pipeline', 'sweep']);
      expect(await labelsAt(RESNET18.replace('block   basic', 'block   <>'), '<>')).toEqual([...BLOCK_KINDS]);
      const params = RESNET18.split('\n').flatMap((l) => /^\s*param\s+(\w+)/.exec(l)?.[1] ?? []);
      expect(params.length).toBeGreaterThan(0);
      expect(await labelsAt(RESNET18.replace('conv3x3(m)', 'conv3x3(<>)'), '<>')).toEqual(expect.arrayContaining(params));
    });

    it('goes from a use of a param to its declaration', async () => {
      const use = positionOf(RESNET18, '(m)');
      const decl = positionOf(RESNET18, 'param m = 64');
      const locations = await server.request('textDocument/definition', { textDocument: { uri }, position: { line: use.line, character: use.character + 1 } });
      expect(locations).toEqual([{ uri, range: { start: decl, end: { line: decl.line, character: decl.character + 'param m = 64'.length } } }]);
    });
  });

  it('ends with status 0 after shutdown and exit, having written only frames to stdout', async () => {
    expect(await server.request('shutdown', null)).toBeNull();
    server.notify('exit', null);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.stray).toBe('');
  });
}, 60_000);

describe('hrn lsp --stdio from the built command line (npm run build:cli)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hrn-lsp-bundle-'));
    // The bundle leaves the packages its script names external: they resolve from node_modules beside it.
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    const script = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['build:cli'];
    const [tool, ...args] = script.split(/\s+/);
    expect(tool).toBe('esbuild');
    const outdir = args.findIndex((a) => a.startsWith('--outdir='));
    args[outdir] = `--outdir=${join(dir, 'cli-bundle')}`;
    await promisify(execFile)(join(ROOT, 'node_modules/.bin/esbuild'), args, { cwd: ROOT });
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("starts, and publishes a file's diagnostics", async () => {
    const server = LspProcess.start([join(dir, 'cli-bundle/run.js')]);
    try {
      const ended = server.exited.then(({ code }) => Promise.reject(new Error(`hrn lsp ended with status ${code}: ${server.stderr}`)));
      await Promise.race([server.request('initialize', { processId: process.pid, rootUri: null, capabilities: {} }), ended]);
      server.notify('initialized', {});
      const uri = pathToFileURL(join(dir, 'typo.hrn')).href;
      const published = server.notification<PublishedDiagnostics>('textDocument/publishDiagnostics', (p) => p.uri === uri);
      server.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'hrn', version: 1, text: RESNET18.replace('block   basic', 'block   basci') } });
      expect((await published).diagnostics.map((d) => d.message)).toEqual([expect.stringContaining("did you mean 'basic'")]);
      expect(server.stray).toBe('');
    } finally {
      server.kill();
    }
  }, 30_000);
});
