// Malformed .hrn input: every diagnostic's message (a telling substring) and its exact line:col.
// Each case lists *all* diagnostics expected, so a cascade of follow-up errors fails the test too.
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../src/diagnostics.js';
import { parseHrn, parseOverride, parsePipelineText, resolveNetwork, type Override } from '../src/parser/index.js';

type Expected = [line: number, col: number, message: string, file?: string];

/** Parse, then (when the parse is clean) resolve every network, with optional --set texts. */
function diagnose(text: string, sets: string[] = []): Diagnostic[] {
  const sources = new Map([['t.hrn', text]]);
  const out: Diagnostic[] = [];
  const overrides: Override[] = [];
  sets.forEach((s, i) => {
    const origin = `<--set ${i + 1}>`;
    sources.set(origin, s);
    const r = parseOverride(s, origin);
    out.push(...r.diagnostics);
    if (r.override) overrides.push(r.override);
  });
  const { file, diagnostics } = parseHrn(text, 't.hrn');
  out.push(...diagnostics);
  if (diagnostics.length === 0) {
    for (const n of file.networks) out.push(...resolveNetwork(n, overrides, sources).diagnostics);
  }
  return out;
}

function expectDiagnostics(actual: Diagnostic[], expected: Expected[]): void {
  const got = actual.map((d) => ({ at: `${d.span.file}:${d.span.line}:${d.span.col}`, message: d.message, severity: d.severity }));
  expect(got).toHaveLength(expected.length);
  expected.forEach(([line, col, message, file], i) => {
    expect(got[i].at).toBe(`${file ?? 't.hrn'}:${line}:${col}`);
    expect(got[i].message).toContain(message);
    expect(got[i].severity).toBe('error');
  });
}

/** A valid network with one body line replaced (body line k is file line k + 1). */
function net(...lines: string[]): string {
  return `network N {\n${lines.map((l) => `  ${l}`).join('\n')}\n}\n`;
}
const INPUT = 'input 3x32x32';
const CLASSES = 'classes 10';
const STEM = 'stem conv3x3(16)';
const STAGES = 'stages depths [2, 2, 2, 2]';

