// Graph pass `allocate`: physical buffers for the input, the logits and the activations. Roots
// that are never live at the same time share a buffer (best fit: the smallest free buffer that
// holds the root, else the largest free one, grown).

import type { StagePass } from '../../passes/stages.js';
import type { LayerGraph } from '../../ir/graph.js';
import type { PlanBuffer } from '../plan-types.js';
import { need, type Allocation, type GraphState, type Liveness, type Root } from './state.js';

/** Buffers for the roots of a graph with known live ranges. */
export function allocateBuffers(graph: LayerGraph, liveness: Liveness, outputValue: number, reuse: boolean): Allocation {
  const buffers: PlanBuffer[] = [];
  const bufferOf = new Map<number, number>();
  const addBuffer = (b: Omit<PlanBuffer, 'id'>): number => {
    buffers.push({ id: buffers.length, ...b });
    return buffers.length - 1;
  };
  const input = graph.nodes.find((n) => n.op === 'input')!;
  const inputRoot = liveness.roots.get(input.id)!;
  bufferOf.set(inputRoot.id, addBuffer({ name: 'input', kind: 'input', bytes: inputRoot.bytes, values: [input.name] }));
  const outputRoot = liveness.roots.get(outputValue)!;
  if (outputRoot === inputRoot) throw new Error(`compilePlan: graph ${graph.name}: the output is the input`);
  bufferOf.set(outputRoot.id, addBuffer({ name: 'logits', kind: 'output', bytes: outputRoot.bytes, values: [outputRoot.node.name] }));

  const pool: number[] = [];
  const activation = [...liveness.roots.values()].filter((r) => r.kind === 'activation');
  const noReuseBytes = activation.reduce((s, r) => s + r.bytes, 0);
  const byFirstWrite = [...activation].sort((a, b) => a.firstWrite - b.firstWrite || a.id - b.id);
  // A root is free after its last read (or right after its write if it is never read).
  const endOf = (r: Root) => Math.max(r.lastRead, r.firstWrite);
  const busyUntil = new Map<number, number>();
  for (const r of byFirstWrite) {
    let chosen: number | undefined;
    if (reuse) {
      const free = pool.filter((b) => (busyUntil.get(b) ?? -1) < r.firstWrite);
      const fits = free.filter((b) => buffers[b].bytes >= r.bytes).sort((a, b) => buffers[a].bytes - buffers[b].bytes);
      if (fits.length > 0) chosen = fits[0];
      else if (free.length > 0) {
        chosen = free.sort((a, b) => buffers[b].bytes - buffers[a].bytes)[0];
        buffers[chosen].bytes = r.bytes;
      }
    }
    if (chosen === undefined) {
      chosen = addBuffer({ name: `act${pool.length}`, kind: 'activation', bytes: r.bytes, values: [] });
      pool.push(chosen);
    }
    bufferOf.set(r.id, chosen);
    buffers[chosen].values!.push(r.node.name);
    busyUntil.set(chosen, endOf(r));
  }
  return { buffers, bufferOf, noReuseBytes };
}

export const allocatePass: StagePass<GraphState> = {
  name: 'allocate',
  summary: 'assign buffers; roots never live together share one',
  run(state) {
    const placement = need(state, 'placement', 'allocate');
    const allocation = allocateBuffers(need(state, 'graph', 'allocate'), need(state, 'liveness', 'allocate'), placement.outputValue, state.options.reuse);
    return { ...state, allocation };
  },
};
