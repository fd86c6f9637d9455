// The `snl BUDGET` pass: it marks the stem's and stages' ReLUs as masked, composes with thinning,
// counts "at most BUDGET" before training, and rejects budgets no mask could meet.

import { describe, expect, it } from 'vitest';
import { lowerToGraph } from '../src/ir/lower.js';
import { networkStats } from '../src/ir/stats.js';
import { maskLength, type ReluNode } from '../src/ir/graph.js';
import { emitHrn } from '../src/ir/emit-hrn.js';
import { piCost } from '../src/ir/cost.js';
import { diagnosticsOf, net, one, relus, run, stageRelus } from './passes-fixtures.js';
import { hrn } from './run-cli.js';
import { validateJson } from './json-schema.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planTraining } from '../src/driver.js';
import { binarizeMasks } from '../src/train/snl.js';
import { keptRelus } from '../src/weights/snl-masks.js';
import { initWeights, Rng } from '../src/weights/index.js';

const masked = (g: ReturnType<typeof lowerToGraph>) => g.nodes.filter((n): n is ReluNode => n.op === 'relu' && n.mask !== undefined);

describe('snl BUDGET', () => {
  it('records the plan and marks every stem and stage ReLU as masked, per pixel by default', () => {
    const base = net([2, 5, 3]);
    const n = one(base, 'snl 15000');
    expect(n.snl).toEqual({ budget: 15000, granularity: 'pixel' });
    const g = lowerToGraph(n);
    const all = g.nodes.filter((x) => x.op === 'relu');
    expect(masked(g)).toHaveLength(all.length);
    // One mask entry per activation element: the masks cover every candidate ReLU.
    expect(masked(g).reduce((s, r) => s + maskLength(r), 0)).toBe(relus(base));
    const perChannel = masked(lowerToGraph(one(base, 'snl 15000 per-channel')));
    expect(perChannel.every((r) => r.mask === 'channel' && maskLength(r) === r.end - r.start)).toBe(true);
  });

  it('composes with thinning: the candidates are the ReLUs thinning left, the total is at most the budget', () => {
    const thinned = one(net([2, 5, 3]), 'thin S2 S3 S4');
    const n = one(net([2, 5, 3]), 'thin S2 S3 S4; snl 15000');
    const s = networkStats(n);
    expect(Object.values(s.relus.stages)).toEqual(stageRelus(thinned));
    expect(s.relus.total).toBe(15000);
    expect(s.relus.snl).toEqual({ budget: 15000, granularity: 'pixel', candidates: relus(thinned), exact: false });
    // The PI cost follows the budget, not the candidates.
    expect(s.piCost.communicationBytes).toBe(piCost(15000).communicationBytes);
  });

  it('a budget above the network\'s ReLUs, or not positive, is a diagnostic at the budget', () => {
    const thinnedRelus = relus(one(net([2, 5, 3]), 'thin S2 S3 S4'));
    const [d] = diagnosticsOf(() => run(net([2, 5, 3]), `thin S2 S3 S4; snl ${thinnedRelus + 1}`));
    expect(d.message).toContain(`above the ${thinnedRelus.toLocaleString('en-US')} that HRN-2x5x3x has`);
    expect(d.span.length).toBe(String(thinnedRelus + 1).length);
    expect(one(net([2, 5, 3]), `thin S2 S3 S4; snl ${thinnedRelus}`).snl?.budget).toBe(thinnedRelus);
    expect(diagnosticsOf(() => run(net([2, 5, 3]), 'snl 0'))[0].message).toBe('snl: the ReLU budget must be at least 1, got 0');
    expect(diagnosticsOf(() => run(net([2, 5, 3]), 'snl many'))[0].message).toContain('must be a whole number');
    expect(diagnosticsOf(() => run(net([2, 5, 3]), 'snl 99999999999999999999'))[0].message).toBe('snl: the ReLU budget 99999999999999999999 is too large');
    expect(diagnosticsOf(() => run(net([2, 5, 3]), 'snl'))[0].message).toContain('snl needs a ReLU budget');
    expect(diagnosticsOf(() => run(net([2, 5, 3]), 'snl 10 per-row'))[0].message).toContain("unexpected argument 'per-row'");
  });

  it('per channel, a budget that the smallest plane could miss by over 5% is warned about at the budget', () => {
    // At 32x32 input, Stage4's maps are 4x4: a kept channel there is 16 ReLUs, so up to 15 can go unfilled.
    const warned = run(net([2, 5, 3]), 'snl 200 per-channel').diagnostics;
    expect(warned.map((d) => d.message)).toEqual(['snl: per channel, each kept channel keeps its whole plane, and the smallest plane of HRN-2x5x3x is 16 ReLUs, so the kept count can fall up to 15 below the budget of 200']);
    expect(warned[0].span.length).toBe(3);
    expect(run(net([2, 5, 3]), 'snl 300 per-channel').diagnostics).toEqual([]);
    expect(run(net([2, 5, 3]), 'snl 200').diagnostics).toEqual([]);
  });

  it('binarization keeps at most the budget, and per channel falls short by less than the smallest plane', () => {
    const smallest = 4 * 4;
    for (const [granularity, budgets] of [['', [1, 777, 15000]], [' per-channel', [300, 1000, 4321, 15000]]] as const) {
      for (const budget of budgets) {
        const graph = lowerToGraph(one(net([2, 5, 3]), `snl ${budget}${granularity}`));
        const weights = initWeights(graph, 1);
        const rng = new Rng(budget);
        for (const [name, t] of weights) if (name.endsWith('.mask')) t.data.forEach((_, i) => (t.data[i] = rng.next()));
        const kept = [...keptRelus(graph, binarizeMasks(graph, weights, budget)).values()].reduce((a, b) => a + b, 0);
        expect(kept, `snl ${budget}${granularity}`).toBeLessThanOrEqual(budget);
        expect(kept, `snl ${budget}${granularity}`).toBeGreaterThan(granularity ? budget - smallest : budget - 1);
      }
    }
  });

  it('--emit hrn writes the plan back as a pipeline step', () => {
    expect(emitHrn(one(net([2, 5, 3]), 'thin S2 S3 S4; snl 15000 per-channel'))).toContain('  snl 15000 per-channel\n');
  });

  it('hrn stats prints "at most BUDGET (SNL, mask learned in training)"; a bad budget is a caret diagnostic, exit 1', async () => {
    const ok = await hrn('stats', 'examples/hrn-2x5x3x.hrn', '--pipeline', 'thin S2 S3 S4; snl 15000');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/total\s+at most 15,000/);
    expect(ok.out).toContain('at most 15,000 (SNL, mask learned in training)');
    const json = await hrn('stats', 'examples/hrn-2x5x3x.hrn', '--pipeline', 'thin S2 S3 S4; snl 15000', '--json');
    expect(validateJson('stats', JSON.parse(json.out))).toEqual([]);
    const bad = await hrn('stats', 'examples/hrn-2x5x3x.hrn', '--pipeline', 'snl 99999999');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("<--pipeline>:1:5: error: snl: the budget of 99,999,999 ReLUs is above");
    expect(bad.err).toContain('  snl 99999999\n      ^~~~~~~~');
  });

  it('compile plans a masked network, and its training step has a mask gradient per masked ReLU', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrn-snl-'));
    const r = await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--set', 'm=4', '--pipeline', 'snl 2000', '-o', join(dir, 'out'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const { graph, plan } = planTraining(one(net([2, 5, 3], { m: 4 }), 'snl 2000'), { batch: 2 });
    const masked = graph.nodes.filter((n) => n.op === 'relu' && n.mask !== undefined).map((n) => `${n.name} dM`);
    expect(plan.dispatches.filter((d) => d.label.endsWith(' dM')).map((d) => d.label)).toEqual([...masked].reverse());
  });
});
