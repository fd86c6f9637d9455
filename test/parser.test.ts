// The .hrn front end on well-formed input: parse, resolve to ArchIR, defaults, --set overrides,
// pipelines (in files and on the command line) and the positions recorded for diagnostics.
import { describe, expect, it } from 'vitest';
import type { ArchIR } from '../src/ir/arch.js';
import {
  parseHrn,
  parseOverride,
  parsePipelineText,
  resolveNetwork,
  type Override,
} from '../src/parser/index.js';

const RESNET18 = `# ResNet18 on CIFAR-100
network ResNet18 {
  param m = 64                 # base width
  param widths = [2, 2, 2]
  input   3x32x32              # C x H x W
  classes 100
  kernel  3
  stem    conv3x3(m)
  block   basic
  stages  depths [2, 2, 2, 2] widths widths
  head    avgpool fc
  criticality S3 > S2 > S4 > S1
}

pipeline lowrelu {
  equalize width
  alpha 2
  cull least-critical when dominant
  thin S2 S3 S4; reuse 4
}
`;

function overrides(...texts: string[]): { list: Override[]; sources: Map<string, string> } {
  const sources = new Map<string, string>();
  const list: Override[] = [];
  texts.forEach((t, i) => {
    const origin = `<--set ${i + 1}>`;
    sources.set(origin, t);
    const r = parseOverride(t, origin);
    expect(r.diagnostics).toEqual([]);
    list.push(r.override!);
  });
  return { list, sources };
}

/** Parses a one-network source and resolves it; fails the test on any diagnostic. */
function arch(text: string, sets: string[] = []): ArchIR {
  const { file, diagnostics } = parseHrn(text, 'net.hrn');
  expect(diagnostics).toEqual([]);
  expect(file.networks).toHaveLength(1);
  const o = overrides(...sets);
  o.sources.set('net.hrn', text);
  const r = resolveNetwork(file.networks[0], o.list, o.sources);
  expect(r.diagnostics).toEqual([]);
  expect(r.arch).toBeDefined();
  return r.arch!;
}

const channels = (a: ArchIR) => a.stages.map((s) => s.channels);

