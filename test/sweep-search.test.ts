// Random search (`trials N` with `sample` lines, or --trials with --sample): draws from the declared
// distributions, reproducible by the sample seed, checked with file:line:col diagnostics (a block)
// or one line naming the option (the command line); run ids that show the seed; and the early
// stopping rules' decisions, from accuracies given here.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ashaDecision, ashaRungs, medianDecision, parseEarlyStop } from '../src/sweep/early-stop.js';
import type { RunConfig } from '../src/sweep/expand.js';
import { RunStore } from '../src/sweep/store.js';
import { hrnInProcess as hrn, TINY_HRN } from './sweep-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'hrn-sweep-search-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The tiny network with its stage widths as a param (a list param to draw entry by entry). */
const NET = TINY_HRN.replace('param k = 10', 'param k = 10\n  param widths = [2]').replace('widths [2]', 'widths widths');

/** NET with a sweep block; the block's first line (`sweep s {`) is line BLOCK_LINE of the file. */
function withBlock(block: string[], name = 's.hrn'): string {
  const path = join(root, name);
  writeFileSync(path, `${NET}${block.join('\n')}\n`);
  return path;
}
const BLOCK_LINE = NET.split('\n').length;

async function dryRun(path: string, ...extra: string[]): Promise<RunConfig[]> {
  const r = await hrn('sweep', path, '--dry-run', '--json', ...extra);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out) as RunConfig[];
}

const SEARCH = [
  'sweep s {',
  '  trials 12',
  '  sample lr = loguniform(0.01, 0.3)',
  '  sample m = int(2, 5)',
  '  sample weight-decay = uniform(0.0001, 0.001)',
  '  sample batch = choice(8, 16)',
  '  sample widths = [choice(2, 3)]',
  '  epochs 2',
  '  data "fashion-mnist:/nowhere"',
  '}',
];

/** The value `name=` in a run's label (params and drawn settings alike). */
const drawn = (r: RunConfig, name: string) => new RegExp(`(?:^| )${name}=(\\S+)`).exec(r.label)?.[1];

