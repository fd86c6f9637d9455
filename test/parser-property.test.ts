// Property tests: whatever text comes in (random characters, random token soup, or a valid source
// with tokens or characters deleted, inserted or swapped), the front end does not throw, and every
// diagnostic points at a real position of the text it came from.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../src/diagnostics.js';
import { parseHrn, parseOverride, parsePipelineText, resolveNetwork, type Override } from '../src/parser/index.js';
import { resolveSweep } from '../src/sweep/from-source.js';

const VALID = [
  `network ResNet18 {
  param m = 64
  param widths = [2, 2, 2]
  input   3x32x32
  classes 100
  kernel  3
  stem    conv3x3(m), stride 1
  block   basic
  stages  depths [2, 2, 2, 2] widths widths
          strides [1, 2, 2, 2]
  head    avgpool fc
  criticality S3 > S2 > S4 > S1
}

pipeline lowrelu {
  equalize width
  alpha 2
  cull least-critical when dominant
  thin S2 S3 S4; reuse 4
}
`,
  `network WRN22x8 { param k = 8; input 3 x 32 x 32; classes 100; stem conv3x3(16)
  stages depths [3, 3, 3] channels [16*k, 32*k, (64*k)] }
pipeline p { order S3>S2>S1 gamma<4 }`,
  readFileSync('examples/hrn-2x5x3x.hrn', 'utf8'),
  // with a sweep block: strings, dashed settings, nested lists
  readFileSync('examples/fashion-hrn.hrn', 'utf8'),
];

const VOCAB = [
  'network', 'pipeline', 'param', 'input', 'classes', 'kernel', 'stem', 'block', 'stages', 'head',
  'criticality', 'depths', 'widths', 'channels', 'strides', 'stride', 'm', 'x', 'S1', 'S2', 'conv3x3',
  'least-critical', 'basic', 'avgpool', 'fc', '0', '1', '2', '2.5', '64', '{', '}', '(', ')', '[', ']',
  ',', ';', '=', '+', '-', '*', '/', '>', '<', '#', '\n', ' ', '\t', '\r\n', '@', 'é', '"',
  'sweep', 'grid', 'list', 'seeds', 'pipelines', 'data', 'test-subset', '"cull S1; thin S2"', '"cifar100:/x"', 'none',
];

/** Every diagnostic lies inside the text of its file. */
function expectInside(diags: readonly Diagnostic[], texts: ReadonlyMap<string, string>): void {
  for (const d of diags) {
    expect(d.message).not.toMatch(/internal error/);
    expect(d.message.length).toBeGreaterThan(0);
    const text = texts.get(d.span.file);
    expect(text, `diagnostic in unknown file ${d.span.file}: ${d.message}`).toBeDefined();
    const lines = text!.split('\n');
    const { line, col, length } = d.span;
    expect(Number.isInteger(line) && line >= 1 && line <= lines.length, `line ${line} of ${lines.length}: ${d.message}`).toBe(true);
    expect(Number.isInteger(col) && col >= 1 && col <= lines[line - 1].length + 1, `col ${col} on line ${line}: ${d.message}`).toBe(true);
    expect(Number.isInteger(length) && length >= 1).toBe(true);
  }
}

