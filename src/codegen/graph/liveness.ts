// Graph pass `liveness`: for every root value, the first step that writes it and the last that
// reads it (indices into the placement's order), and its size at the plan's batch. A root too big
// for one storage binding is reported here, naming its layer.

import type { GraphPass } from '../../passes/framework.js';
import { checkBinding } from '../device-limits.js';
import type { LayerGraph } from '../../ir/graph.js';
import { need, nodeOf, type Fusion, type GraphState, type Liveness, type Placement, type Root, type Step, type GraphPassOptions } from './state.js';

/** The values a step reads. */
export function stepReads(s: Step): number[] {
  switch (s.kind) {
    case 'conv':
      return s.residual !== undefined ? [s.conv.input, s.residual] : [s.conv.input];
    case 'chain':
      return s.b !== undefined ? [s.a, s.b] : [s.a];
    case 'copy':
      return [s.src];
    default:
      return [s.input];
  }
}

/** The value a step writes. */
export function stepWrites(s: Step): number {
  return s.kind === 'copy' ? s.dst : s.anchor;
}

function layerOf(graph: LayerGraph, fusion: Fusion, r: Root): string {
  const n = r.node;
  const step = fusion.producedBy.get(r.id);
  const names = step ? step.nodes.map((id) => graph.nodes[id].name).join(' + ') : n.name;
  const op = step ? step.nodes.map((id) => graph.nodes[id].op).join('+') : n.op;
  return `layer ${names} (${op}, ${n.shape.c}x${n.shape.h}x${n.shape.w})`;
}

function checkBindingSizes(graph: LayerGraph, fusion: Fusion, roots: Iterable<Root>, options: GraphPassOptions): void {
  for (const r of roots) checkBinding(`${layerOf(graph, fusion, r)}: its output`, r.bytes, options.limits, true);
}

/** Live ranges of the roots of a placed graph. */
export function liveRanges(graph: LayerGraph, fusion: Fusion, placement: Placement, options: GraphPassOptions): Liveness {
  const input = graph.nodes.find((n) => n.op === 'input')!;
  const roots = new Map<number, Root>();
  const rootOf = (id: number): Root => {
    const v = placement.views.get(id)!;
    let r = roots.get(v.root);
    if (!r) {
      const n = nodeOf(graph, placement, v.root);
      const plane = n.shape.h * n.shape.w;
      const bytes = options.batch * n.shape.c * plane * 4;
      const kind = v.root === input.id ? 'input' : v.root === placement.outputValue ? 'output' : 'activation';
      r = { id: v.root, node: n, c: n.shape.c, plane, bytes, kind, firstWrite: Infinity, lastRead: -1 };
      roots.set(v.root, r);
    }
    return r;
  };
  placement.order.forEach((s, i) => {
    for (const id of stepReads(s)) {
      const root = rootOf(id);
      root.lastRead = Math.max(root.lastRead, i);
    }
    const w = rootOf(stepWrites(s));
    w.firstWrite = Math.min(w.firstWrite, i);
  });
  rootOf(input.id);
  rootOf(placement.outputValue);
  // Every materialized value's root, so later passes find one for each tensor.
  for (const n of graph.nodes) if (n.op === 'slice' || n.op === 'concat' || fusion.producedBy.has(n.id)) rootOf(n.id);
  checkBindingSizes(graph, fusion, roots.values(), options);
  return { roots };
}

export const livenessPass: GraphPass<GraphState> = {
  name: 'liveness',
  summary: 'find when each root value is first written and last read',
  run(state) {
    const liveness = liveRanges(need(state, 'graph', 'liveness'), need(state, 'fusion', 'liveness'), need(state, 'placement', 'liveness'), state.options);
    return { ...state, liveness };
  },
};