describe('networks', () => {
  it('ResNet18: channels 64/128/256/512, strides 1/2/2/2, criticality as written', () => {
    const a = arch(RESNET18);
    expect(a.name).toBe('ResNet18');
    expect(a.input).toEqual({ c: 3, h: 32, w: 32 });
    expect(a.classes).toBe(100);
    expect(a.kernel).toBe(3);
    expect(a.stem).toEqual({ channels: 64, kernel: 3, stride: 1 });
    expect(a.block).toBe('basic');
    expect(a.stages.map((s) => s.name)).toEqual(['S1', 'S2', 'S3', 'S4']);
    expect(a.stages.map((s) => s.depth)).toEqual([2, 2, 2, 2]);
    expect(channels(a)).toEqual([64, 128, 256, 512]);
    expect(a.stages.map((s) => s.stride)).toEqual([1, 2, 2, 2]);
    expect(a.widths).toEqual({ m: 64, factors: [2, 2, 2] });
    expect(a.criticality).toEqual(['S3', 'S2', 'S4', 'S1']);
    expect(a.head).toEqual({ pool: 'avg', fc: true });
    expect(a.history).toEqual([]);
    for (const s of a.stages) expect(s.relu).toEqual({ culled: false, thinned: false, reuse: 1 });
    // every stage owns its plan: passes may replace one without touching the others
    expect(new Set(a.stages.map((s) => s.relu)).size).toBe(4);
  });

  it('explicit channels keep the stem width (WRN22x8)', () => {
    const a = arch(`network WRN22x8 {
      param k = 8
      input 3x32x32
      classes 100
      stem conv3x3(16)
      stages depths [3, 3, 3] channels [16*k, 32*k, 64*k]
    }`);
    expect(a.stem.channels).toBe(16);
    expect(channels(a)).toEqual([128, 256, 512]);
    expect(a.stages.map((s) => s.stride)).toEqual([1, 2, 2]);
    expect(a.widths).toBeUndefined();
  });

  it('channel lists may be computed from params: [m, m*5, m*25, m*75]', () => {
    const a = arch(`network N {
      param m = 16
      input 3x32x32; classes 10; stem conv3x3(m)
      stages depths [2, 2, 2, 2] channels [m, m*5, m*25, m*75]
    }`);
    expect(channels(a)).toEqual([16, 80, 400, 1200]);
  });

  it('defaults: kernel 3, block basic, strides 1,2,2.., head avgpool fc, factors 2, criticality S1 > S2 > ...', () => {
    const a = arch('network D { input 3x64x64\n classes 10\n stem conv5x5(32)\n stages depths [1, 1, 1] }');
    expect(a.kernel).toBe(3);
    expect(a.block).toBe('basic');
    expect(a.stem).toEqual({ channels: 32, kernel: 5, stride: 1 });
    expect(a.stages.map((s) => s.stride)).toEqual([1, 2, 2]);
    expect(channels(a)).toEqual([32, 64, 128]);
    expect(a.widths).toEqual({ m: 32, factors: [2, 2] });
    expect(a.head).toEqual({ pool: 'avg', fc: true });
    expect(a.criticality).toEqual(['S1', 'S2', 'S3']);
  });

  it('reads every optional statement: stem stride, bottleneck, explicit strides, kernel 5, head without fc', () => {
    const a = arch(`network B {
      input 3 x 64 x 64
      classes 2048
      kernel 5
      stem conv7x7(64), stride 2
      block bottleneck
      stages depths [3, 4, 6, 3]
             strides [1, 2, 2, 1]
             widths [2, 2, 2]
      head avgpool
    }`);
    expect(a.input).toEqual({ c: 3, h: 64, w: 64 });
    expect(a.kernel).toBe(5);
    expect(a.stem).toEqual({ channels: 64, kernel: 7, stride: 2 });
    expect(a.block).toBe('bottleneck');
    expect(a.stages.map((s) => s.stride)).toEqual([1, 2, 2, 1]);
    expect(channels(a)).toEqual([64, 128, 256, 512]);
    expect(a.head).toEqual({ pool: 'avg', fc: false }); // 512 * 4 = 2048 = classes
  });

  it('expressions: precedence, parentheses, decimals, unary minus, lists over several lines', () => {
    const a = arch(`network E {
      param a = 2 + 3 * 4        # 14
      param b = (2 + 3) * 4      # 20
      param c = 10 - 4 - 3       # 3 (left to right)
      param d = 64 / 4 / 2       # 8
      param e = -(-3)            # 3
      param f = 0.5 * 4          # 2
      input 3x32x32
      classes a + b              # 34
      stem conv3x3(d * c)        # 24
      stages depths [
        c,
        e,
      ] widths [f * 1.5]         # 24 * 3 = 72
    }`);
    expect(a.classes).toBe(34);
    expect(a.stem.channels).toBe(24);
    expect(a.stages.map((s) => s.depth)).toEqual([3, 3]);
    expect(channels(a)).toEqual([24, 72]);
  });

  it('non-integer factors are fine when the channels come out whole (16 x 2.5 = 40)', () => {
    const a = arch('network F { input 3x32x32\n classes 10\n stem conv3x3(16)\n stages depths [1, 1] widths [2.5] }');
    expect(channels(a)).toEqual([16, 40]);
    expect(a.widths).toEqual({ m: 16, factors: [2.5] });
  });

  it('a one-stage network takes an empty widths list', () => {
    const a = arch('network One { input 1x28x28\n classes 10\n stem conv3x3(8)\n stages depths [2] widths [] }');
    expect(channels(a)).toEqual([8]);
    expect(a.criticality).toEqual(['S1']);
  });

  it('statements may share a line with ";" and a block may close on the last statement line', () => {
    const a = arch('network L { input 3x32x32; classes 10; stem conv3x3(16); stages depths [1,1] }');
    expect(channels(a)).toEqual([16, 32]);
  });

  it('parameters may be named like clause words and reference earlier params', () => {
    const a = arch(`network P {
      param depths = [1, 1]
      param channels = [8, 16]
      param n = channels
      input 3x32x32; classes 10; stem conv3x3(4)
      stages depths depths channels n
    }`);
    expect(channels(a)).toEqual([8, 16]);
  });

  it('reads several networks and pipelines from one file, names with dashes', () => {
    const text = `network HRN-5x5x3x { input 3x32x32; classes 100; stem conv3x3(16); stages depths [2,2,2,2] widths [5,5,3] }
network HRN-2x5x3x { input 3x32x32; classes 100; stem conv3x3(16); stages depths [2,2,2,2] widths [2,5,3] }
pipeline a { thin S1 }
pipeline b-c { reuse 8 }`;
    const { file, diagnostics } = parseHrn(text, 'multi.hrn');
    expect(diagnostics).toEqual([]);
    expect(file.path).toBe('multi.hrn');
    expect(file.networks.map((n) => n.name)).toEqual(['HRN-5x5x3x', 'HRN-2x5x3x']);
    expect(file.pipelines.map((p) => p.name)).toEqual(['a', 'b-c']);
    const sources = new Map([['multi.hrn', text]]);
    const r = resolveNetwork(file.networks[1], [], sources);
    expect(channels(r.arch!)).toEqual([16, 32, 160, 480]);
  });

  it('CRLF line ends and tabs are layout', () => {
    const a = arch('network W {\r\n\tinput 3x32x32\r\n\tclasses 10\r\n\tstem conv3x3(16)\r\n\tstages depths [1, 1]\r\n}\r\n');
    expect(channels(a)).toEqual([16, 32]);
  });

  it('records spans: the declaration, its name, statements and expressions', () => {
    const { file } = parseHrn(RESNET18, 'r.hrn');
    const n = file.networks[0];
    expect(n.nameSpan).toEqual({ file: 'r.hrn', line: 2, col: 9, length: 8 });
    expect(n.span).toMatchObject({ file: 'r.hrn', line: 2, col: 1 });
    expect(n.hasSyntaxErrors).toBe(false);
    const stem = n.statements.find((s) => s.kind === 'stem')!;
    expect(stem.span).toEqual({ file: 'r.hrn', line: 8, col: 3, length: 18 });
    if (stem.kind !== 'stem') throw new Error('unreachable');
    expect(stem.channels).toMatchObject({ kind: 'ref', name: 'm', span: { line: 8, col: 19, length: 1 } });
  });
});

