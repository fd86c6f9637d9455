// ReLU equalization (paper §4.1, Algorithm 1; Appendix D for depth) as a small integer search.
//
// The paper's relative ReLU count of stage k, stem excluded, is
//
//     r_k = phi_k * (f_1 * ... * f_(k-1)) / A_k
//
// with phi_k the stage depth, f_j the stagewise channel factors (alpha, beta, gamma, ...) and A_k the
// stage's spatial shrink relative to Stage1 (4^(k-1) when every later stage halves height and width;
// here computed from the stage strides, so other layouts work too). The block's own ReLU layout is
// the same in every stage and cancels. Algorithm 1 walks the criticality order C[1] > C[2] > ... and
// ends with the strict compound inequality r_C[1] > r_C[2] > ... > r_C[D]; we solve it exactly in
// integers by enumerating a bounded box and keeping the Pareto-minimal solutions (no other solution
// is <= in every coordinate). Comparisons cross-multiply, so there is no rounding.

import type { ArchIR } from '../ir/arch.js';
import { canonicalJson } from '../util/canonical-json.js';

/** What equalization needs to know about a network. */
export interface EqualizeProblem {
  /** Stage names in order (S1..SD). */
  stages: string[];
  /** Blocks per stage (phi_k). */
  depths: number[];
  /** Relative spatial shrink A_k (A_1 = 1). */
  area: number[];
  /** Channels per stage; only used when solving for depths. */
  channels: number[];
  /** Stage names, most critical first. */
  order: string[];
}

/** One link of the compound inequality: #ReLUs(more) > #ReLUs(less). */
export interface Inequality {
  more: string;
  less: string;
  /** The paper's form, e.g. `#ReLUs(S3) > #ReLUs(S2): 2αβ/16 > 2α/4`. */
  text: string;
}

export interface SolveResult {
  /** Pareto-minimal integer solutions, sorted lexicographically. */
  solutions: number[][];
  /** The compound inequality, most critical link first. */
  chain: Inequality[];
  /**
   * When there is no solution: the first link (in Algorithm 1's order) that the box cannot satisfy
   * together with the links before it.
   */
  failing?: { index: number; inequality: Inequality };
  /** How many points of the box satisfy the inequality (before the Pareto cut). */
  feasibleCount: number;
}

export interface SearchBox {
  min: number;
  max: number;
}

/** Default box for stagewise factors: the paper's alpha, beta, gamma >= 2 (§4.1), at most 16. */
export const WIDTH_BOX: Readonly<SearchBox> = Object.freeze({ min: 2, max: 16 });
/** Default box for stage depths: at least one block, at most 16. */
export const DEPTH_BOX: Readonly<SearchBox> = Object.freeze({ min: 1, max: 16 });
/** The most box points the solver will visit (a diagnostic asks for a smaller box beyond). */
export const MAX_BOX_POINTS = 20_000_000;

/** Names of the stagewise factors: alpha, beta, gamma, ... as in the paper. */
export function factorSymbols(count: number): string[] {
  const greek = ['α', 'β', 'γ', 'δ', 'ε', 'ζ', 'η', 'θ', 'ι', 'κ'];
  return Array.from({ length: count }, (_, i) => (count <= greek.length ? greek[i] : `λ${i + 1}`));
}

/** Relative spatial shrink of every stage from the strides: A_k = prod_{j=2..k} stride_j^2. */
export function stageAreas(net: Pick<ArchIR, 'stages'>): number[] {
  const out: number[] = [];
  let a = 1;
  net.stages.forEach((s, i) => {
    if (i > 0) a *= s.stride * s.stride;
    out.push(a);
  });
  return out;
}

export function problemOf(net: ArchIR): EqualizeProblem {
  return {
    stages: net.stages.map((s) => s.name),
    depths: net.stages.map((s) => s.depth),
    area: stageAreas(net),
    channels: net.stages.map((s) => s.channels),
    order: [...net.criticality],
  };
}

/**
 * Checks that the order names every stage exactly once. Returns a message, or null when fine.
 */
export function orderProblem(p: EqualizeProblem): string | null {
  const missing = p.stages.filter((s) => !p.order.includes(s));
  const unknown = p.order.filter((s) => !p.stages.includes(s));
  const dup = p.order.filter((s, i) => p.order.indexOf(s) !== i);
  if (unknown.length > 0) return `the criticality order names unknown stage(s) ${unknown.join(', ')}`;
  if (dup.length > 0) return `the criticality order names ${dup.join(', ')} twice`;
  if (missing.length > 0) return `the criticality order leaves out ${missing.join(', ')}; it must rank every stage`;
  return null;
}

// ---------------------------------------------------------------------------------------------
// The generic core: integer vectors in a box satisfying a strict chain of monomial comparisons.

/** A monomial coeff * prod(x[vars]) / den, with x the unknowns. */
interface Monomial {
  coeff: number;
  vars: number[];
  den: number;
}