describe('random search', () => {
  it('draws every sample line per trial, within its distribution, into the run and its label', async () => {
    const runs = await dryRun(withBlock(SEARCH));
    expect(runs.length).toBe(12);
    for (const r of runs) {
      const lr = Number(drawn(r, 'lr'));
      expect(r.train.lr).toBe(lr);
      expect(lr).toBeGreaterThanOrEqual(0.01);
      expect(lr).toBeLessThanOrEqual(0.3);
      const wd = Number(drawn(r, 'weight-decay'));
      expect(r.train.weightDecay).toBe(wd);
      expect(wd).toBeGreaterThanOrEqual(0.0001);
      expect(wd).toBeLessThanOrEqual(0.001);
      expect([8, 16]).toContain(r.train.batch);
      expect(r.set).toContain(`m=${drawn(r, 'm')}`);
      expect([2, 3, 4, 5]).toContain(Number(drawn(r, 'm')));
      expect(['[2]', '[3]']).toContain(drawn(r, 'widths'));
      // The drawn width is the network's: its ReLUs follow m (stem and stage 1 carry m channels).
      expect(r.counts.relus % Number(drawn(r, 'm'))).toBe(0);
      expect(r.train.epochs).toBe(2);
    }
    // Twelve draws of a continuous learning rate are all different; log-uniform puts about as
    // many below the geometric midpoint sqrt(0.01 * 0.3) ~ 0.055 as above it (a uniform draw
    // would put about 84% above).
    expect(new Set(runs.map((r) => r.train.lr)).size).toBe(12);
    expect(runs.filter((r) => r.train.lr < Math.sqrt(0.01 * 0.3)).length).toBeGreaterThanOrEqual(3);
    expect(new Set(runs.map((r) => r.train.batch))).toEqual(new Set([8, 16]));
  });

  it('is reproducible by its seed: the same seed the same runs, another seed others, more trials keep the first ones', async () => {
    const path = withBlock(SEARCH);
    const a = await dryRun(path);
    const b = await dryRun(path);
    expect(b.map((r) => r.id)).toEqual(a.map((r) => r.id));
    const other = await dryRun(path, '--sample-seed', '7');
    expect(other.map((r) => r.id).filter((id) => a.some((x) => x.id === id))).toEqual([]);
    const more = await dryRun(path, '--trials', '15');
    expect(more.slice(0, 12).map((r) => r.id)).toEqual(a.map((r) => r.id));
    const sameSeedInBlock = await dryRun(withBlock(SEARCH.map((l) => (l.includes('trials') ? '  trials 12\n  sample-seed 7' : l)), 'seeded.hrn'));
    expect(sameSeedInBlock.map((r) => r.id)).toEqual(other.map((r) => r.id));
  });

  it('on the command line: --trials with --sample, and --grid values drawn instead of combined', async () => {
    const path = withBlock([]);
    const runs = await dryRun(path, '--data', 'fashion-mnist:/nowhere', '--trials', '5', '--sample', 'lr=loguniform(0.001,0.1)', '--sample', 'm=int(2,3)', '--grid', 'k=10|12', '--seeds', '0,1');
    expect(runs.length).toBe(5 * 2);
    for (const r of runs) {
      expect(r.train.lr).toBeGreaterThanOrEqual(0.001);
      expect(r.train.lr).toBeLessThanOrEqual(0.1);
      expect(['k=10', 'k=12']).toContain(r.set.find((s) => s.startsWith('k=')));
    }
    // The seeds of one trial train the same draw.
    const bySeed = (s: number) => runs.filter((r) => r.seed === s).map((r) => r.label.replace(/ seed\d+$/, ''));
    expect(bySeed(1)).toEqual(bySeed(0));
  });

  it('a bad sample line is a diagnostic at its line and column', async () => {
    const path = withBlock(
      [
        'sweep s {',
        '  trials 0',
        '  sample lr = loguniform(0, 0.3)',
        '  sample m = gauss(2, 4)',
        '  sample epochs = uniform(1, 3)',
        '  sample batch = choice(8, 0)',
        '  sample q = int(1, 2)',
        '  sample k = int(4, 2)',
        '  data "fashion-mnist:/nowhere"',
        '}',
      ],
      'bad.hrn',
    );
    const r = await hrn('sweep', path, '--dry-run');
    expect(r.code).toBe(1);
    const errs = [...r.err.matchAll(/bad\.hrn:(\d+):(\d+): error: (.*)/g)].map((m) => `${Number(m[1]) - BLOCK_LINE}:${m[2]}: ${m[3]}`);
    expect(errs).toEqual([
      expect.stringMatching(/^1:10: sweep s: trials: expected a whole number of runs to draw, at least 1, found 0$/),
      expect.stringMatching(/^2:26: sweep s: sample lr: loguniform: LOW must be above 0/),
      expect.stringMatching(/^3:14: sweep s: sample m: unknown distribution 'gauss'/),
      expect.stringMatching(/^4:19: sweep s: sample epochs: epochs takes whole numbers/),
      expect.stringMatching(/^5:28: sweep s: sample batch: batch takes a batch size, at least 1; 0 is not one$/),
      expect.stringMatching(/^6:10: sweep s: network 'Tiny' has no parameter 'q'/),
      expect.stringMatching(/^7:14: sweep s: sample k: int: LOW \(4\) must be below HIGH \(2\)$/),
    ]);
    // Each with the line and a caret under the column.
    expect(r.err).toContain('    sample m = gauss(2, 4)\n               ^~~~~');
    // A syntax error in a sample line is one too.
    const syntax = await hrn('sweep', withBlock(['sweep s {', '  trials 2', '  sample momentum = ', '}'], 'syntax.hrn'), '--dry-run');
    expect(syntax.code).toBe(1);
    expect(syntax.err).toMatch(new RegExp(`syntax\\.hrn:${BLOCK_LINE + 2}:21: error: expected a distribution \\(e\\.g\\. 'loguniform\\(0\\.01, 0\\.3\\)'\\) or a list of entries`));
  });

  it('sample lines need trials, and trials need something to draw', async () => {
    const noTrials = await hrn('sweep', withBlock(['sweep s {', '  sample lr = uniform(0.1, 0.2)', '  data "fashion-mnist:/x"', '}'], 'nt.hrn'), '--dry-run');
    expect(noTrials.code).toBe(1);
    expect(noTrials.err).toContain(`nt.hrn:${BLOCK_LINE + 1}:3: error: sweep s: a sample is drawn once per trial: add 'trials N'`);
    // A command line that asks for nothing to draw is a usage error (exit 2), as other misused options are.
    const nothing = await hrn('sweep', withBlock([], 'plain.hrn'), '--data', 'fashion-mnist:/x', '--dry-run', '--trials', '3');
    expect(nothing.code).toBe(2);
    expect(nothing.err).toMatch(/^hrn sweep: --trials: nothing to draw/);
  });

  it('a bad --sample is one line naming it: exit 1 for a bad distribution, 2 for options that do not go together', async () => {
    const path = withBlock([], 'cli.hrn');
    const cases: [string[], number, RegExp][] = [
      [['--sample', 'lr=loguniform(0.01,0.3)'], 2, /--sample draws a value per trial; give --trials N/],
      [['--trials', '2', '--sample', 'lr=loguniform(0.01'], 1, /--sample 'lr=loguniform\(0\.01': expected/],
      [['--trials', '2', '--sample', 'lr=uniform(0.3,0.1)'], 1, /--sample 'lr=uniform\(0\.3,0\.1\)': uniform: LOW \(0\.3\) must be below HIGH \(0\.1\)/],
      [['--trials', '2', '--sample', 'batch=choice(8,x)'], 1, /batch takes a number, found 'x'/],
      [['--trials', '2', '--sample', 'm=int(2,3)', '--sample', 'm=int(4,5)'], 2, /'m' is drawn twice/],
    ];
    for (const [args, code, message] of cases) {
      const r = await hrn('sweep', path, '--data', 'fashion-mnist:/x', '--dry-run', ...args);
      expect(r.code, args.join(' ')).toBe(code);
      const lines = r.err.trim().split('\n');
      // A usage error is followed by the pointer to --help, as every usage error is.
      expect(lines.length, args.join(' ')).toBe(code === 2 ? 2 : 1);
      expect(lines[0], args.join(' ')).toMatch(code === 2 ? /^hrn sweep: / : /^hrn sweep: error: /);
      expect(lines[0], args.join(' ')).toMatch(message);
    }
  });
});

