// `sweep NAME { ... }` blocks: parsed with the rest of the language, resolved into the same sweep
// as the command-line form (same runs, same ids), checked with file:line:col diagnostics, and
// overridden by command-line options.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseHrn } from '../src/parser/index.js';
import type { RunConfig } from '../src/sweep/expand.js';
import { resolveSweep } from '../src/sweep/from-source.js';
import { hrnInProcess as hrn } from './sweep-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'hrn-sweep-block-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const HRN_2X5X3X = readFileSync('examples/hrn-2x5x3x.hrn', 'utf8');
const CULL_THIN = 'cull S1; thin S2 S3 S4';

/** A file with HRN-2x5x3x and the given sweep block text. */
function withBlock(block: string, name = 'f.hrn'): string {
  const path = join(root, name);
  writeFileSync(path, `${HRN_2X5X3X}\n${block}\n`);
  return path;
}

async function dryRun(path: string, ...extra: string[]): Promise<RunConfig[]> {
  const r = await hrn('sweep', path, '--dry-run', '--json', ...extra);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out).runs as RunConfig[];
}

/**
 * ReLUs of an HRN on 32x32 inputs by the paper's conventions: stage channels m*[1, a, ab, abc] for
 * widths [a, b, c], two basic blocks (4 ReLU layers) per stage at 32, 16, 8 and 4 pixels square,
 * the stem's ReLU layer counted in S1. Culling S1 drops all of S1; thinning halves the others.
 */
function hrnRelus(m: number, [a, b, c]: number[]): { all: number; culledThinned: number } {
  const ch = [m, m * a, m * a * b, m * a * b * c];
  const stages = [ch[0] * 32 * 32 + 4 * ch[0] * 32 * 32, 4 * ch[1] * 16 * 16, 4 * ch[2] * 8 * 8, 4 * ch[3] * 4 * 4];
  return { all: stages[0] + stages[1] + stages[2] + stages[3], culledThinned: (stages[1] + stages[2] + stages[3]) / 2 };
}

