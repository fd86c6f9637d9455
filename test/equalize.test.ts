import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  applyFilters,
  paretoMinimal,
  problemOf,
  relativeCounts,
  solveDepth,
  solveWidth,
  type EqualizeProblem,
} from '../src/passes/equalize-solver.js';
import { checkCriticality } from '../src/ir/criticality.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { residualNetwork } from '../src/ir/factory.js';
import { ALT_ORDER, diagnosticsOf, net, R18_ORDER, relus, resnet18, resnet34, run, stageRelus } from './passes-fixtures.js';

const S4 = ['S1', 'S2', 'S3', 'S4'];
/** Four stages, each halving height and width: A_k = 4^(k-1). */
const problem = (depths: number[], order: string[]): EqualizeProblem => ({
  stages: S4,
  depths,
  area: [1, 4, 16, 64],
  channels: [16, 32, 64, 128],
  order,
});

describe('equalize width: the solver (Algorithm 1)', () => {
  it('ResNet18, S3 > S2 > S4 > S1: exactly the paper four (5,5,3), (5,7,2), (6,6,2), (7,5,2)', () => {
    const r = solveWidth(problem([2, 2, 2, 2], R18_ORDER));
    expect(r.solutions).toEqual([
      [5, 5, 3],
      [5, 7, 2],
      [6, 6, 2],
      [7, 5, 2],
    ]);
    // The compound inequality of §4.1 with phi = 2: 2*ab/16 > 2*a/4 > 2*abg/64 > 2.
    expect(r.chain.map((c) => c.text)).toEqual([
      '#ReLUs(S3) > #ReLUs(S2): 2αβ/16 > 2α/4',
      '#ReLUs(S2) > #ReLUs(S4): 2α/4 > 2αβγ/64',
      '#ReLUs(S4) > #ReLUs(S1): 2αβγ/64 > 2',
    ]);
  });

  it('the paper\'s ranges: (beta, gamma) = (5,2) needs alpha >= 7, (5,3) alpha >= 5, (6,2) alpha >= 6, (7,2) alpha >= 5', () => {
    const p = problem([2, 2, 2, 2], R18_ORDER);
    const ok = (f: number[]) => {
      const r = relativeCounts(p, f); // S1..S4
      return r[2] > r[1] && r[1] > r[3] && r[3] > r[0];
    };
    expect([ok([6, 5, 2]), ok([7, 5, 2])]).toEqual([false, true]);
    expect([ok([4, 5, 3]), ok([5, 5, 3])]).toEqual([false, true]);
    expect([ok([5, 6, 2]), ok([6, 6, 2])]).toEqual([false, true]);
    expect([ok([4, 7, 2]), ok([5, 7, 2])]).toEqual([false, true]);
    // Larger alpha keeps equalization (the set is open upward in alpha), beta*gamma < 16 does not.
    expect(ok([12, 5, 3])).toBe(true);
    expect(ok([5, 8, 2])).toBe(false);
  });

  it('Appendix C, S3 > S4 > S2 > S1: (5,6,3) and (5,9,2)', () => {
    expect(solveWidth(problem([2, 2, 2, 2], ALT_ORDER)).solutions).toEqual([
      [5, 6, 3],
      [5, 9, 2],
    ]);
  });

  it('ResNet34 (3,4,6,3): 16 Pareto-minimal members; last<4 then min-first leaves (4,6,3), (4,9,2)', () => {
    const r = solveWidth(problem([3, 4, 6, 3], R18_ORDER));
    expect(r.solutions).toHaveLength(16);
    expect(r.solutions).toContainEqual([4, 6, 3]);
    expect(r.solutions).toContainEqual([11, 3, 2]);
    const lastBelow4 = applyFilters(r.solutions, [{ kind: 'last-below', bound: 4 }]);
    expect(lastBelow4.every((f) => f[2] < 4)).toBe(true);
    expect(applyFilters(lastBelow4, [{ kind: 'min-first' }])).toEqual([
      [4, 6, 3],
      [4, 9, 2],
    ]);
  });

  it('the lower bound 2 is what makes the ResNet18 family the paper four (with 1, gamma = 1 members appear)', () => {
    const r = solveWidth(problem([2, 2, 2, 2], R18_ORDER), { min: 1, max: 16 });
    expect(r.solutions).toContainEqual([5, 13, 1]);
    expect(r.solutions.length).toBeGreaterThan(4);
    // A larger box changes nothing: the family is bounded.
    expect(solveWidth(problem([2, 2, 2, 2], R18_ORDER), { min: 2, max: 40 }).solutions).toHaveLength(4);
  });

  it('names the first inequality the box cannot meet', () => {
    // beta > 4 is needed for S3 > S2; with factors at most 4 Algorithm 1 fails at its first step.
    const r = solveWidth(problem([2, 2, 2, 2], R18_ORDER), { min: 2, max: 4 });
    expect(r.solutions).toEqual([]);
    expect(r.failing?.inequality.text).toBe('#ReLUs(S3) > #ReLUs(S2): 2αβ/16 > 2α/4');
  });

  it('Pareto cut: keeps exactly the points nothing else is <= in every coordinate', () => {
    expect(paretoMinimal([[2, 3], [3, 2], [3, 3], [2, 4], [1, 9]])).toEqual([[1, 9], [2, 3], [3, 2]]);
  });

  it('any D, order and depths: every solution satisfies the chain, none dominates another, every feasible point dominates one', () => {
    const arb = fc
      .integer({ min: 2, max: 4 })
      .chain((d) =>
        fc.record({
          depths: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: d, maxLength: d }),
          perm: fc.shuffledSubarray(Array.from({ length: d }, (_, i) => `S${i + 1}`), { minLength: d, maxLength: d }),
        }),
      );
    fc.assert(
      fc.property(arb, ({ depths, perm }) => {
        const d = depths.length;
        const p: EqualizeProblem = {
          stages: Array.from({ length: d }, (_, i) => `S${i + 1}`),
          depths,
          area: Array.from({ length: d }, (_, i) => 4 ** i),
          channels: depths.map(() => 1),
          order: perm,
        };
        const box = { min: 2, max: 9 };
        const r = solveWidth(p, box);
        const idx = perm.map((s) => p.stages.indexOf(s));
        const feasible = (f: number[]) => {
          const c = relativeCounts(p, f);
          return idx.every((k, i) => i === 0 || c[idx[i - 1]] > c[k]);
        };
        for (const s of r.solutions) expect(feasible(s)).toBe(true);
        for (const a of r.solutions)
          for (const b of r.solutions) if (a !== b) expect(a.every((v, i) => v <= b[i])).toBe(false);
        // Brute force over the box.
        const all: number[][] = [[]];
        for (let k = 0; k < d - 1; k++) {
          const next: number[][] = [];
          for (const pre of all) for (let v = box.min; v <= box.max; v++) next.push([...pre, v]);
          all.splice(0, all.length, ...next);
        }
        for (const f of all.filter(feasible)) {
          expect(r.solutions.some((s) => s.every((v, i) => v <= f[i]))).toBe(true);
        }
        expect(r.feasibleCount).toBe(all.filter(feasible).length);
      }),
      { numRuns: 60 },
    );
  });
});