const cases: Array<[name: string, text: string, expected: Expected[], sets?: string[]]> = [
  // ---- values -------------------------------------------------------------------------
  ['classes 0', net(INPUT, 'classes 0', STEM, STAGES), [[3, 11, 'expected a positive integer for classes, got 0']]],
  ['classes 10.5', net(INPUT, 'classes 10.5', STEM, STAGES), [[3, 11, 'expected a positive integer for classes, got 10.5']]],
  ['computed classes quote their expression', net('param m = 64', INPUT, 'classes m - 64', STEM, STAGES), [[4, 11, "got 0 (from 'm - 64')"]]],
  ['input height 0', net('input 3x0x32', CLASSES, STEM, STAGES), [[2, 11, 'expected a positive integer for input height, got 0']]],
  ['even kernel', net(INPUT, CLASSES, 'kernel 4', STEM, STAGES), [[4, 10, 'kernel must be odd']]],
  ['kernel 0', net(INPUT, CLASSES, 'kernel 0', STEM, STAGES), [[4, 10, 'expected a positive integer for kernel, got 0']]],
  ['non-square stem', net(INPUT, CLASSES, 'stem conv3x5(16)', STAGES), [[4, 8, 'the stem kernel must be square, got 3x5']]],
  ['even stem kernel', net(INPUT, CLASSES, 'stem conv4x4(16)', STAGES), [[4, 8, 'the stem kernel must be odd']]],
  ['stem not a conv', net(INPUT, CLASSES, 'stem dense(16)', STAGES), [[4, 8, "expected the stem convolution as conv<k>x<k> (e.g. conv3x3, conv7x7), got 'dense'"]]],
  ['stem stride 0', net(INPUT, CLASSES, 'stem conv3x3(16), stride 0', STAGES), [[4, 28, 'expected a positive integer for the stem stride, got 0']]],
  ['list where a number is expected', net(INPUT, 'classes [10]', STEM, STAGES), [[3, 11, 'expected a positive integer for classes, got a list [10]']]],
  ['number where a list is expected', net(INPUT, CLASSES, STEM, 'stages depths 2'), [[5, 17, 'expected a list of positive integers for depths, got 2']]],
  ['zero and negative depths', net(INPUT, CLASSES, STEM, 'stages depths [2, 0, -1]'), [
    [5, 21, 'expected a positive integer for depths[2], got 0'],
    [5, 24, 'expected a positive integer for depths[3], got -1'],
  ]],
  ['arithmetic on a list', net(INPUT, 'classes [10] * 2', STEM, STAGES), [[3, 11, "'*' needs numbers on both sides, got a list [10]"]]],
  ['division by zero', net(INPUT, 'classes 10 / (5 - 5)', STEM, STAGES), [[3, 16, 'division by zero']]],

  // ---- names --------------------------------------------------------------------------
  ['unknown param', net(INPUT, CLASSES, 'stem conv3x3(n)', STAGES), [[4, 16, "unknown parameter 'n'"]]],
  ['unknown param with a suggestion', net('param width = 16', INPUT, CLASSES, 'stem conv3x3(widht)', STAGES), [[5, 16, "unknown parameter 'widht'; did you mean 'width'?"]]],
  ['param used before its declaration', net('param a = b * 2', 'param b = 8', INPUT, CLASSES, 'stem conv3x3(a)', STAGES), [[2, 13, "parameter 'b' is used before its declaration (at line 3)"]]],
  ['param referring to itself', net('param a = a + 1', INPUT, CLASSES, 'stem conv3x3(a)', STAGES), [[2, 13, "parameter 'a' refers to itself"]]],
  ['duplicate param', net('param m = 16', 'param m = 32', INPUT, CLASSES, 'stem conv3x3(m)', STAGES), [[3, 9, "duplicate parameter 'm' (first declared at line 2)"]]],
  ['duplicate statement', net(INPUT, CLASSES, 'classes 100', STEM, STAGES), [[4, 3, "duplicate 'classes' statement (the first is at line 3)"]]],
  ['duplicate network', `${net(INPUT, CLASSES, STEM, STAGES)}${net(INPUT, CLASSES, STEM, STAGES)}`, [[7, 9, "duplicate network 'N' (the first is at line 1)"]]],
  ['missing statements', net(CLASSES, STEM), [
    [1, 9, "network 'N' has no 'input' statement"],
    [1, 9, "network 'N' has no 'stages' statement"],
  ]],
  ['unknown block kind', net(INPUT, CLASSES, STEM, 'block resnet', STAGES), [[5, 9, "unknown block kind 'resnet'; expected basic, bottleneck, preact, plain"]]],
  ['a block option other than bottleneck groups', net(INPUT, CLASSES, STEM, 'block basic groups 2', STAGES), [[5, 15, "unknown block option 'groups'; only bottleneck blocks take options (expansion, groups, groupwidth)"]]],
  ['groups that do not divide the channels', net(INPUT, CLASSES, STEM, 'block bottleneck groups 3', 'stages depths [1] widths []'), [[5, 20, "S1's 16 channels are not divisible by groups 3"]]],
  ['unknown and misplaced head items', net(INPUT, CLASSES, STEM, STAGES, 'head fc maxpool avgpool'), [
    [6, 11, 'maxpool must come first in the head'],
    [6, 19, 'avgpool must come first in the head'],
  ]],
  ['unknown head item, hidden fc width', net(INPUT, CLASSES, STEM, STAGES, 'head maxpool fc(0) frob fc'), [
    [6, 19, 'expected a positive integer for a hidden fc width'],
    [6, 22, "unknown head item 'frob'"],
  ]],
  ['head without fc, channels not classes', net(INPUT, CLASSES, STEM, STAGES, 'head avgpool'), [[6, 3, "a head without fc outputs the last stage's 128 channels, but classes is 10"]]],

  // ---- stages -------------------------------------------------------------------------
  ['stages without depths', net(INPUT, CLASSES, STEM, 'stages widths [2, 2, 2]'), [[5, 3, 'stages needs a depths clause']]],
  ['widths of the wrong length', net(INPUT, CLASSES, STEM, 'stages depths [2, 2, 2, 2] widths [2, 2]'), [[5, 37, 'widths needs 3 entries (one factor between each pair of consecutive stages; depths gives 4 stages), got 2']]],
  ['channels of the wrong length', net(INPUT, CLASSES, STEM, 'stages depths [2, 2] channels [16, 32, 64]'), [[5, 33, 'channels needs 2 entries (one per stage; depths gives 2), got 3']]],
  ['strides of the wrong length', net(INPUT, CLASSES, STEM, 'stages depths [2, 2, 2] strides [1, 2]'), [[5, 35, 'strides needs 3 entries (one per stage; depths gives 3), got 2']]],
  ['stride 0', net(INPUT, CLASSES, STEM, 'stages depths [2, 2] strides [1, 0]'), [[5, 36, 'expected a positive integer for strides[2], got 0']]],
  ['non-integer channels from factors', net(INPUT, CLASSES, 'stem conv3x3(10)', 'stages depths [1, 1, 1] widths [1.25, 2]'), [[5, 34, 'widths give stage S2 12.5 channels (10 x 1.25); channel counts must be whole numbers']]],
  ['both widths and channels', net(INPUT, CLASSES, STEM, 'stages depths [1, 1] widths [2] channels [16, 32]'), [[5, 35, 'either widths (factors from the stem\'s width) or channels (explicit), not both']]],
  ['duplicate clause', net(INPUT, CLASSES, STEM, 'stages depths [1, 1] depths [2, 2]'), [[5, 24, "duplicate 'depths' clause in stages"]]],
  ['input too small for its stride-2 stages', net('input 3x8x8', CLASSES, STEM, 'stages depths [1, 1, 1, 1, 1]'), [[2, 3, 'input 3x8x8 is too small for its strides: stage S5 gets a 1x1 activation, which stride 2 does not divide evenly']]],
  ['spatial size that does not divide', net('input 3x30x30', CLASSES, STEM, STAGES), [[2, 3, 'stage S3 gets a 15x15 activation, which stride 2 does not divide evenly']]],

  // ---- criticality --------------------------------------------------------------------
  ['criticality: unknown and repeated stages', net(INPUT, CLASSES, STEM, STAGES, 'criticality S3 > S5 > S2 > S2 > S1 > S4'), [
    [6, 20, "unknown stage 'S5' in criticality; the network has 4 stages (S1..S4)"],
    [6, 30, 'stage S2 appears twice in criticality'],
  ]],
  ['criticality: missing stage', net(INPUT, CLASSES, STEM, STAGES, 'criticality S3 > S2 > S1'), [[6, 3, 'criticality must order every stage (S1..S4); missing S4']]],

  // ---- syntax -------------------------------------------------------------------------
  ['unknown statement', net(INPUT, 'clases 10', STEM, STAGES), [[3, 3, "unknown statement 'clases'; expected one of param, input, classes"]]],
  ['missing x in the input shape', net('input 3x32', CLASSES, STEM, STAGES), [[2, 13, "expected 'x' between the dimensions of the input shape"]]],
  ['missing closing parenthesis', net(INPUT, CLASSES, 'stem conv3x3(16', STAGES), [[4, 18, "expected ')', found end of line"]]],
  ['missing value after an operator', net('param m = 64 *', INPUT, CLASSES, STEM, STAGES), [[2, 17, "expected a value (a number, a parameter name, '(' or '['), found end of line"]]],
  ['trailing junk after a statement', net(INPUT, 'classes 10 20', STEM, STAGES), [[3, 14, "expected the end of the line (or ';'), found '20'"]]],
  ['x cannot name a param', net('param x = 3', INPUT, CLASSES, STEM, STAGES), [[2, 9, "expected a name, found 'x'"]]],
  ['unexpected character', net(INPUT, 'classes 10$', STEM, STAGES), [[3, 13, "unexpected character '$'"]]],
  ['missing closing brace at the end', 'network N {\n  classes 10\n', [[3, 1, "expected '}', found end of input"]]],
  ['missing name', 'network {\n}\n', [[1, 9, "expected a name, found '{'"]]],
  ['stray text between declarations', `stuff\n${net(INPUT, CLASSES, STEM, STAGES)}`, [[1, 1, "unexpected 'stuff'; expected 'network', 'pipeline' or 'sweep'"]]],
  ['pipeline: bad token in a step', 'pipeline p {\n  thin S2 (S3)\n}\n', [[2, 11, "expected the end of the line (or ';'), found '('"]]],
  ['sweep: an axis needs =', 'sweep s {\n  grid m [2, 4]\n}\n', [[2, 10, "expected '=', found '['"]]],
  ['sweep: a setting needs a value', 'sweep s {\n  epochs\n}\n', [[2, 9, `expected a value (a number, a name, a "string" or '['), found end of line`]]],
  ['sweep: a string ends on its line', 'sweep s {\n  data "fashion-mnist:/x\n}\n', [[2, 8, `unexpected character '\\"'`]]],
  ['pipeline: a step must start with a pass name', 'pipeline p {\n  4 thin\n}\n', [[2, 3, "expected a pass name or '}', found '4'"]]],

  // ---- --set --------------------------------------------------------------------------
  ['--set naming no param', net('param m = 16', INPUT, CLASSES, 'stem conv3x3(m)', STAGES), [[1, 1, "--set q: network 'N' has no parameter 'q' (its parameters are m)", '<--set 1>']], ['q=3']],
  ['--set with a list for a number', net('param m = 16', INPUT, CLASSES, 'stem conv3x3(m)', STAGES), [[5, 16, 'expected a positive integer for the stem channels, got a list [1, 2] (from --set m=[1, 2])']], ['m=[1, 2]']],
  ['--set with a syntax error', net('param m = 16', INPUT, CLASSES, 'stem conv3x3(m)', STAGES), [[1, 7, "expected ']', found end of input", '<--set 1>']], ['m=[1,2']],
  ['--set with an unknown name in its value', net('param m = 16', INPUT, CLASSES, 'stem conv3x3(m)', STAGES), [[1, 5, "'k' is not a number, nor a parameter of this network", '<--set 1>']], ['m = k']],
];