describe('sweep blocks', () => {
  it("parse next to networks and pipelines, and resolve to the block's settings", () => {
    const text = `${HRN_2X5X3X}
sweep small {
  network HRN-2x5x3x
  grid m = [8, 16]
  pipelines [none, "${CULL_THIN}"]
  seeds [0, 1]
  epochs 3; batch 32; lr 0.05
  test-subset 100
  augment off
  data "cifar100:/nowhere"
}
pipeline p { cull S1 }
`;
    const { file, diagnostics } = parseHrn(text, 'f.hrn');
    expect(diagnostics).toEqual([]);
    expect(file.networks.map((n) => n.name)).toEqual(['HRN-2x5x3x']);
    expect(file.pipelines.map((p) => p.name)).toContain('p');
    expect(file.sweeps.map((s) => s.name)).toEqual(['small']);
    const r = resolveSweep(file.sweeps[0], file, new Map([['f.hrn', text]]));
    expect(r.diagnostics).toEqual([]);
    expect(r.spec).toMatchObject({
      name: 'small',
      networks: ['HRN-2x5x3x'],
      mode: 'grid',
      axes: [{ param: 'm', values: ['8', '16'] }],
      pipelines: [null, CULL_THIN],
      seeds: [0, 1],
      data: 'cifar100:/nowhere',
      train: { epochs: 3, batch: 32, lr: 0.05, testSubset: 100, augment: false },
    });
  });

  it("expand into runs with the paper's ReLU counts (HRN-2x5x3x: 186,368 at m=16, 52,224 culled+thinned)", async () => {
    const path = withBlock(`sweep s {\n  grid m = [8, 16]\n  pipelines [none, "${CULL_THIN}"]\n  data "cifar100:/nowhere"\n}`);
    const m16 = hrnRelus(16, [2, 5, 3]);
    expect(m16).toEqual({ all: 186_368, culledThinned: 52_224 });
    const m8 = hrnRelus(8, [2, 5, 3]);
    const runs = await dryRun(path);
    expect(runs.map((r) => [r.set, r.pipeline, r.counts.relus])).toEqual([
      [['m=8'], null, m8.all],
      [['m=8'], CULL_THIN, m8.culledThinned],
      [['m=16'], null, m16.all],
      [['m=16'], CULL_THIN, m16.culledThinned],
    ]);
  });

  it('`list` takes the axes in step; command-line options replace the block settings', async () => {
    const path = withBlock(`sweep s {\n  list m = [8, 16]\n  list widths = [[2,5,3], [5, 5, 3]]\n  seeds [0]\n  data "cifar100:/nowhere"\n}`);
    const list = await dryRun(path);
    expect(list.map((r) => r.set)).toEqual([
      ['m=8', 'widths=[2,5,3]'],
      ['m=16', 'widths=[5,5,3]'],
    ]);
    const over = await dryRun(path, '--grid', 'm=8', '--seeds', '0,1', '--epochs', '3', '--data', 'cifar100:/elsewhere');
    expect(over.map((r) => [r.set, r.seed, r.train.epochs, r.data])).toEqual([
      [['m=8'], 0, 3, 'cifar100:/elsewhere'],
      [['m=8'], 1, 3, 'cifar100:/elsewhere'],
    ]);
  });

  it('examples/fashion-hrn.hrn --sweep capacity: the 12 runs of docs/results.md, the same as the command-line form', async () => {
    const block = await dryRun('examples/fashion-hrn.hrn', '--sweep', 'capacity');
    const expected = [2, 3].flatMap((m) =>
      [[6, 6, 2], [4, 6, 2], [2, 6, 2]].flatMap((w) => {
        const c = hrnRelus(m, w);
        return [
          [`m=${m}`, `widths=[${w.join(',')}]`, null, c.all],
          [`m=${m}`, `widths=[${w.join(',')}]`, CULL_THIN, c.culledThinned],
        ];
      }),
    );
    expect(block.map((r) => [...r.set, r.pipeline, r.counts.relus])).toEqual(expected);
    expect(block.every((r) => r.sweep === 'capacity' && r.train.epochs === 2 && r.train.subset === 3000 && r.data.startsWith('fashion-mnist:'))).toBe(true);
    const cli = await dryRun(
      'examples/fashion-hrn.hrn', '--name', 'capacity', '--grid', 'm=2|3', '--grid', 'widths=[6,6,2]|[4,6,2]|[2,6,2]',
      '--pipeline', 'none', '--pipeline', CULL_THIN, '--data', 'fashion-mnist:/usr/share/datasets/fashion-mnist',
      '--subset', '3000', '--test-subset', '1000', '--epochs', '2', '--batch', '64', '--lr', '0.05',
    );
    expect(block.map((r) => r.id)).toEqual(cli.map((r) => r.id));

    // The only block of the file is the default; the table lists the 12 runs.
    const text = await hrn('sweep', 'examples/fashion-hrn.hrn', '--dry-run');
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^12 runs$/m);
    expect(text.out).toContain(hrnRelus(3, [6, 6, 2]).all.toLocaleString('en-US'));
  });

  it('a sweep name that is not in the file is reported with the nearest one', async () => {
    const r = await hrn('sweep', 'examples/fashion-hrn.hrn', '--sweep', 'capacty', '--dry-run');
    expect(r.code).toBe(1);
    expect(r.err).toContain("no sweep named 'capacty'; did you mean 'capacity'?");
  });
});