/** Runs the whole front end on `text` (file, pipeline and override entry points). */
function frontEnd(text: string, sets: string[] = []): void {
  const texts = new Map([['f.hrn', text]]);
  const { file, diagnostics } = parseHrn(text, 'f.hrn');
  expectInside(diagnostics, texts);
  for (const p of file.pipelines) for (const s of p.steps) expectInside([{ severity: 'note', message: s.pass, span: s.span }], texts);

  const overrides: Override[] = [];
  sets.forEach((s, i) => {
    const origin = `<--set ${i}>`;
    texts.set(origin, s);
    const r = parseOverride(s, origin);
    expectInside(r.diagnostics, texts);
    if (r.override) overrides.push(r.override);
  });
  for (const n of file.networks) {
    const r = resolveNetwork(n, overrides, texts);
    expectInside(r.diagnostics, texts);
    if (r.arch) expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    else if (!n.hasSyntaxErrors && diagnostics.length === 0) expect(r.diagnostics.length).toBeGreaterThan(0);
  }

  for (const sw of file.sweeps) expectInside(resolveSweep(sw, file, texts).diagnostics, texts);

  const pipe = parsePipelineText(text, '<--pipeline>');
  expectInside(pipe.diagnostics, new Map([['<--pipeline>', text]]));
  const o = parseOverride(text, '<--set>');
  expectInside(o.diagnostics, new Map([['<--set>', text]]));
}

const tokenSoup = fc.array(fc.constantFrom(...VOCAB), { maxLength: 60 }).map((ts) => ts.join(' '));

/** A valid source cut into tokens and layout, so mutations act on meaningful pieces. */
function pieces(text: string): string[] {
  return text.match(/\s+|[A-Za-z_][A-Za-z0-9_-]*|[0-9]+(?:\.[0-9]+)?|#[^\n]*|./g) ?? [];
}

type Mutation =
  | { op: 'delete'; at: number }
  | { op: 'insert'; at: number; piece: string }
  | { op: 'swap'; at: number; with: number }
  | { op: 'deleteChar'; at: number }
  | { op: 'insertChar'; at: number; ch: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), piece: fc.constantFrom(...VOCAB) }),
  fc.record({ op: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ op: fc.constant('deleteChar' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insertChar' as const), at: fc.nat(), ch: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) }),
);

function mutate(text: string, muts: Mutation[]): string {
  let ps = pieces(text);
  for (const m of muts) {
    if (ps.length === 0) ps = [''];
    const at = m.at % ps.length;
    switch (m.op) {
      case 'delete':
        ps.splice(at, 1);
        break;
      case 'insert':
        ps.splice(at, 0, m.piece);
        break;
      case 'swap': {
        const j = m.with % ps.length;
        [ps[at], ps[j]] = [ps[j], ps[at]];
        break;
      }
      case 'deleteChar':
      case 'insertChar': {
        const flat = ps.join('');
        const i = m.at % (flat.length + 1);
        const next = m.op === 'deleteChar' ? flat.slice(0, i) + flat.slice(i + 1) : flat.slice(0, i) + m.ch + flat.slice(i);
        ps = pieces(next);
        break;
      }
    }
  }
  return ps.join('');
}

const overrideText = fc.oneof(
  fc.constantFrom('m=16', 'widths=[5,5,3]', 'm = m*2', 'k=[1,', 'q=3', 'm=', '=3', 'widths=m', 'm=1/0'),
  fc.string({ maxLength: 12 }),
);

describe('the front end never throws and points inside the text', () => {
  it('random strings of any characters', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => frontEnd(s)), { numRuns: 300 });
  });

  it('random token soup', () => {
    fc.assert(fc.property(tokenSoup, fc.array(overrideText, { maxLength: 3 }), (s, sets) => frontEnd(s, sets)), { numRuns: 500 });
  });

  it('valid sources with tokens or characters deleted, inserted or swapped', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...VALID),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.array(overrideText, { maxLength: 2 }),
        (src, muts, sets) => frontEnd(mutate(src, muts), sets),
      ),
      { numRuns: 1500 },
    );
  });

  it('the unmutated sources are clean', () => {
    for (const src of VALID) {
      const { file, diagnostics } = parseHrn(src, 'f.hrn');
      expect(diagnostics).toEqual([]);
      for (const n of file.networks) expect(resolveNetwork(n, [], new Map([['f.hrn', src]])).diagnostics).toEqual([]);
      for (const sw of file.sweeps) expect(resolveSweep(sw, file, new Map([['f.hrn', src]])).diagnostics).toEqual([]);
    }
  });
});
