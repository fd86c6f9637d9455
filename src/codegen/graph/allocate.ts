// Graph pass `allocate`: physical buffers for the input, the logits and the activations. Roots
// that are never live at the same time share a buffer (best fit, src/codegen/live-pack.ts, which
// the training step's allocation uses too).

import type { GraphPass } from '../../passes/framework.js';
import type { LayerGraph } from '../../ir/graph.js';
import type { PlanBuffer } from '../plan-types.js';
import { packLiveRanges } from '../live-pack.js';
import { need, type Allocation, type GraphState, type Liveness } from './state.js';

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

  const activation = [...liveness.roots.values()].filter((r) => r.kind === 'activation').sort((a, b) => a.id - b.id);
  const noReuseBytes = activation.reduce((s, r) => s + r.bytes, 0);
  // A root is free after its last read (or right after its write if it is never read).
  const packing = packLiveRanges(activation.map((r) => ({ start: r.firstWrite, end: Math.max(r.lastRead, r.firstWrite), bytes: r.bytes })), reuse);
  const pool = packing.bytes.map((bytes, i) => addBuffer({ name: `act${i}`, kind: 'activation', bytes, values: [] }));
  const byFirstWrite = activation.map((r, i) => ({ r, i })).sort((a, b) => a.r.firstWrite - b.r.firstWrite || a.r.id - b.r.id);
  for (const { r, i } of byFirstWrite) {
    const buffer = pool[packing.bufferOf[i]];
    bufferOf.set(r.id, buffer);
    buffers[buffer].values!.push(r.node.name);
  }
  return { buffers, bufferOf, noReuseBytes };
}

export const allocatePass: GraphPass<GraphState> = {
  name: 'allocate',
  summary: 'assign buffers; roots never live together share one',
  run(state) {
    const placement = need(state, 'placement', 'allocate');
    const allocation = allocateBuffers(need(state, 'graph', 'allocate'), need(state, 'liveness', 'allocate'), placement.outputValue, state.options.reuse);
    return { ...state, allocation };
  },
};