describe('sweep block diagnostics', () => {
  /** The line of the file where `withBlock`'s block starts (`sweep s {`); lines below count from it. */
  const BLOCK_LINE = HRN_2X5X3X.split('\n').length + 1;

  /** The errors `hrn sweep` prints for a block, as `line:col: message`, line 0 being `sweep s {`. */
  async function errors(block: string): Promise<string[]> {
    const path = withBlock(block, 'bad.hrn');
    const r = await hrn('sweep', path, '--dry-run');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    return [...r.err.matchAll(/bad\.hrn:(\d+):(\d+): error: (.*)/g)].map((m) => `${Number(m[1]) - BLOCK_LINE}:${m[2]}: ${m[3]}`);
  }

  it('unknown network, param, setting and pipeline, each at its line and column, with suggestions', async () => {
    const errs = await errors(
      ['sweep s {', '  network HRN-2x5x3', '  grid mm = [2]', '  epoch 2', '  pipelines [nne]', '  data "cifar100:/x"', '}'].join('\n'),
    );
    expect(errs).toEqual([
      "1:11: sweep s: no network named 'HRN-2x5x3' in this file; did you mean 'HRN-2x5x3x'? (the file defines: HRN-2x5x3x)",
      expect.stringMatching(/^2:8: sweep s: network 'HRN-2x5x3x' has no parameter 'mm'; did you mean 'm'\?/),
      expect.stringMatching(/^3:3: sweep s: unknown setting 'epoch'; did you mean 'epochs'\?/),
      expect.stringMatching(/^4:14: sweep s: pipelines: no pipeline named 'nne'; did you mean 'none'\?/),
    ]);
  });

  it('bad values, duplicates, mixed axes and pipeline syntax errors', async () => {
    const errs = await errors(
      [
        'sweep s {',
        '  batch 2.5',
        '  grid m = [8]',
        '  list widths = [[2,5,3]]',
        '  seeds [0]',
        '  seeds [1]',
        '  pipelines ["cull S1;; thin >"]',
        '  data "nosuch:/x"',
        '  fit stretch',
        '}',
      ].join('\n'),
    );
    expect(errs).toEqual([
      '1:9: sweep s: batch: expected a batch size, at least 1, found 2.5',
      expect.stringMatching(/^3:3: sweep s: a sweep's axes are all 'grid' .* line \d+ has 'grid'$/),
      `5:3: sweep s: 'seeds' is given twice (the first at line ${BLOCK_LINE + 4})`,
      expect.stringMatching(/^6:\d+: sweep s: pipelines: /),
      expect.stringMatching(/^7:8: sweep s: data: nosuch:\/x: unknown data set kind 'nosuch'/),
      '8:7: sweep s: fit: expected pad or resize, found \'stretch\'',
    ]);
  });

  it('a value a network cannot take is reported at the value, naming the line that uses it', async () => {
    const stem = HRN_2X5X3X.split('\n').findIndex((l) => /^\s*stem\b/.test(l)) + 1;
    const errs = await errors('sweep s {\n  grid m = [[1, 2], 0, m*k]\n  data "cifar100:/x"\n}');
    expect(errs).toEqual([
      `1:13: sweep s: grid m = [1,2]: network 'HRN-2x5x3x' (line ${stem}): expected a positive integer for the stem channels, got a list [1, 2]`,
      `1:21: sweep s: grid m = 0: network 'HRN-2x5x3x' (line ${stem}): expected a positive integer for the stem channels, got 0`,
      "1:26: sweep s: grid m = m*k: network 'HRN-2x5x3x': 'k' is not a number, nor a parameter of this network",
    ]);
  });

  it('syntax errors in a block are reported like any other, and the networks after it still parse', () => {
    const text = 'sweep s {\n  grid m [2]\n  epochs\n}\nnetwork N { classes 2 }\n';
    const { file, diagnostics } = parseHrn(text, 'g.hrn');
    expect(diagnostics.map((d) => `${d.span.line}:${d.span.col}: ${d.message}`)).toEqual([
      "2:10: expected '=', found '['",
      `3:9: expected a value (a number, a name, a "string" or '['), found end of line`,
    ]);
    expect(file.networks.map((n) => n.name)).toEqual(['N']);
    expect(file.sweeps[0].hasSyntaxErrors).toBe(true);
  });

  it('hrn check reads sweep blocks as hrn sweep does', async () => {
    const ok = await hrn('check', 'examples/fashion-hrn.hrn');
    expect(ok.out).toContain('ok (HRN; sweep capacity)');
    const path = withBlock('sweep s {\n  grid k = [1]\n}', 'check.hrn');
    const bad = await hrn('check', path);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain(`check.hrn:${BLOCK_LINE + 1}:8: error: sweep s: network 'HRN-2x5x3x' has no parameter 'k'`);
    expect(bad.err).toMatch(/grid k = \[1\]\n\s+\^/);
  });

  it('a missing } before a network declaration costs one diagnostic', () => {
    const text = 'sweep s {\n  network N\n  epochs 2\nnetwork N {\n  classes 2\n}\n';
    const { file, diagnostics } = parseHrn(text, 'g.hrn');
    expect(diagnostics.map((d) => `${d.span.line}:${d.span.col}: ${d.message}`)).toEqual([
      "4:1: expected '}' before 'network': the block above is not closed",
    ]);
    expect(file.networks.map((n) => n.name)).toEqual(['N']);
  });
});
