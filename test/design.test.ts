// `hrn design FILE --relus N`: every candidate it lists is rebuilt here from its steps through the
// compiler driver and counted, and must land within the tolerance; the Pareto marks, the latency
// cap, the pipelines option and `--emit sweep` (parsed by the real parser and expanded by the sweep
// expander, nothing trained) are checked against what the candidates say.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DesignCandidate, DesignResult } from '../src/design/design.js';
import { loadNetworksFromText, lowerNetwork, runPipelineText } from '../src/driver.js';
import { piCost } from '../src/ir/cost.js';
import { countGraph } from '../src/ir/count.js';
import { parseSourceFile } from '../src/source-file.js';
import { expandSweep } from '../src/sweep/expand.js';
import { pickSweep, resolveSweep } from '../src/sweep/from-source.js';
import { validateJson } from './json-schema.js';
import { hrn } from './run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'hrn-design-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const RESNET18 = 'examples/resnet18.hrn';

async function design(...args: string[]): Promise<DesignResult> {
  const r = await hrn('design', ...args, '--json');
  expect(r.code, r.err).toBe(0);
  const doc = JSON.parse(r.out);
  expect(validateJson('design', doc)).toEqual([]);
  return doc.networks[0] as DesignResult;
}

/** The candidate rebuilt from the file and its steps, as `hrn stats --pipeline STEPS` would build it. */
function rebuild(file: string, c: DesignCandidate, set: string[] = []) {
  const sources = new Map<string, string>();
  const loaded = loadNetworksFromText(file, readFileSync(file, 'utf8'), sources, { set });
  const family = c.steps === '' ? loaded.networks : runPipelineText(loaded.networks, c.steps, '<test>', loaded.file, sources).family;
  expect(family).toHaveLength(1);
  const graph = lowerNetwork(family[0]);
  return { arch: family[0], counts: countGraph(graph).total, cost: piCost(countGraph(graph).total.relus, graph) };
}

describe('hrn design', () => {
  it('ResNet18 at 10,000 ReLUs: every candidate, rebuilt and counted, is within 10% and has the latency listed', async () => {
    const r = await design(RESNET18, '--relus', '10000');
    expect(r.candidates.length).toBeGreaterThan(5);
    for (const c of r.candidates) {
      const { arch, counts, cost } = rebuild(RESNET18, c);
      expect(counts.relus, c.steps).toBe(c.relus);
      expect(Math.abs(counts.relus - 10_000)).toBeLessThanOrEqual(1_000);
      expect(counts.flops).toBe(c.flops);
      expect(counts.params).toBe(c.params);
      expect(arch.widths?.m ?? arch.stem.channels).toBe(c.m);
      expect(c.totalLatencySeconds).toBeCloseTo(cost.totalLatencySeconds, 9);
      expect(c.gcLatencySeconds + c.heLatencySeconds).toBeCloseTo(c.totalLatencySeconds, 9);
    }
    // No two candidates are the same network.
    expect(new Set(r.candidates.map((c) => `${c.relus} ${c.flops} ${c.params}`)).size).toBe(r.candidates.length);
  });

  it('finds the widths the arithmetic gives', async () => {
    const r = await design(RESNET18, '--relus', '10000');
    const has = (member: string, m: number, pipeline: string, relus: number) =>
      expect(r.candidates.some((c) => c.member === member && c.m === m && c.pipeline === pipeline && c.relus === relus), `${member} m=${m} ${pipeline}`).toBe(true);
    // ResNet18 culled in S1 (stem included) and thinned elsewhere: half of S2-S4's ReLUs,
    // (4*2m*16^2 + 4*4m*8^2 + 4*8m*4^2) / 2 = 1,792 per unit of m; m=5 gives 8,960 (below 9,000), m=6 10,752.
    has('ResNet18', 6, 'cull S1; thin remaining', 6 * 1_792);
    expect(r.candidates.some((c) => c.member === 'ResNet18' && c.m === 5 && c.pipeline === 'cull S1; thin remaining')).toBe(false);
    // HRN-5x5x3x thinned everywhere has 163,328 ReLUs at m=16 (the paper's Table 6): 10,208 per unit of m.
    has('HRN-5x5x3x', 1, 'thin all', 163_328 / 16);
  });

  it('the Pareto marks: a candidate is marked exactly when no other has as few ReLUs at as low a latency', async () => {
    const r = await design(RESNET18, '--relus', '10000');
    for (const c of r.candidates) {
      const beaten = r.candidates.some((o) => o !== c && o.relus <= c.relus && o.totalLatencySeconds <= c.totalLatencySeconds && (o.relus < c.relus || o.totalLatencySeconds < c.totalLatencySeconds));
      expect(c.pareto).toBe(!beaten);
    }
    expect(r.candidates.filter((c) => c.pareto).length).toBeGreaterThan(0);
  });

  it('--max-latency drops the slower candidates; --front keeps the Pareto front; --pipelines replaces the standard set; --tolerance narrows', async () => {
    const all = await design(RESNET18, '--relus', '10000');
    const capped = await design(RESNET18, '--relus', '10000', '--max-latency', '20');
    expect(capped.candidates.map((c) => c.steps)).toEqual(all.candidates.filter((c) => c.totalLatencySeconds <= 20).map((c) => c.steps));
    expect(capped.candidates.length).toBeLessThan(all.candidates.length);
    const mine = await design(RESNET18, '--relus', '10000', '--pipelines', 'none|cull S1; thin remaining');
    expect(mine.pipelines).toEqual(['none', 'cull S1; thin remaining']);
    expect(new Set(mine.candidates.map((c) => c.pipeline))).toEqual(new Set(['cull S1; thin remaining']));
    const front = await design(RESNET18, '--relus', '10000', '--front');
    expect(front.candidates).toEqual(all.candidates.filter((c) => c.pareto));
    const narrow = await design(RESNET18, '--relus', '10000', '--tolerance', '3');
    for (const c of narrow.candidates) expect(Math.abs(c.relus - 10_000)).toBeLessThanOrEqual(300);
    expect(narrow.candidates.length).toBeLessThan(all.candidates.length);
  });

  it('a pipeline written wrong is one diagnostic pointing into it, before any search', async () => {
    const r = await hrn('design', RESNET18, '--relus', '10000', '--pipelines', 'none|thin S2 (');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^<--pipelines #2>:1:\d+: error: /m);
    expect(r.err).toMatch(/^1 error$/m);
  });

  it('a pipeline that does not apply to a member is listed as skipped, with the reason', async () => {
    const r = await design(RESNET18, '--relus', '10000', '--pipelines', 'cull S9');
    expect(r.candidates).toEqual([]);
    expect(r.skipped.map((s) => s.member)).toEqual(r.members);
    expect(r.skipped[0].reason).toMatch(/S9/);
  });

  it('the text table: the PI cost columns and the Pareto marks', async () => {
    const r = await hrn('design', RESNET18, '--relus', '10000');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^ResNet18: \d+ candidates with 10,000 ReLUs within 10% \(9,000-11,000\)$/m);
    expect(r.out).toMatch(/^network +m +pipeline +ReLUs +FLOPs +params +GC latency +HE latency +total +Pareto$/m);
    expect(r.out).toMatch(/^ResNet18 +6 +cull S1; thin remaining +10,752 .* s$/m);
    expect(r.out).toMatch(/ \*$/m);
  });

  it('usage errors', async () => {
    const cases: [string[], RegExp][] = [
      [[RESNET18], /--relus N is required/],
      [[RESNET18, '--relus', 'many'], /--relus: expected a positive whole number/],
      [[RESNET18, '--relus', '10000', '--emit', 'hrn'], /--emit takes 'sweep'/],
      [[RESNET18, '--relus', '10000', '--all'], /--all goes with --emit sweep/],
      [[RESNET18, '--relus', '10000', '--tolerance', '100'], /below 100/],
      [[RESNET18, '--relus', '10000', '--emit', 'sweep', '--name', '9lives'], /not a sweep name/],
      [[RESNET18, '--relus', '10000', '--pipelines', ' | '], /--pipelines names no pipeline/],
    ];
    for (const [args, pattern] of cases) {
      const r = await hrn('design', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(pattern);
    }
  });
});

