// Whether a network's ReLUs are spread the way its criticality order asks: the more critical a
// stage, the more ReLUs it holds. Compared with the stem left out (docs/architecture.md, "Counting"), because
// equalization is defined on the stages' blocks alone.

import type { ArchIR } from './arch.js';
import type { LayerGraph } from './graph.js';

/** ReLUs of each stage's blocks, the stem's excluded, keyed by stage name. */
export function blockRelusByStage(g: LayerGraph): Map<string, number> {
  const out = new Map<string, number>(g.stages.map((s) => [s, 0]));
  for (const n of g.nodes) {
    if (n.op !== 'relu' || !out.has(n.region)) continue;
    out.set(n.region, (out.get(n.region) ?? 0) + (n.end - n.start) * n.shape.h * n.shape.w);
  }
  return out;
}

export interface CriticalityCheck {
  follows: boolean;
  /** The first pair, in criticality order, whose counts are not strictly decreasing. */
  violation?: { more: string; less: string };
}

export function checkCriticality(arch: Pick<ArchIR, 'criticality'>, g: LayerGraph): CriticalityCheck {
  const counts = blockRelusByStage(g);
  for (let i = 0; i + 1 < arch.criticality.length; i++) {
    const more = arch.criticality[i];
    const less = arch.criticality[i + 1];
    if (!((counts.get(more) ?? 0) > (counts.get(less) ?? 0))) return { follows: false, violation: { more, less } };
  }
  return { follows: true };
}