describe('equalize width: the pass', () => {
  it('ResNet18 -> HRN-5x5x3x, HRN-5x7x2x, HRN-6x6x2x, HRN-7x5x2x with Table 16 channels, ReLUs in criticality order', () => {
    const { family, diagnostics } = run(resnet18(16), 'equalize width');
    expect(family.map((n) => n.name)).toEqual(['HRN-5x5x3x', 'HRN-5x7x2x', 'HRN-6x6x2x', 'HRN-7x5x2x']);
    expect(family.map((n) => n.stages.map((s) => s.channels))).toEqual([
      [16, 80, 400, 1200],
      [16, 80, 560, 1120],
      [16, 96, 576, 1152],
      [16, 112, 560, 1120],
    ]);
    // Table 16's #ReLUs row: 343K, 379K, 401K, 412K.
    expect(family.map(relus)).toEqual([343_040, 378_880, 401_408, 411_648]);
    for (const n of family) {
      expect(checkCriticality(n, lowerToGraph(n)).follows).toBe(true);
      expect(n.history).toEqual(['equalize width']);
      expect(n.widths).toEqual({ m: 16, factors: n.stages.slice(1).map((s, i) => s.channels / n.stages[i].channels) });
    }
    expect(diagnostics.some((d) => d.severity === 'note' && d.message.includes('4 Pareto-minimal'))).toBe(true);
  });

  it('order= gives the Appendix C family; pick= keeps one member', () => {
    expect(run(resnet18(16), 'equalize width order=S3>S4>S2>S1').family.map((n) => n.name)).toEqual(['HRN-5x6x3x', 'HRN-5x9x2x']);
    const [picked] = run(resnet18(16), 'equalize width order=S3>S4>S2>S1 pick=5x9x2x').family;
    expect(picked.name).toBe('HRN-5x9x2x');
    expect(picked.criticality).toEqual(ALT_ORDER);
  });

  it('ResNet34: the filters are arguments, applied in the order written', () => {
    expect(run(resnet34(16), 'equalize width').family).toHaveLength(16);
    expect(run(resnet34(16), 'equalize width last<4 min-first').family.map((n) => n.name)).toEqual(['HRN-4x6x3x', 'HRN-4x9x2x']);
    expect(run(resnet34(16), 'equalize width min-first last<4').family.map((n) => n.name)).toEqual(['HRN-4x6x3x', 'HRN-4x9x2x']);
    // Depths are kept: HRN-4x6x3x is a ResNet34 (3, 4, 6, 3).
    expect(run(resnet34(16), 'equalize width pick=4x6x3x').family[0].stages.map((s) => s.depth)).toEqual([3, 4, 6, 3]);
  });

  it('explicit channels: m is Stage1\'s channel count', () => {
    const wrn = residualNetwork({ name: 'W', channels: [32, 64, 128, 256], stemChannels: 16, depths: [2, 2, 2, 2], criticality: R18_ORDER });
    const [first] = run(wrn, 'equalize width').family;
    expect(first.name).toBe('HRN-5x5x3x');
    expect(first.stages.map((s) => s.channels)).toEqual([32, 160, 800, 2400]);
    expect(first.stem.channels).toBe(16);
  });

  it('diagnostics: unsatisfiable order names the failing inequality; bad arguments point at themselves', () => {
    const [d] = diagnosticsOf(() => run(resnet18(16), 'equalize width max=4'));
    expect(d.message).toContain('#ReLUs(S3) > #ReLUs(S2): 2αβ/16 > 2α/4');
    const [u] = diagnosticsOf(() => run(resnet18(16), 'equalize width gamma<4'));
    expect(u.message).toContain("unknown argument 'gamma<4'");
    expect(u.span.col).toBe('equalize width '.length + 1);
    const [p] = diagnosticsOf(() => run(resnet18(16), 'equalize width pick=4x4x4x'));
    expect(p.message).toContain('not in the family');
    const [f] = diagnosticsOf(() => run(resnet18(16), 'equalize width last<2'));
    expect(f.message).toContain("'last<2' leaves no member");
    const noOrder = net([2, 2, 2], { criticality: [] });
    const [o] = diagnosticsOf(() => run(noOrder, 'equalize width'));
    expect(o.message).toContain('must rank every stage');
  });

  it('a five-stage network with its own order', () => {
    const five = residualNetwork({ name: 'R5', m: 8, factors: [2, 2, 2, 2], depths: [1, 2, 3, 2, 1], criticality: ['S4', 'S3', 'S2', 'S5', 'S1'] });
    const { family } = run(five, 'equalize width max=12');
    expect(family.length).toBeGreaterThan(0);
    for (const n of family) expect(checkCriticality(n, lowerToGraph(n)).follows).toBe(true);
  });
});