function evalMono(m: Monomial, x: readonly number[]): number {
  let v = m.coeff;
  for (const i of m.vars) v *= x[i];
  return v;
}

/** a > b, cross-multiplied (exact while the products stay below 2^53; checked by the caller). */
function greater(a: Monomial, b: Monomial, x: readonly number[]): boolean {
  return evalMono(a, x) * b.den > evalMono(b, x) * a.den;
}

function boxPoints(dim: number, box: SearchBox): number {
  return Math.pow(box.max - box.min + 1, dim);
}

/** Visits every point of the box in lexicographic order; stops when `visit` returns true. */
function forEachPoint(dim: number, box: SearchBox, visit: (x: number[]) => boolean | void): void {
  if (dim === 0) {
    visit([]);
    return;
  }
  const x = new Array<number>(dim).fill(box.min);
  for (;;) {
    if (visit(x) === true) return;
    let i = dim - 1;
    while (i >= 0 && x[i] === box.max) {
      x[i] = box.min;
      i--;
    }
    if (i < 0) return;
    x[i]++;
  }
}

/** Keeps the points that no other point is <= in every coordinate. */
export function paretoMinimal(points: readonly number[][]): number[][] {
  const sum = (p: readonly number[]) => p.reduce((a, b) => a + b, 0);
  const sorted = [...points].sort((a, b) => sum(a) - sum(b));
  const minimal: number[][] = [];
  for (const p of sorted) {
    const dominated = minimal.some((q) => q.every((v, i) => v <= p[i]));
    if (!dominated) minimal.push(p);
  }
  return minimal.sort(lexCompare);
}

export function lexCompare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function solveChain(
  dim: number,
  box: SearchBox,
  terms: Monomial[],
  order: number[],
  chain: Inequality[],
): SolveResult {
  const links = order.slice(0, -1).map((k, i) => [terms[k], terms[order[i + 1]]] as const);
  const satisfies = (x: readonly number[], upTo: number) => {
    for (let i = 0; i < upTo; i++) if (!greater(links[i][0], links[i][1], x)) return false;
    return true;
  };
  // Points come in lexicographic order, and a point <= x (componentwise) comes before x; so x is
  // Pareto-minimal exactly when no minimal point kept so far is <= x. Memory stays O(#minimal).
  const minimal: number[][] = [];
  let feasibleCount = 0;
  forEachPoint(dim, box, (x) => {
    if (!satisfies(x, links.length)) return;
    feasibleCount++;
    if (!minimal.some((q) => q.every((v, i) => v <= x[i]))) minimal.push([...x]);
  });
  const result: SolveResult = { solutions: minimal, chain, feasibleCount };
  if (feasibleCount === 0) {
    // Algorithm 1 adds one link per iteration; name the first prefix the box cannot meet.
    for (let upTo = 1; upTo <= links.length; upTo++) {
      let found = false;
      forEachPoint(dim, box, (x) => {
        found = satisfies(x, upTo);
        return found;
      });
      if (!found) {
        result.failing = { index: upTo - 1, inequality: chain[upTo - 1] };
        break;
      }
    }
  }
  return result;
}

/** Throws a plain Error with a user-facing message when the box is too big or not exact. */
function checkBox(dim: number, box: SearchBox, maxMagnitude: number): void {
  if (box.min > box.max) throw new Error(`the search box is empty (min ${box.min} > max ${box.max})`);
  const pts = boxPoints(dim, box);
  if (pts > MAX_BOX_POINTS) {
    throw new Error(
      `the search box has ${pts.toExponential(2)} points (${dim} unknowns in ${box.min}..${box.max}); ` +
        `the limit is ${MAX_BOX_POINTS.toExponential(0)}: give a smaller max=`,
    );
  }
  if (maxMagnitude > Number.MAX_SAFE_INTEGER) {
    throw new Error(`the search box is too large to compare ReLU counts exactly: give a smaller max=`);
  }
}

function product(xs: readonly number[]): number {
  return xs.reduce((a, b) => a * b, 1);
}

// ---------------------------------------------------------------------------------------------
// Width: unknowns are the D-1 stagewise factors; depths fixed.

function widthTerms(p: EqualizeProblem): Monomial[] {
  return p.stages.map((_, k) => ({
    coeff: p.depths[k],
    vars: Array.from({ length: k }, (_, j) => j),
    den: p.area[k],
  }));
}

function renderWidthTerm(p: EqualizeProblem, k: number): string {
  const sym = factorSymbols(p.stages.length - 1).slice(0, k).join('');
  const num = `${p.depths[k] === 1 && sym !== '' ? '' : p.depths[k]}${sym}`;
  return p.area[k] === 1 ? num : `${num}/${p.area[k]}`;
}