describe('malformed input: message and line:col', () => {
  for (const [name, text, expected, sets] of cases) {
    it(name, () => expectDiagnostics(diagnose(text, sets), expected));
  }

  it(`covers at least 25 cases (has ${cases.length})`, () => expect(cases.length).toBeGreaterThanOrEqual(25));
});

describe('recovery: one run reports every syntax error', () => {
  it('reports six independent mistakes in one network, each at its place', () => {
    const text = [
      'network A {', //                                 1
      '  clases 100', //                                2: unknown statement
      '  input 3x32', //                                3: missing second x
      '  stem conv3x3(16', //                           4: missing )
      '  block basic', //                               5: fine
      '  stages depths [2,2] widhts [2]', //            6: unknown clause word
      '  head', //                                      7: no head items
      '  classes 10 20', //                             8: trailing junk
      '}',
    ].join('\n');
    expectDiagnostics(diagnose(text), [
      [2, 3, "unknown statement 'clases'"],
      [3, 13, "expected 'x'"],
      [4, 18, "expected ')'"],
      [6, 23, "expected the end of the line (or ';'), found 'widhts'"],
      [7, 7, 'expected head items'],
      [8, 14, "found '20'"],
    ]);
  });

  it('reports errors in several declarations, and keeps the declarations it could read', () => {
    const text = [
      'network A { input 3x32x32; classes = 3 }', //  1
      'pipeline p { thin S2 (; reuse 4 }', //          2
      'network B {', //                                3
      '  param m = 64 +', //                           4
      '  stem conv3x3(m*)', //                         5
      '  stages depths [2,2,2,2', //                   6  (the bracket is left open)
      '  head avgpool fc', //                          7
      '}',
    ].join('\n');
    const { file, diagnostics } = parseHrn(text, 't.hrn');
    expectDiagnostics(diagnostics, [
      [1, 36, "expected a value (a number, a parameter name, '(' or '['), found '='"],
      [2, 22, "expected the end of the line (or ';'), found '('"],
      [4, 17, 'expected a value'],
      [5, 18, "expected a value (a number, a parameter name, '(' or '['), found ')'"],
      [6, 25, "expected ']', found end of line"],
    ]);
    expect(file.networks.map((n) => [n.name, n.hasSyntaxErrors])).toEqual([['A', true], ['B', true]]);
    expect(file.pipelines[0].steps.map((s) => s.pass)).toEqual(['thin', 'reuse']);
    // a network with syntax errors resolves to nothing, without piling on "missing statement" errors
    const r = resolveNetwork(file.networks[1], [], new Map([['t.hrn', text]]));
    expect(r.arch).toBeUndefined();
    expect(r.diagnostics.filter((d) => d.message.includes('has no'))).toEqual([]);
  });

  it('a missing closing brace costs one diagnostic: the next declaration is still read', () => {
    const text = 'network A {\n  classes 10\npipeline p {\n  thin S2\n}\n';
    const { file, diagnostics } = parseHrn(text, 't.hrn');
    expectDiagnostics(diagnostics, [[3, 1, "expected '}' before 'pipeline': the block above is not closed"]]);
    expect(file.pipelines.map((p) => p.name)).toEqual(['p']);
  });
});

