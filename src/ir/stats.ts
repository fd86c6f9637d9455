// One summary of a network for `hrn stats`, `--debug` and the JSON outputs: per-stage ReLUs,
// FLOPs and parameters, the ReLU distribution, the criticality check and the PI cost.

import type { ArchIR } from './arch.js';
import { checkCriticality, type CriticalityCheck } from './criticality.js';
import { countGraph, reluShares, type GraphCounts, type KeptRelus } from './count.js';
import { piCost, type PiCost } from './cost.js';
import type { LayerGraph } from './graph.js';
import type { HeConstants } from './he-constants.js';
import { layerTable, type LayerRow } from './layers.js';
import { lowerToGraph } from './lower.js';

/** What `flops` counts, in words (reports print it next to the numbers). */
export const FLOPS_CONVENTION =
  'multiply-accumulates of all convolutions (incl. 1x1 shortcuts) and the fully connected layer';

/** What `hrn stats` prints for one network; stages are keyed by name (`stem`, `S1`, ..., `head`). */
export interface NetworkStats {
  network: string;
  /** `CxHxW`, e.g. `1x32x32`. */
  input: string;
  classes: number;
  /** The passes applied so far, in order. */
  history: string[];
  /**
   * ReLUs per image; `share` is each stage's fraction of the total. Under SNL (`snl`) before
   * training, the stages hold the candidate ReLUs and the total is what the budget keeps.
   */
  relus: { total: number; stages: Record<string, number>; share: Record<string, number>; snl?: SnlCount };
  /** Per image, counted as `convention` says (FLOPS_CONVENTION). */
  flops: { total: number; stages: Record<string, number>; convention: string };
  /** Trainable parameters (batch-norm running statistics excluded). */
  params: { total: number; stages: Record<string, number> };
  /** The declared criticality order and whether the ReLU distribution follows it. */
  criticality: { order: string[] } & CriticalityCheck;
  /** The network's cost under private-inference protocols (docs/pi-cost.md). */
  piCost: PiCost;
  /** One row per layer (`hrn stats --layers`); absent unless asked for. */
  layers?: LayerRow[];
}

/**
 * How an SNL network was counted. `exact`: from trained masks (stages and total are the ReLUs kept);
 * otherwise the masks are still to be learned and the total is the budget, at most.
 */
export interface SnlCount {
  budget: number;
  granularity: 'pixel' | 'channel';
  /** ReLUs of the stem and stages a mask can keep. */
  candidates: number;
  exact: boolean;
}

function byStage(counts: GraphCounts, key: 'relus' | 'flops' | 'params', withHead: boolean): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of counts.rows) if (withHead || r.stage !== 'head') out[r.stage] = r[key];
  return out;
}

/**
 * Counts a network: ReLUs, FLOPs and parameters per stage, the ReLU shares, the criticality check
 * and the private-inference cost. `graph` is the network's layer graph when the caller has it
 * already (lowered otherwise); `layers` adds the per-layer table of `hrn stats --layers`; `he`
 * prices the linear layers with other constants than the fitted ones (`hrn stats --he-measured`).
 */
export function networkStats(arch: ArchIR, graph: LayerGraph = lowerToGraph(arch), options: { layers?: boolean; he?: HeConstants; kept?: KeptRelus } = {}): NetworkStats {
  const counts = countGraph(graph, options.kept);
  const snl = arch.snl === undefined ? undefined : snlCount(arch.snl, graph, options.kept !== undefined);
  // Before training only the budget is known: the total is what the masks will keep, at most.
  const total = snl === undefined || snl.exact ? counts.total.relus : counts.total.relus - snl.candidates + Math.min(snl.budget, snl.candidates);
  const stats: NetworkStats = {
    network: arch.name,
    input: `${arch.input.c}x${arch.input.h}x${arch.input.w}`,
    classes: arch.classes,
    history: [...arch.history],
    relus: {
      total,
      stages: byStage(counts, 'relus', false),
      share: Object.fromEntries(reluShares(counts)),
      ...(snl === undefined ? {} : { snl }),
    },
    flops: { total: counts.total.flops, stages: byStage(counts, 'flops', true), convention: FLOPS_CONVENTION },
    params: { total: counts.total.params, stages: byStage(counts, 'params', true) },
    criticality: { order: [...arch.criticality], ...checkCriticality(arch, graph) },
    piCost: piCost(total, graph, options.he),
  };
  if (options.layers === true) stats.layers = layerTable(graph, options.kept);
  return stats;
}

function snlCount(plan: NonNullable<ArchIR['snl']>, graph: LayerGraph, exact: boolean): SnlCount {
  let candidates = 0;
  for (const n of graph.nodes) if (n.op === 'relu' && n.mask !== undefined) candidates += (n.end - n.start) * n.shape.h * n.shape.w;
  return { budget: plan.budget, granularity: plan.granularity, candidates, exact };
}