describe('bounds', () => {
  it('a search of more trials than a sweep may make runs is refused before anything is drawn; so are too many --jobs', async () => {
    const path = withBlock([], 'big.hrn');
    const started = Date.now();
    const big = await hrn('sweep', path, '--data', 'fashion-mnist:/x', '--dry-run', '--trials', '1000000000', '--sample', 'lr=uniform(0.1,0.2)');
    expect(big.code).toBe(1);
    expect(big.err).toMatch(/^hrn sweep: error: 1\.00e9 runs \(1 network x 1\.00e9 trials x 1 pipeline x 1 seed\), above the limit of 1,000 runs in one sweep; use fewer trials, or split the sweep$/m);
    expect(Date.now() - started).toBeLessThan(10_000);
    const jobs = await hrn('sweep', path, '--data', 'fashion-mnist:/x', '--jobs', '65');
    expect(jobs.code).toBe(2);
    expect(jobs.err).toMatch(/^hrn sweep: --jobs: at most 64 runs at once, got 65/);
  });
});

describe('run ids', () => {
  it('end with the seed, after the hash of the configuration', async () => {
    const runs = await dryRun(withBlock([], 'ids.hrn'), '--data', 'fashion-mnist:/x', '--seeds', '0,3');
    expect(runs.map((r) => r.seed)).toEqual([0, 3]);
    for (const r of runs) expect(r.id).toMatch(new RegExp(`^Tiny-[0-9a-f]{12}-s${r.seed}$`));
  });

  it('a runs directory made before keeps its runs: the old id is continued, not trained again', async () => {
    const runs = await dryRun(withBlock([], 'legacy.hrn'), '--data', 'fashion-mnist:/x', '--seeds', '1');
    const [run] = runs;
    const hash = /-([0-9a-f]{12})-s1$/.exec(run.id)![1];
    const dir = join(root, 'legacy-runs');
    const old = `Tiny-seed1-${hash}`;
    const store = new RunStore(dir);
    store.writeSweep({ name: 'x', file: 'legacy.hrn', networks: [], mode: 'grid', axes: [], pipelines: [null], seeds: [1], data: run.data, train: run.train }, [{ ...run, id: old }]);
    expect(store.adoptLegacyIds(runs)).toBe(1);
    expect(runs[0].id).toBe(old);
    // A directory with the new id is used as it is.
    const fresh = await dryRun(withBlock([], 'legacy.hrn'), '--data', 'fashion-mnist:/x', '--seeds', '0');
    expect(store.adoptLegacyIds(fresh)).toBe(0);
    expect(readFileSync(join(dir, old, 'run.json'), 'utf8')).toContain(old);
  });
});

