// The language server's answers, in-process (test/lsp.test.ts drives the real process): each
// context of hover, completion and definition, the byte order mark, severities, a file without a
// network. Expected counts come from `hrn stats`, messages from `hrn check`, names from the tables
// the parser and the passes keep.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompletionItem, Position } from 'vscode-languageserver';
import { afterAll, describe, expect, it } from 'vitest';
import { BLOCK_KINDS } from '../src/ir/arch.js';
import { Analysis } from '../src/lsp/analysis.js';
import { complete } from '../src/lsp/completion.js';
import { definition } from '../src/lsp/definition.js';
import { protocolDiagnostics } from '../src/lsp/diagnostics.js';
import { hover } from '../src/lsp/hover.js';
import { SWEEP_SUPPORT } from '../src/cli/commands/lsp.js';
import { SWEEP_SETTINGS } from '../src/sweep/from-source.js';
import { defaultRegistry } from '../src/passes/registry.js';
import { ROOT } from './lsp-client.js';
import { hrn } from './run-cli.js';

const RESNET18 = readFileSync(join(ROOT, 'examples/resnet18.hrn'), 'utf8');
const SWEEPS = SWEEP_SUPPORT;
const dir = mkdtempSync(join(tmpdir(), 'hrn-lsp-features-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The text with `|` removed, and the position it marked. */
function marked(text: string): { text: string; at: Position } {
  const i = text.indexOf('|');
  const lines = text.slice(0, i).split('\n');
  return { text: text.slice(0, i) + text.slice(i + 1), at: { line: lines.length - 1, character: lines[lines.length - 1].length } };
}

function analyze(text: string, path = join(dir, 'doc.hrn')): Analysis {
  return new Analysis(path, text, SWEEPS);
}

const hoverText = (a: Analysis, at: Position) => (hover(a, at)?.contents as { value: string } | undefined)?.value;
const labels = (items: CompletionItem[]) => items.map((i) => i.label);

/** `hrn stats`'s table for a file: the lines from its header to its total. */
async function statsTable(path: string): Promise<string[]> {
  const lines = (await hrn('stats', path)).out.split('\n');
  const from = lines.findIndex((l) => l.startsWith('stage '));
  return lines.slice(from, lines.findIndex((l, i) => i > from && l.startsWith('total')) + 1);
}

describe('hover', () => {
  it("shows the whole table of `hrn stats` on the stages keyword, and one stage's row on a depths item", async () => {
    const table = await statsTable(join(ROOT, 'examples/resnet18.hrn'));
    const { text, at } = marked(RESNET18.replace('  stages  depths [2, 2, 2, 2]', '  st|ages  depths [2, 2, 2, 2]'));
    const whole = hoverText(analyze(text), at)!;
    for (const line of table) expect(whole).toContain(line);
    const item = marked(RESNET18.replace('depths [2, 2, 2, 2]', 'depths [2, |2, 2, 2]'));
    const s2 = hoverText(analyze(item.text), item.at)!;
    expect(s2).toContain(table.find((l) => l.startsWith('S2 ')));
    expect(s2).not.toContain(table.find((l) => l.startsWith('S3 ')));
  });

  it("shows a stage named in a pipeline block for every network of the file, and says which did not resolve", async () => {
    const second = RESNET18.split('\n').filter((l) => !l.startsWith('#')).join('\n').replace('network ResNet18', 'network Other').replace(/pipeline lowrelu[\s\S]*/, '');
    const broken = 'network Broken {\n  param m = zz\n}\n';
    const { text, at } = marked(`${RESNET18.replace('thin S2 S3 S4', 'thin S|2 S3 S4')}\n${second}\n${broken}`);
    const shown = hoverText(analyze(text), at)!;
    const row = (await statsTable(join(ROOT, 'examples/resnet18.hrn'))).find((l) => l.startsWith('S2 '))!;
    expect(shown).toContain('**S2** of **ResNet18**');
    expect(shown).toContain('**S2** of **Other**');
    expect(shown.split(row).length - 1).toBe(2);
    expect(shown).toContain('**Broken** has errors');
  });

  it('names a stage the network does not have', () => {
    const { text, at } = marked(RESNET18.replace('thin S2 S3 S4', 'thin S2 S3 S|9'));
    expect(hoverText(analyze(text), at)).toContain('has no stage S9 (its stages: S1, S2, S3, S4)');
  });

  it("shows both words of a two-word pass's name from either word", () => {
    const summary = defaultRegistry().get('equalize width')!.summary;
    for (const mark of ['equ|alize width', 'equalize wi|dth']) {
      const { text, at } = marked(RESNET18.replace('equalize width', mark));
      expect(hoverText(analyze(text), at)).toContain(summary);
    }
  });

  it("shows a param's declaration on its use", () => {
    const { text, at } = marked(RESNET18.replace('conv3x3(m)', 'conv3x3(|m)'));
    expect(hoverText(analyze(text), at)).toContain('param m = 64');
  });
});

describe('diagnostics', () => {
  it('counts characters after a byte order mark as `hrn check` does, and keeps the mark in the range', async () => {
    const text = '\uFEFFnetwork A { q\n  input 3 x 8 x 8\n}\n';
    const path = join(dir, 'bom.hrn');
    writeFileSync(path, text);
    const m = /:(\d+):(\d+): error: (.*)$/.exec((await hrn('check', path)).err.split('\n')[0])!;
    const [d] = protocolDiagnostics(analyze(text, path));
    expect(d.message).toBe(m[3]);
    // hrn's columns count from after the mark; the editor's characters count the mark too when it keeps it.
    expect(m[1]).toBe('1');
    expect(d.range.start).toEqual({ line: 0, character: Number(m[2]) });
    expect(text.slice(d.range.start.character, d.range.end.character)).toBe('q');
  });

  it("publishes hrn's note as information, next to its errors", async () => {
    const params = Array.from({ length: 120 }, (_, i) => `  param p${i} = nope${i}`).join('\n');
    const text = `network Many {\n${params}\n}\n`;
    const path = join(dir, 'many.hrn');
    writeFileSync(path, text);
    const cli = (await hrn('check', path)).err;
    const note = /: note: (.*)$/m.exec(cli)![1];
    const ds = protocolDiagnostics(analyze(text, path));
    expect(ds.find((d) => d.message === note)?.severity).toBe(3);
    expect(ds.filter((d) => d.severity === 1).length).toBe((cli.match(/: error: /g) ?? []).length);
  });

  it('says a file without a network defines none, at its start, as `hrn check` does', async () => {
    const text = 'pipeline lean {\n  thin S2\n}\n';
    const path = join(dir, 'none.hrn');
    writeFileSync(path, text);
    const said = (await hrn('check', path)).err;
    const ds = protocolDiagnostics(analyze(text, path));
    expect(ds).toHaveLength(1);
    expect(said).toContain(`${path}: ${ds[0].message}`);
    expect(ds[0].range.start).toEqual({ line: 0, character: 0 });
  });
});

describe('completion', () => {
  const at = (text: string) => {
    const m = marked(text);
    return labels(complete(analyze(m.text), m.at, SWEEPS));
  };

  it('offers the declarations at the top level and the statements in a network', () => {
    expect(at(`${RESNET18}\n|`)).toEqual(['network', 'pipeline', 'sweep']);
    const statements = at(RESNET18.replace('  block   basic', '  |\n  block   basic'));
    expect(statements).toEqual(expect.arrayContaining(['param', 'input', 'stem', 'block', 'stages', 'head', 'criticality']));
    expect(statements).not.toContain('network');
  });

  it('offers the block kinds after block, and the params of the network in an expression', () => {
    expect(at(RESNET18.replace('block   basic', 'block   b|'))).toEqual([...BLOCK_KINDS]);
    const inExpr = at(RESNET18.replace('conv3x3(m)', 'conv3x3(|)'));
    expect(inExpr).toEqual(expect.arrayContaining(['m', 'widths', 'res', 'num_classes']));
  });

  it("offers a two-word pass's second words after its first, and stage names as arguments", () => {
    expect(at(RESNET18.replace('equalize width', 'equalize |'))).toEqual(
      defaultRegistry()
        .namesStartingWith('equalize')
        .map((n) => n.split(' ')[1]),
    );
    expect(at(RESNET18.replace('thin S2 S3 S4', 'thin S2 |'))).toEqual(['S1', 'S2', 'S3', 'S4']);
  });

  it("offers a sweep's settings, the file's params after grid, and passes in a pipeline string", () => {
    const sweep = (body: string) => `${RESNET18}\nsweep s {\n  network ResNet18\n${body}\n}\n`;
    expect(at(sweep('  |'))).toEqual([...SWEEP_SETTINGS, 'grid', 'list', 'sample']);
    expect(at(sweep('  grid |'))).toEqual(['m', 'widths', 'res', 'num_classes']);
    // A random search draws the params and the training settings, from the distributions hrn sweep knows.
    expect(at(sweep('  trials 4\n  sample |'))).toEqual(['m', 'widths', 'res', 'num_classes', 'epochs', 'batch', 'lr', 'momentum', 'weight-decay']);
    expect(at(sweep('  trials 4\n  sample lr = |'))).toEqual(['uniform', 'loguniform', 'int', 'choice']);
    expect(at(sweep('  trials 4\n  sample lr = loguniform(|'))).toEqual([]);
    const inString = at(sweep('  pipelines ["cull S1; |"]'));
    for (const p of defaultRegistry().list()) expect(inString).toContain(p.name);
    expect(at(sweep('  pipelines [|]'))).toEqual(['lowrelu', 'hybrenet', 'none']);
  });
});

describe('definition', () => {
  const uri = 'file:///doc.hrn';
  it("goes from a sweep's axis to the param of the swept network", () => {
    const { text, at } = marked(`${RESNET18}\nsweep s {\n  network ResNet18\n  grid |m = [16, 32]\n}\n`);
    const line = text.split('\n').findIndex((l) => l.includes('param m = 64'));
    expect(definition(analyze(text), uri, at)).toEqual([{ uri, range: { start: { line, character: 2 }, end: { line, character: 2 + 'param m = 64'.length } } }]);
  });

  it('goes from a param in a list and in arithmetic to its declaration, and nowhere from a number', () => {
    const { text, at } = marked(RESNET18.replace('input   3 x res x res', 'input   3 x res x (r|es + 0)'));
    const line = text.split('\n').findIndex((l) => l.includes('param res'));
    expect(definition(analyze(text), uri, at).map((l) => l.range.start)).toEqual([{ line, character: 2 }]);
    const number = marked(RESNET18.replace('depths [2, 2, 2, 2]', 'depths [|2, 2, 2, 2]'));
    expect(definition(analyze(number.text), uri, number.at)).toEqual([]);
  });
});

describe('a half-typed file', () => {
  const SWEEP = '\nsweep widths {\n  network ResNet18\n  grid m = [16, 32]\n  pipelines ["thin S2; cull S1", lowrelu, none]\n  epochs 1\n}\n';
  const FULL = `${RESNET18}${SWEEP}`;

  it('is checked at every other length, and hover, completion and definition answer at its end', () => {
    // Every other length cuts every word, number, list and block somewhere (test/hostile/lsp.test.ts
    // does every third over stdio).
    for (let n = 0; n <= FULL.length; n += 2) {
      const text = FULL.slice(0, n);
      const lines = text.split('\n');
      const end = { line: lines.length - 1, character: lines[lines.length - 1].length };
      const a = analyze(text);
      expect(() => [protocolDiagnostics(a), hover(a, end), complete(a, end, SWEEPS), definition(a, 'file:///doc.hrn', end)], `at length ${n}`).not.toThrow();
    }
  });

  it('answers at every position of the whole file, and past the ends of its lines', () => {
    const a = analyze(FULL);
    FULL.split('\n').forEach((line, l) => {
      for (let c = 0; c <= line.length + 2; c++) {
        const p = { line: l, character: c };
        expect(() => [hover(a, p), complete(a, p, SWEEPS), definition(a, 'file:///doc.hrn', p)], `at ${l}:${c}`).not.toThrow();
      }
    });
  });
});
