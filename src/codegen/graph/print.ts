// The graph-level IR as text: the layer graph, then one section per pass that has run (steps,
// placement, live ranges, buffers, kernels). Sections only grow, so a diff between two passes
// shows what the later one decided.

import { printGraph } from '../../ir/print.js';
import { graphOp, type LayerGraph } from '../../ir/graph.js';
import type { PlanBody } from '../plan-types.js';
import { programSection } from '../program.js';
import { profileText, scheduleText } from '../schedule/describe.js';
import { isMaterialized } from './place.js';
import { nodeOf, type Allocation, type Fusion, type GraphState, type Liveness, type Placement, type Step } from './state.js';

const KiB = (b: number) => `${(b / 1024).toFixed(1)} KiB`;

function stepText(graph: LayerGraph, placement: Pick<Placement, 'synthetic'>, s: Step): string {
  const name = (id: number) => `%${id}`;
  const nodes = s.nodes.map((id) => nodeOf(graph, placement, id).op).join('+');
  switch (s.kind) {
    case 'conv': {
      const extra = [s.bn !== undefined ? 'bn folded' : '', s.residual !== undefined ? `residual ${name(s.residual)}` : '', s.relu ? `relu [${s.relu.start}, ${s.relu.end})` : ''];
      return `conv ${nodes}(${name(s.conv.input)})${extra.filter(Boolean).map((x) => `, ${x}`).join('')}`;
    }
    case 'chain': {
      const ops = [s.a, ...(s.b !== undefined ? [s.b] : []), ...(s.doubled ? [s.a] : [])].map(name).join(', ');
      const attributes = s.nodes.map((id) => nodeOf(graph, placement, id)).flatMap((n) => {
        const text = graphOp(n).attributes(n);
        return text ? [`, ${n.op} ${text}`] : [];
      });
      return `chain ${nodes}(${ops})${attributes.join('')}`;
    }
    case 'copy':
      return `copy ${name(s.src)} into ${name(s.dst)} at channel ${s.offset}`;
    default:
      return `${s.kind}(${name(s.input)})`;
  }
}

export function fusionSection(graph: LayerGraph, fusion: Fusion): string[] {
  const lines = [`fusion: ${fusion.steps.length} steps for ${graph.nodes.length} nodes`];
  for (const s of fusion.steps) lines.push(`  %${s.anchor} <- ${stepText(graph, {}, s)}  // ${s.nodes.map((id) => graph.nodes[id].name).join(' + ')}`);
  return lines;
}

function placementSection(graph: LayerGraph, fusion: Fusion, p: Placement): string[] {
  const lines = ['placement: value = root[channel offset]'];
  for (const n of graph.nodes) {
    if (!isMaterialized(graph, fusion, n.id)) continue;
    const v = p.views.get(n.id)!;
    lines.push(`  %${n.id} = %${v.root}[${v.chan}]${v.root === n.id ? ' (root)' : ''}`);
  }
  if (p.synthetic) lines.push(`  %${p.synthetic.id} = dense copy of the output %${graph.output}`);
  lines.push('order:');
  p.order.forEach((s, i) => lines.push(`  ${String(i).padStart(3)}: ${stepText(graph, p, s)} -> %${s.kind === 'copy' ? s.dst : s.anchor}`));
  return lines;
}

function livenessSection(l: Liveness): string[] {
  const lines = ['liveness: root, kind, size, [first write, last read]'];
  const roots = [...l.roots.values()].sort((a, b) => a.id - b.id);
  for (const r of roots) {
    const w = Number.isFinite(r.firstWrite) ? String(r.firstWrite) : '-';
    lines.push(`  %${r.id} ${r.kind} ${KiB(r.bytes)} [${w}, ${r.lastRead < 0 ? '-' : r.lastRead}]  // ${r.node.name}`);
  }
  return lines;
}

function allocationSection(a: Allocation): string[] {
  const lines = [`buffers: activations ${KiB(a.buffers.filter((b) => b.kind === 'activation').reduce((s, b) => s + b.bytes, 0))} (${KiB(a.noReuseBytes)} without reuse)`];
  for (const b of a.buffers) lines.push(`  buffer ${b.id} ${b.name} (${b.kind}) ${KiB(b.bytes)}: ${(b.values ?? []).join(', ')}`);
  return lines;
}

function planSection(plan: PlanBody): string[] {
  const lines = [`kernels: ${plan.kernels.length} kernels, ${plan.dispatches.length} dispatches; schedules: ${profileText(plan.profile)}`];
  for (const k of plan.kernels) lines.push(`  ${k.name}: ${k.template}, ${k.bindings.length} bindings, workgroup ${k.workgroupSize}`);
  const scheduleOf = new Map(plan.schedules.map((s) => [s.dispatch, s]));
  for (const d of plan.dispatches) {
    const binds = d.bindings.map((b) => `${b.binding}:${plan.buffers[b.buffer].name}${b.write ? '(w)' : ''}`).join(' ');
    lines.push(`  dispatch ${d.index}: ${plan.kernels[d.kernel].name} [${d.workgroups.join(', ')}] ${binds}  // ${d.nodes.join(' + ')}`);
    const s = scheduleOf.get(d.index);
    if (s) lines.push(`    schedule ${scheduleText(s)}`);
  }
  return lines;
}

/** The state as text, every section known so far. */
export function printGraphState(state: GraphState): string {
  if (state.graph === undefined) return '// (no layer graph yet)';
  const g = state.graph;
  const parts = [printGraph(g)];
  if (state.fusion) parts.push(fusionSection(g, state.fusion).join('\n'));
  if (state.fusion && state.placement) parts.push(placementSection(g, state.fusion, state.placement).join('\n'));
  if (state.liveness) parts.push(livenessSection(state.liveness).join('\n'));
  if (state.allocation) parts.push(allocationSection(state.allocation).join('\n'));
  if (state.plan) parts.push(planSection(state.plan).join('\n'));
  if (state.program) parts.push(programSection(state.program).join('\n'));
  return parts.join('\n\n');
}