describe('early stopping rules', () => {
  it('median: stops a run whose best so far is below the median of the others at that epoch, after the warm-up', () => {
    const others = [
      [0.5, 0.6, 0.7],
      [0.3, 0.4, 0.5],
      [0.45, 0.5, 0.55],
    ];
    // Epoch 2: the others' median is 0.5; a best of 0.45 is below it.
    const d = medianDecision({ warmup: 1 }, [0.4, 0.45], others, 2, 3, 'validation');
    expect(d).toMatchObject({ rule: 'median:1', epoch: 2 });
    expect(d!.reason).toBe('best validation accuracy so far 45.00% is below the median 50.00% of the 3 other runs at epoch 2');
    // Its best epoch counts, not its last; the warm-up, and the last epoch, decide nothing.
    expect(medianDecision({ warmup: 1 }, [0.52, 0.3], others, 2, 3, 'validation')).toBeUndefined();
    expect(medianDecision({ warmup: 2 }, [0.4, 0.45], others, 2, 3, 'validation')).toBeUndefined();
    expect(medianDecision({ warmup: 0 }, [0.1, 0.1, 0.1], others, 3, 3, 'test')).toBeUndefined();
    // Nothing to compare with (the first run of a sweep): it goes on.
    expect(medianDecision({ warmup: 0 }, [0.1], [], 1, 3, 'test')).toBeUndefined();
  });

  it('asha: rungs at MIN_EPOCHS * ETA^k; a run goes on only in the top 1/ETA of those at its rung', () => {
    expect(ashaRungs({ eta: 3, minEpochs: 1 }, 30)).toEqual([1, 3, 9, 27]);
    expect(ashaRungs({ eta: 2, minEpochs: 2 }, 8)).toEqual([2, 4]);
    const atRung1 = [[0.9], [0.8], [0.7], [0.6], [0.5]];
    // Six runs at the rung, keep 6/3 = 2: 0.85 ranks second (goes on), 0.75 third (stopped).
    expect(ashaDecision({ eta: 3, minEpochs: 1 }, [0.85], atRung1, 1, 9, 'test')).toBeUndefined();
    const d = ashaDecision({ eta: 3, minEpochs: 1 }, [0.75], atRung1, 1, 9, 'test');
    expect(d).toMatchObject({ rule: 'asha:3,1', epoch: 1 });
    expect(d!.reason).toMatch(/ranks 3 of the 6 runs at the rung of epoch 1; the top 1\/3 \(2\) go on/);
    // Not a rung: no decision.
    expect(ashaDecision({ eta: 3, minEpochs: 1 }, [0.1, 0.1], atRung1, 2, 9, 'test')).toBeUndefined();
    // Alone at a rung so far, a run goes on (at least one does).
    expect(ashaDecision({ eta: 3, minEpochs: 1 }, [0.1], [], 1, 9, 'test')).toBeUndefined();
  });

  it('--early-stop takes median[:WARMUP] or asha[:ETA[,MIN_EPOCHS]]; anything else is one line', async () => {
    expect(parseEarlyStop('median')).toEqual({ rule: 'median', warmup: 1 });
    expect(parseEarlyStop('median:0')).toEqual({ rule: 'median', warmup: 0 });
    expect(parseEarlyStop('asha')).toEqual({ rule: 'asha', eta: 3, minEpochs: 1 });
    expect(parseEarlyStop('asha:2,4')).toEqual({ rule: 'asha', eta: 2, minEpochs: 4 });
    for (const bad of ['mean', 'asha:1', 'median:x', 'asha:2,3,4']) {
      const r = await hrn('sweep', withBlock([], 'es.hrn'), '--data', 'fashion-mnist:/nowhere', '--early-stop', bad);
      expect(r.code, bad).toBe(1);
      expect(r.err.trim().split('\n'), bad).toEqual([expect.stringMatching(/^hrn sweep: error: --early-stop: /)]);
    }
  });
});