describe('equalize depth (Appendix D)', () => {
  it('ResNet18 widths 2x2x2x: the minimal depths are [1, 3, 7, 9]', () => {
    const p = problemOf(resnet18(16));
    const r = solveDepth(p);
    expect(r.solutions).toEqual([[1, 3, 7, 9]]);
    // The paper's listed [1,5,5,3] does not order the ReLUs under the same counting: Stage2 > Stage3.
    const paper = net([2, 2, 2], { depths: [1, 5, 5, 3] });
    const [, s2, s3] = stageRelus(paper);
    expect(s2).toBe(5 * 2 * 32 * 16 * 16);
    expect(s3).toBe(5 * 2 * 64 * 8 * 8);
    expect(s2).toBeGreaterThan(s3);
  });

  it('the pass sets depths and names members HRN[phi...]; ReLUs follow the order', () => {
    const [d] = run(resnet18(16), 'equalize depth').family;
    expect(d.name).toBe('ResNet18[1,3,7,9]');
    expect(d.stages.map((s) => s.depth)).toEqual([1, 3, 7, 9]);
    expect(checkCriticality(d, lowerToGraph(d)).follows).toBe(true);
    const [e] = diagnosticsOf(() => run(resnet18(16), 'equalize depth max=5'));
    // S4 > S1 needs phi_4 > 8 phi_1: out of reach with depths up to 5.
    expect(e.message).toContain('no depths in 1..5 satisfy #ReLUs(S4) > #ReLUs(S1): φ4/8 > φ1, given S3 > S2, S2 > S4');
  });
});
