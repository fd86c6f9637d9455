// The width search of `hrn design`: for one family member and one pipeline, the base widths m at
// which each network the pipeline makes lands near the ReLU budget.
//
// A network's ReLUs are a sum of C*H*W over its ReLU layers, and every C is proportional to m
// (ReLU-reuse keeps C/N of them), so along the width axis ReLUs are an affine function of m (the
// constant part: layers whose width m does not set, such as VGG's hidden fc layers). Two exact
// counts fix the line; the m window it gives is then counted exactly, so the model only decides
// where to look. m moves through the `scale` pass (channels times m/m0), which keeps every
// divisibility the member had when m is doubled: the second count is taken at 2*m0.

import { DiagnosticError } from '../diagnostics.js';
import { lowerNetwork, runPipelineText } from '../driver.js';
import { UserError } from '../errors.js';
import type { ArchIR } from '../ir/arch.js';
import { countGraph } from '../ir/count.js';
import type { LayerGraph } from '../ir/graph.js';
import { LIMITS } from '../ir/limits.js';
import type { HrnFile } from '../parser/index.js';

const ORIGIN = '<design>';
/** Widths all listed when the window is this small or smaller; a larger one gets its ends and the width nearest the budget. */
const SCAN_ALL = 8;
/** How far from a window's end or middle the search looks for a width the pipeline accepts. */
const NEAR = 16;

/** A network the search found, with the pipeline text that makes it from the declared network. */
export interface FoundNetwork {
  arch: ArchIR;
  graph: LayerGraph;
  relus: number;
  /** Every step from the declared network, as the network's history records it ('' for none). */
  steps: string;
}

export interface SearchTarget {
  relus: number;
  /** Fraction either side of `relus`: 0.1 for 10%. */
  tolerance: number;
}

export interface WidthSearch {
  declared: ArchIR;
  file: Pick<HrnFile, 'pipelines'>;
  sources: Map<string, string>;
  /** The step that makes the member from the declared network ('' for the declared network itself). */
  memberStep: string;
  member: ArchIR;
  pipeline: string | null;
}

/** The base width a network reports: its width basis, else its stem. */
export function baseWidth(arch: ArchIR): number {
  return arch.widths?.m ?? arch.stem.channels;
}

function joinSteps(steps: readonly string[]): string {
  return steps.filter((s) => s !== '').join('; ');
}

/** The networks a search makes at each width, named; undefined where the pipeline does not apply. */
class WidthEvaluator {
  private readonly cache = new Map<number, Map<string, FoundNetwork> | undefined>();
  readonly m0: number;

  constructor(private readonly s: WidthSearch) {
    this.m0 = baseWidth(s.member);
  }

  at(m: number): Map<string, FoundNetwork> | undefined {
    if (!this.cache.has(m)) this.cache.set(m, this.build(m));
    return this.cache.get(m);
  }

  private build(m: number): Map<string, FoundNetwork> | undefined {
    const scale = m === this.m0 ? '' : `scale ${m}/${this.m0}`;
    const text = joinSteps([this.s.memberStep, scale, this.s.pipeline ?? '']);
    let family: ArchIR[];
    try {
      family = text === '' ? [this.s.declared] : runPipelineText(this.s.declared, text, ORIGIN, this.s.file, this.s.sources).family;
    } catch (e) {
      // A width the pipeline cannot take (channels it cannot split, a limit passed) has no candidate.
      if (e instanceof DiagnosticError || e instanceof UserError) return undefined;
      throw e;
    }
    const out = new Map<string, FoundNetwork>();
    for (const arch of family) {
      const graph = lowerNetwork(arch);
      // Keyed by name: a pipeline's members keep their names at every width.
      if (!out.has(arch.name)) out.set(arch.name, { arch, graph, relus: countGraph(graph).total.relus, steps: joinSteps(arch.history) });
    }
    return out;
  }
}