describe('hrn design --emit sweep', () => {
  /** The file with the emitted block appended, parsed by the real parser and expanded (nothing trained). */
  async function emitAndExpand(file: string, ...args: string[]) {
    const r = await hrn('design', file, ...args, '--emit', 'sweep');
    expect(r.code, r.err).toBe(0);
    const path = join(root, `with-sweep-${Math.random().toString(36).slice(2)}.hrn`);
    writeFileSync(path, `${readFileSync(file, 'utf8')}\n${r.out}`);
    const sources = new Map<string, string>();
    const parsed = parseSourceFile(path, sources);
    const name = /^sweep (\S+) \{$/m.exec(r.out)![1];
    const { decl } = pickSweep(parsed, name);
    const { spec, diagnostics } = resolveSweep(decl!, parsed, sources);
    expect(diagnostics).toEqual([]);
    return { name, block: r.out, runs: expandSweep(spec!, sources) };
  }

  it('the Pareto front of ResNet18 at 10,000 ReLUs: one run per candidate, with its ReLUs', async () => {
    const front = (await design(RESNET18, '--relus', '10000')).candidates.filter((c) => c.pareto);
    const { name, runs } = await emitAndExpand(RESNET18, '--relus', '10000');
    expect(name).toBe('design_10000');
    expect(runs.map((r) => [r.pipeline ?? '', r.counts.relus])).toEqual(front.map((c) => [c.steps, c.relus]));
  });

  it('--all writes every candidate; --set values become one-value axes; --data and --name go into the block', async () => {
    const all = (await design(RESNET18, '--relus', '20000', '--set', 'm=16', '--max-latency', '40')).candidates;
    const { name, block, runs } = await emitAndExpand(RESNET18, '--relus', '20000', '--set', 'm=16', '--max-latency', '40', '--all', '--name', 'budget', '--data', 'cifar100:/data/c100');
    expect(name).toBe('budget');
    expect(block).toMatch(/^ {2}grid +m = \[16\]$/m);
    expect(block).toMatch(/^ {2}data +"cifar100:\/data\/c100"$/m);
    expect(runs).toHaveLength(all.length);
    expect(runs.map((r) => r.counts.relus).sort((a, b) => a - b)).toEqual(all.map((c) => c.relus).sort((a, b) => a - b));
    for (const r of runs) {
      expect(r.set).toEqual(['m=16']);
      expect(r.data).toBe('cifar100:/data/c100');
    }
  });

  it('steps that make a family cannot be one run each: refused, and the name the file already uses too', async () => {
    const family = await hrn('design', RESNET18, '--relus', '100000', '--pipelines', 'equalize width', '--emit', 'sweep', '--all');
    expect(family.code).toBe(1);
    expect(family.err.trim()).toMatch(/^hrn design: error: --emit sweep: the steps of .* make \d+ networks, and a sweep run trains every one/);
    const taken = await hrn('design', 'examples/fashion-hrn.hrn', '--relus', '5000', '--emit', 'sweep', '--name', 'capacity');
    expect(taken.code).toBe(2);
    expect(taken.err).toMatch(/already has a sweep named 'capacity'/);
  });
});