/** One inequality per consecutive pair of the criticality order, each side written by `term`. */
function orderChain(p: EqualizeProblem, term: (k: number) => string): Inequality[] {
  const idx = p.order.map((s) => p.stages.indexOf(s));
  return idx.slice(0, -1).map((k, i) => {
    const t = idx[i + 1];
    return {
      more: p.stages[k],
      less: p.stages[t],
      text: `#ReLUs(${p.stages[k]}) > #ReLUs(${p.stages[t]}): ${term(k)} > ${term(t)}`,
    };
  });
}

export function widthChain(p: EqualizeProblem): Inequality[] {
  return orderChain(p, (k) => renderWidthTerm(p, k));
}

/**
 * Solutions by problem. A family's members mostly share their equalization problem (thinning,
 * culling, reuse and scaling leave depths, strides and order as they were), and a search takes
 * milliseconds, so a step over hundreds of members solves each distinct problem once.
 */
const solved = new Map<string, SolveResult>();
const SOLVED_KEPT = 512;

function memo(key: unknown, solve: () => SolveResult): SolveResult {
  const k = canonicalJson(key);
  let r = solved.get(k);
  if (r === undefined) {
    r = solve();
    if (solved.size >= SOLVED_KEPT) solved.delete(solved.keys().next().value!);
    solved.set(k, r);
  }
  // Callers get their own solution arrays, so nothing they do reaches the memo.
  return { ...r, solutions: r.solutions.map((x) => [...x]), chain: [...r.chain] };
}

/** Solves for the stagewise factors (Algorithm 1 through width). Throws Error on a bad box/order. */
export function solveWidth(p: EqualizeProblem, box: SearchBox = WIDTH_BOX): SolveResult {
  // Widths do not depend on the current channels (the factors replace them).
  return memo({ kind: 'width', stages: p.stages, depths: p.depths, area: p.area, order: p.order, box }, () => solveWidthNow(p, box));
}

function solveWidthNow(p: EqualizeProblem, box: SearchBox): SolveResult {
  const bad = orderProblem(p);
  if (bad !== null) throw new Error(bad);
  const dim = p.stages.length - 1;
  const maxMag = Math.max(...p.depths) * Math.pow(box.max, dim) * Math.max(...p.area);
  checkBox(dim, box, maxMag);
  const order = p.order.map((s) => p.stages.indexOf(s));
  return solveChain(dim, box, widthTerms(p), order, widthChain(p));
}

// ---------------------------------------------------------------------------------------------
// Depth (Appendix D): unknowns are the D stage depths; channels fixed.

function depthTerms(p: EqualizeProblem): Monomial[] {
  // r_k = phi_k * c_k / A_k; scale by the channels' gcd so the numbers stay small.
  const g = p.channels.reduce(gcd);
  return p.stages.map((_, k) => ({ coeff: p.channels[k] / g, vars: [k], den: p.area[k] }));
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return Math.abs(a);
}

export function depthChain(p: EqualizeProblem): Inequality[] {
  const g = p.channels.reduce(gcd);
  const term = (k: number) => {
    const r = gcd(p.channels[k] / g, p.area[k]);
    const c = p.channels[k] / g / r;
    const den = p.area[k] / r;
    const num = `${c === 1 ? '' : c}φ${k + 1}`;
    return den === 1 ? num : `${num}/${den}`;
  };
  return orderChain(p, term);
}

/** Solves for the stage depths with the widths fixed. Throws Error on a bad box/order. */
export function solveDepth(p: EqualizeProblem, box: SearchBox = DEPTH_BOX): SolveResult {
  return memo({ kind: 'depth', problem: p, box }, () => solveDepthNow(p, box));
}

function solveDepthNow(p: EqualizeProblem, box: SearchBox): SolveResult {
  const bad = orderProblem(p);
  if (bad !== null) throw new Error(bad);
  const dim = p.stages.length;
  const g = p.channels.reduce(gcd);
  const maxMag = box.max * Math.max(...p.channels.map((c) => c / g)) * Math.max(...p.area);
  checkBox(dim, box, maxMag);
  const order = p.order.map((s) => p.stages.indexOf(s));
  return solveChain(dim, box, depthTerms(p), order, depthChain(p));
}

// ---------------------------------------------------------------------------------------------
// Filters the paper applies to its ResNet34 family (§5), offered as options.

export type WidthFilter =
  | { kind: 'last-below'; bound: number }
  | { kind: 'min-first' };

export function applyFilters(solutions: readonly number[][], filters: readonly WidthFilter[]): number[][] {
  let out = [...solutions];
  for (const f of filters) {
    if (f.kind === 'last-below') out = out.filter((s) => s[s.length - 1] < f.bound);
    else {
      const least = Math.min(...out.map((s) => s[0]));
      out = out.filter((s) => s[0] === least);
    }
  }
  return out;
}

/** Relative ReLU counts r_k for a factor vector (for reports and tests). */
export function relativeCounts(p: EqualizeProblem, factors: readonly number[]): number[] {
  return p.stages.map((_, k) => (p.depths[k] * product(factors.slice(0, k))) / p.area[k]);
}
