// Graph pass `place`: where every materialized value lives, and the order the steps run in.
//
// Every materialized value is a view (root value, channel offset) of a root. Slices are free (a
// view of their input). A concatenation is a root that its inputs' producers write into directly
// at their channel offsets; inputs that cannot be placed (the graph input, slices, values already
// placed elsewhere, repeated inputs) are copied by an elementwise kernel. The graph output must be
// a dense buffer of its own: when it is a slice (or the input), it is copied into a synthetic value
// numbered after the graph's nodes.

import type { GraphPass } from '../../passes/framework.js';
import { nodeInputs, type ConcatNode, type LayerGraph } from '../../ir/graph.js';
import { need, nodeOf, type CopyStep, type Fusion, type GraphState, type Placement, type Step } from './state.js';

/** Whether a value has storage: the input, slices, concats and values a step anchors. */
export function isMaterialized(graph: LayerGraph, fusion: Fusion, id: number): boolean {
  const op = graph.nodes[id].op;
  return op === 'input' || op === 'slice' || op === 'concat' || fusion.producedBy.has(id);
}

function checkMaterialized(graph: LayerGraph, fusion: Fusion): void {
  for (const n of graph.nodes) {
    for (const i of nodeInputs(n)) {
      if (!isMaterialized(graph, fusion, i) && !fusion.absorbed.has(n.id)) {
        throw new Error(`compilePlan: ${n.name} reads ${graph.nodes[i].name}, which was fused away (internal error)`);
      }
    }
  }
  if (!isMaterialized(graph, fusion, graph.output)) throw new Error(`compilePlan: output ${graph.nodes[graph.output].name} is not materialized`);
}

function placeConcats(graph: LayerGraph, fusion: Fusion): { placed: Map<number, { parent: number; offset: number }>; copies: CopyStep[] } {
  const placed = new Map<number, { parent: number; offset: number }>();
  const copies: CopyStep[] = [];
  const concats = graph.nodes.filter((n): n is ConcatNode => n.op === 'concat').reverse();
  for (const cat of concats) {
    let offset = 0;
    const seen = new Map<number, number>();
    for (const i of cat.inputs) seen.set(i, (seen.get(i) ?? 0) + 1);
    for (const i of cat.inputs) {
      const src = graph.nodes[i];
      const ownStorage = fusion.producedBy.has(i) || src.op === 'concat';
      const eligible = ownStorage && i !== graph.output && !placed.has(i) && seen.get(i) === 1;
      if (eligible) placed.set(i, { parent: cat.id, offset });
      else copies.push({ kind: 'copy', anchor: cat.id, nodes: [cat.id], src: i, dst: cat.id, offset });
      offset += src.shape.c;
    }
  }
  return { placed, copies };
}

function views(graph: LayerGraph, p: Omit<Placement, 'views' | 'order'>): Map<number, { root: number; chan: number }> {
  const out = new Map<number, { root: number; chan: number }>();
  const view = (id: number): { root: number; chan: number } => {
    const hit = out.get(id);
    if (hit) return hit;
    let v: { root: number; chan: number };
    const n = nodeOf(graph, p, id);
    const parent = p.placed.get(id);
    if (n.op === 'slice') {
      const inner = view(n.input);
      v = { root: inner.root, chan: inner.chan + n.start };
    } else if (parent) {
      const outer = view(parent.parent);
      v = { root: outer.root, chan: outer.chan + parent.offset };
    } else {
      v = { root: id, chan: 0 };
    }
    out.set(id, v);
    return v;
  };
  for (let id = 0; id < graph.nodes.length; id++) view(id);
  if (p.synthetic !== undefined) view(p.synthetic.id);
  return out;
}

/** Decides storage for every value of a fused graph. */
export function placeValues(graph: LayerGraph, fusion: Fusion): Placement {
  checkMaterialized(graph, fusion);
  const { placed, copies } = placeConcats(graph, fusion);
  let outputValue = graph.output;
  let synthetic: ConcatNode | undefined;
  const outNode = graph.nodes[graph.output];
  if (outNode.op === 'slice' || outNode.op === 'input') {
    outputValue = graph.nodes.length;
    synthetic = { op: 'concat', id: outputValue, name: `${outNode.name}.copy`, region: outNode.region, shape: { ...outNode.shape }, inputs: [graph.output] };
    copies.push({ kind: 'copy', anchor: outputValue, nodes: [outputValue], src: graph.output, dst: outputValue, offset: 0 });
  }
  // By anchor; copies into a concat after its producers, in input order.
  const order: Step[] = [...fusion.steps, ...copies];
  const offsetOf = (st: Step) => (st.kind === 'copy' ? st.offset : -1);
  order.sort((a, b) => a.anchor - b.anchor || offsetOf(a) - offsetOf(b));
  const partial = { placed, copies, outputValue, synthetic };
  return { ...partial, views: views(graph, partial), order };
}

export const placePass: GraphPass<GraphState> = {
  name: 'place',
  summary: 'give every value a place: slices and concatenation inputs become views, the rest roots; order the steps',
  run(state) {
    return { ...state, placement: placeValues(need(state, 'graph', 'place'), need(state, 'fusion', 'place')) };
  },
};