/** The widths to count exactly for one network of the pipeline, whose ReLUs are `a + b*m`. */
function widthsToTry(ev: WidthEvaluator, name: string, a: number, b: number, t: SearchTarget, maxM: number): number[] {
  const low = t.relus * (1 - t.tolerance);
  const high = t.relus * (1 + t.tolerance);
  // One width either side of the window, in case rounding put an end just outside it.
  const lo = Math.max(1, Math.ceil((low - a) / b) - 1);
  const hi = Math.min(maxM, Math.floor((high - a) / b) + 1);
  if (hi < lo) return [];
  if (hi - lo + 1 <= SCAN_ALL) return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  const valid = (m: number) => m >= lo && m <= hi && ev.at(m)?.has(name) === true;
  const firstValid = (from: number, step: number, tries: number) => {
    for (let i = 0, m = from; i < tries; i++, m += step) if (valid(m)) return m;
    return undefined;
  };
  // The window's two ends and the width nearest the budget: the range and its middle, not every step.
  const mid = (t.relus - a) / b;
  const near = [firstValid(Math.ceil(mid), 1, NEAR / 2), firstValid(Math.ceil(mid) - 1, -1, NEAR / 2)].filter((m): m is number => m !== undefined);
  const nearest = near.sort((x, y) => Math.abs(x - mid) - Math.abs(y - mid))[0];
  const picks = [firstValid(lo, 1, NEAR), nearest, firstValid(hi, -1, NEAR)];
  return [...new Set(picks.filter((m): m is number => m !== undefined))].sort((x, y) => x - y);
}

/** The largest width whose channels stay within the language's limit. */
function widthLimit(member: ArchIR, m0: number): number {
  const widest = Math.max(member.stem.channels, ...member.stages.map((s) => s.channels * (member.block === 'bottleneck' ? 4 : 1)));
  return Math.max(1, Math.floor((m0 * LIMITS.channels) / widest));
}

export interface SearchOutcome {
  found: FoundNetwork[];
  /** Why nothing could be tried: the pipeline does not apply to the member at its own width. */
  problem?: string;
}

/** Every network of the pipeline on the member whose exact ReLU count lands in the budget's window. */
export function searchWidths(s: WidthSearch, t: SearchTarget): SearchOutcome {
  const ev = new WidthEvaluator(s);
  const base = ev.at(ev.m0);
  if (base === undefined) return { found: [], problem: problemAt(s, ev.m0) };
  const twice = ev.at(2 * ev.m0);
  const maxM = widthLimit(s.member, ev.m0);
  const inWindow = (r: number) => Math.abs(r - t.relus) <= t.tolerance * t.relus;
  const found: FoundNetwork[] = [];
  for (const [name, n0] of base) {
    const n1 = twice?.get(name);
    // Without a second count, the line through the origin (every ReLU layer scales with m).
    const b = n1 === undefined ? n0.relus / ev.m0 : (n1.relus - n0.relus) / ev.m0;
    const a = n0.relus - b * ev.m0;
    if (b <= 0) {
      // ReLUs that do not grow with width: the member's own width stands for all of them.
      if (inWindow(n0.relus)) found.push(n0);
      continue;
    }
    for (const m of widthsToTry(ev, name, a, b, t, maxM)) {
      const n = ev.at(m)?.get(name);
      if (n !== undefined && inWindow(n.relus)) found.push(n);
    }
  }
  return { found };
}

/** The first line of the reason a pipeline fails at the member's own width. */
function problemAt(s: WidthSearch, m: number): string {
  const text = joinSteps([s.memberStep, s.pipeline ?? '']);
  try {
    runPipelineText(s.declared, text, ORIGIN, s.file, s.sources);
  } catch (e) {
    if (e instanceof DiagnosticError) return e.diagnostics.find((d) => d.severity === 'error')?.message ?? e.message;
    if (e instanceof UserError) return e.message;
    throw e;
  }
  return `the pipeline makes no network at m=${m}`;
}