describe('--set overrides', () => {
  it('m=16 widths=[5,5,3] turns ResNet18 into HRN-5x5x3x: 16/80/400/1200', () => {
    const a = arch(RESNET18, ['m=16', 'widths=[5,5,3]']);
    expect(channels(a)).toEqual([16, 80, 400, 1200]);
    expect(a.widths).toEqual({ m: 16, factors: [5, 5, 3] });
  });

  it('an override is an expression; it may use its own default and earlier params', () => {
    expect(channels(arch(RESNET18, ['m = m / 2']))).toEqual([32, 64, 128, 256]);
    expect(channels(arch(RESNET18, ['widths=[m/32, 5, 3]']))).toEqual([64, 128, 640, 1920]);
  });

  it('the last --set of a name wins', () => {
    expect(channels(arch(RESNET18, ['m=8', 'm=16']))[0]).toBe(16);
  });

  it('parseOverride records the name, the value text and where the value starts', () => {
    const r = parseOverride('widths = [5, 5, 3]', '<--set>');
    expect(r.diagnostics).toEqual([]);
    expect(r.override).toMatchObject({
      name: 'widths',
      text: '[5, 5, 3]',
      span: { file: '<--set>', line: 1, col: 10, length: 9 },
      nameSpan: { file: '<--set>', line: 1, col: 1, length: 6 },
    });
  });

  it('an override built by hand (no parsed value) is parsed from its text when resolved', () => {
    const { file } = parseHrn(RESNET18, 'r.hrn');
    const o: Override = { name: 'm', text: '8*4', span: { file: '<cli>', line: 1, col: 3, length: 3 } };
    const r = resolveNetwork(file.networks[0], [o], new Map([['r.hrn', RESNET18]]));
    expect(r.diagnostics).toEqual([]);
    expect(r.arch!.stem.channels).toBe(32);
  });
});

