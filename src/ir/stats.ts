// One summary of a network for `hrn stats`, `--debug` and the JSON outputs: per-stage ReLUs,
// FLOPs and parameters, the ReLU distribution, the criticality check and the PI cost.

import type { ArchIR } from './arch.js';
import { checkCriticality, type CriticalityCheck } from './criticality.js';
import { countGraph, reluShares, type GraphCounts } from './count.js';
import { piCost, type PiCost } from './cost.js';
import type { LayerGraph } from './graph.js';
import { layerTable, type LayerRow } from './layers.js';
import { lowerToGraph } from './lower.js';

export const FLOPS_CONVENTION =
  'multiply-accumulates of all convolutions (incl. 1x1 shortcuts) and the fully connected layer';

export interface NetworkStats {
  network: string;
  input: string;
  classes: number;
  history: string[];
  relus: { total: number; stages: Record<string, number>; share: Record<string, number> };
  flops: { total: number; stages: Record<string, number>; convention: string };
  params: { total: number; stages: Record<string, number> };
  criticality: { order: string[] } & CriticalityCheck;
  piCost: PiCost;
  /** One row per layer (`hrn stats --layers`); absent unless asked for. */
  layers?: LayerRow[];
}

function byStage(counts: GraphCounts, key: 'relus' | 'flops' | 'params', withHead: boolean): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of counts.rows) if (withHead || r.stage !== 'head') out[r.stage] = r[key];
  return out;
}

export function networkStats(arch: ArchIR, graph: LayerGraph = lowerToGraph(arch), options: { layers?: boolean } = {}): NetworkStats {
  const counts = countGraph(graph);
  const stats: NetworkStats = {
    network: arch.name,
    input: `${arch.input.c}x${arch.input.h}x${arch.input.w}`,
    classes: arch.classes,
    history: [...arch.history],
    relus: {
      total: counts.total.relus,
      stages: byStage(counts, 'relus', false),
      share: Object.fromEntries(reluShares(counts)),
    },
    flops: { total: counts.total.flops, stages: byStage(counts, 'flops', true), convention: FLOPS_CONVENTION },
    params: { total: counts.total.params, stages: byStage(counts, 'params', true) },
    criticality: { order: [...arch.criticality], ...checkCriticality(arch, graph) },
    piCost: piCost(counts.total.relus, graph),
  };
  if (options.layers === true) stats.layers = layerTable(graph);
  return stats;
}
