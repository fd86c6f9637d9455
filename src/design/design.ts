// `hrn design`: the networks near a ReLU budget, without training. The candidates are the declared
// network and its HybReNet family (equalize width), each at the base widths m that bring it within
// the tolerance of the budget (search.ts), through each pipeline; each comes with its FLOPs,
// parameters and private-inference latency (the cost model `hrn stats` prints), and those on the
// latency Pareto front (ReLUs against total latency) are marked.

import { DiagnosticError } from '../diagnostics.js';
import { runPipelineText } from '../driver.js';
import { factorTag, type ArchIR } from '../ir/arch.js';
import { networkStats } from '../ir/stats.js';
import type { HrnFile } from '../parser/index.js';
import { canonicalJson } from '../util/canonical-json.js';
import type { DesignPipeline } from './pipelines.js';
import { baseWidth, searchWidths, type FoundNetwork } from './search.js';

export interface DesignOptions {
  relus: number;
  /** Fraction either side of `relus` (0.1: within 10%). */
  tolerance: number;
  pipelines: readonly DesignPipeline[];
  /** Candidates above this total latency (seconds) are dropped. */
  maxLatencySeconds?: number;
}

export interface DesignCandidate {
  /** The network as the pipeline names it (a deepreshape variant carries its suffix). */
  network: string;
  /** The family member it was made from: the declared network or an equalized one. */
  member: string;
  /** Its base width. */
  m: number;
  /** The pipeline, as the table shows it. */
  pipeline: string;
  /** Every step from the declared network, to rebuild it (`--pipeline`, a sweep); '' for none. */
  steps: string;
  relus: number;
  flops: number;
  params: number;
  gcLatencySeconds: number;
  heLatencySeconds: number;
  totalLatencySeconds: number;
  /** No other candidate has as few or fewer ReLUs at as low or lower total latency (one of them strictly). */
  pareto: boolean;
}

/** A member and pipeline that gave no candidate because the pipeline does not apply to the member. */
export interface DesignSkip {
  member: string;
  pipeline: string;
  reason: string;
}

export interface DesignResult {
  network: string;
  relus: number;
  tolerance: number;
  maxLatencySeconds?: number;
  members: string[];
  /** Why the network has no HybReNet family (equalize width does not apply); absent when it has one. */
  familyProblem?: string;
  pipelines: string[];
  candidates: DesignCandidate[];
  skipped: DesignSkip[];
}

interface Member {
  arch: ArchIR;
  step: string;
}

/** The declared network and its HybReNet family, each with the step that makes it. */
function familyOf(net: ArchIR, file: Pick<HrnFile, 'pipelines'>, sources: Map<string, string>): { members: Member[]; problem?: string } {
  const members: Member[] = [{ arch: net, step: '' }];
  try {
    const { family } = runPipelineText(net, 'equalize width', '<design>', file, sources);
    for (const arch of family) members.push({ arch, step: `equalize width pick=${factorTag(arch.widths?.factors ?? [])}` });
    return { members };
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    return { members, problem: e.diagnostics.find((d) => d.severity === 'error')?.message ?? e.message };
  }
}

/** The network without what says how it was made: two candidates equal in this are one. */
function identity(arch: ArchIR): string {
  return canonicalJson({ ...arch, name: '', history: [] });
}

/** Marks the candidates that no other beats in both ReLUs and total latency. */
export function markParetoFront(cs: DesignCandidate[]): void {
  for (const c of cs) {
    c.pareto = !cs.some(
      (o) => o !== c && o.relus <= c.relus && o.totalLatencySeconds <= c.totalLatencySeconds && (o.relus < c.relus || o.totalLatencySeconds < c.totalLatencySeconds),
    );
  }
}

function candidateOf(n: FoundNetwork, member: ArchIR, pipeline: DesignPipeline): DesignCandidate {
  const s = networkStats(n.arch, n.graph);
  return {
    network: n.arch.name,
    member: member.name,
    m: baseWidth(n.arch),
    pipeline: pipeline.label,
    steps: n.steps,
    relus: s.relus.total,
    flops: s.flops.total,
    params: s.params.total,
    gcLatencySeconds: s.piCost.gcLatencySeconds,
    heLatencySeconds: s.piCost.heLatencySeconds,
    totalLatencySeconds: s.piCost.totalLatencySeconds,
    pareto: false,
  };
}

/** The candidates of one declared network, fewest ReLUs first. */
export function designNetwork(net: ArchIR, file: Pick<HrnFile, 'pipelines'>, sources: Map<string, string>, o: DesignOptions): DesignResult {
  const { members, problem } = familyOf(net, file, sources);
  const seen = new Set<string>();
  const candidates: DesignCandidate[] = [];
  const skipped: DesignSkip[] = [];
  for (const member of members) {
    for (const pipeline of o.pipelines) {
      const r = searchWidths({ declared: net, file, sources, memberStep: member.step, member: member.arch, pipeline: pipeline.text }, { relus: o.relus, tolerance: o.tolerance });
      if (r.problem !== undefined) skipped.push({ member: member.arch.name, pipeline: pipeline.label, reason: r.problem });
      for (const n of r.found) {
        const key = identity(n.arch);
        if (seen.has(key)) continue;
        seen.add(key);
        const c = candidateOf(n, member.arch, pipeline);
        if (o.maxLatencySeconds === undefined || c.totalLatencySeconds <= o.maxLatencySeconds) candidates.push(c);
      }
    }
  }
  candidates.sort((a, b) => a.relus - b.relus || a.totalLatencySeconds - b.totalLatencySeconds || a.network.localeCompare(b.network) || a.m - b.m);
  markParetoFront(candidates);
  return {
    network: net.name,
    relus: o.relus,
    tolerance: o.tolerance,
    ...(o.maxLatencySeconds === undefined ? {} : { maxLatencySeconds: o.maxLatencySeconds }),
    members: members.map((m) => m.arch.name),
    ...(problem === undefined ? {} : { familyProblem: problem }),
    pipelines: o.pipelines.map((p) => p.label),
    candidates,
    skipped,
  };
}