describe('command-line texts', () => {
  it('--pipeline: errors point into the pseudo file', () => {
    const r = parsePipelineText('cull S1; thin S2 ) ; reuse 4; }', '<--pipeline>');
    expectDiagnostics(r.diagnostics, [
      [1, 18, "expected the end of the line (or ';'), found ')'", '<--pipeline>'],
    ]);
    expect(r.steps.map((s) => s.pass)).toEqual(['cull', 'thin', 'reuse']);
    expectDiagnostics(parsePipelineText('thin S2\n}', '<--pipeline>').diagnostics, [
      [2, 1, "unexpected '}' in the pipeline; expected a pass name", '<--pipeline>'],
    ]);
  });

  it('--set without "=", with nothing, and with trailing junk', () => {
    expectDiagnostics(parseOverride('m', '<--set>').diagnostics, [[1, 2, "expected '=', found end of input", '<--set>']]);
    expectDiagnostics(parseOverride('  ', '<--set>').diagnostics, [[1, 3, 'expected NAME=VALUE', '<--set>']]);
    expectDiagnostics(parseOverride('m=3 4', '<--set>').diagnostics, [[1, 5, "unexpected '4' after the value", '<--set>']]);
  });
});

describe('input that is not .hrn at all', () => {
  it('stops after 100 syntax errors, and quickly, even on a long file', () => {
    const script = Array.from({ length: 5000 }, (_, i) => `def f${i}(x): return x[${i}] + {"k": ${i}}`).join('\n');
    const t0 = performance.now();
    const { diagnostics } = parseHrn(script, 'script.py');
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(diagnostics).toHaveLength(101);
    expect(diagnostics[100].message).toBe('too many syntax errors; stopped after 100 (is this a .hrn file?)');
    expect(diagnostics[0].span).toMatchObject({ line: 1, col: 1 });
  });

  it('binary bytes are reported as unexpected characters, one per line', () => {
    const bin = '\u0000\u0001network\u00ff\n\u0007';
    const { diagnostics } = parseHrn(bin, 'weights.bin');
    expect(diagnostics.map((d) => [d.span.line, d.span.col, d.message])).toEqual([
      [1, 1, "unexpected characters '\\u0000\\u0001'"],
      [2, 1, "unexpected character '\\u0007'"],
    ]);
  });
});