describe('pipelines', () => {
  it('records each step, its arguments as text, and spans', () => {
    const { file } = parseHrn(RESNET18, 'r.hrn');
    const p = file.pipelines[0];
    expect(p.name).toBe('lowrelu');
    expect(p.steps.map((s) => [s.pass, ...s.args.map((a) => a.text)])).toEqual([
      ['equalize', 'width'],
      ['alpha', '2'],
      ['cull', 'least-critical', 'when', 'dominant'],
      ['thin', 'S2', 'S3', 'S4'],
      ['reuse', '4'],
    ]);
    const cull = p.steps[2];
    expect(cull.span).toEqual({ file: 'r.hrn', line: 18, col: 3, length: 33 });
    expect(cull.args[0].span).toEqual({ file: 'r.hrn', line: 18, col: 8, length: 14 });
    expect(p.steps[4].span).toEqual({ file: 'r.hrn', line: 19, col: 18, length: 7 });
  });

  it('a stage order is one argument, spaces dropped; <, =, / join too; words may start with digits', () => {
    const r = parsePipelineText('order S3 > S2 > S4>S1 last<4 order=S3>S2 2.5 scale=1/2 pick=5x5x3x min-first', '<--pipeline>');
    expect(r.diagnostics).toEqual([]);
    expect(r.steps).toHaveLength(1);
    expect(r.steps[0].args.map((a) => a.text)).toEqual([
      'S3>S2>S4>S1',
      'last<4',
      'order=S3>S2',
      '2.5',
      'scale=1/2',
      'pick=5x5x3x',
      'min-first',
    ]);
    expect(r.steps[0].args[0].span).toEqual({ file: '<--pipeline>', line: 1, col: 7, length: 15 });
  });

  it('command-line text: steps separated by ";" or new lines; comments and empty steps allowed', () => {
    const r = parsePipelineText('cull S1; thin S2 S3 S4;; reuse 4 # end\n\nalpha 2', '<--pipeline>');
    expect(r.diagnostics).toEqual([]);
    expect(r.steps.map((s) => s.pass)).toEqual(['cull', 'thin', 'reuse', 'alpha']);
    expect(r.steps[3].span).toEqual({ file: '<--pipeline>', line: 3, col: 1, length: 7 });
    expect(parsePipelineText('', '<--pipeline>')).toEqual({ steps: [], diagnostics: [] });
  });

  it('pass names and arguments may be words that are keywords in a network', () => {
    const r = parsePipelineText('stages input widths', '<p>');
    expect(r.diagnostics).toEqual([]);
    expect(r.steps[0]).toMatchObject({ pass: 'stages', args: [{ text: 'input' }, { text: 'widths' }] });
  });
});

describe('docs/language.md', () => {
  it('every example network in the language reference parses and resolves cleanly', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync('docs/language.md', 'utf8');
    const blocks = [...doc.matchAll(/```\n([\s\S]*?)```/g)]
      .map((m) => m[1])
      .filter((b) => /^network /m.test(b) && !b.includes('...'));
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const text of blocks) {
      const { file, diagnostics } = parseHrn(text, 'doc.hrn');
      expect(diagnostics).toEqual([]);
      for (const n of file.networks) {
        const r = resolveNetwork(n, [], new Map([['doc.hrn', text]]));
        expect(r.diagnostics, n.name).toEqual([]);
        expect(r.arch).toBeDefined();
      }
    }
  });
});
