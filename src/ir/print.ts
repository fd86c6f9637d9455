// Text forms of the IR: what `--debug` shows after each pass and what `hrn compile` writes next
// to its kernels. Stable and line-oriented so that diffs between passes read well.

import type { ArchIR, StageIR } from './arch.js';
import { blockText, factorTag, headText, stemText } from './arch.js';
import type { GraphNode, LayerGraph } from './graph.js';
import { graphOp } from './node.js';
import type { LayerRow } from './layers.js';
import type { NetworkStats } from './stats.js';

function reluText(st: StageIR): string {
  if (st.relu.culled) return 'culled';
  const parts = [st.relu.thinned ? 'thinned' : 'full'];
  if (st.relu.reuse > 1) parts.push(`reuse ${st.relu.reuse}`);
  const culled = st.relu.culledLayers ?? [];
  if (culled.length > 0) parts.push(`culled layers ${culled.join(',')}`);
  const layers = Object.entries(st.relu.layerReuse ?? {});
  if (layers.length > 0) parts.push(`reuse by layer ${layers.map(([p, n]) => `${p}:${n}`).join(',')}`);
  return parts.join(' ');
}

export function printArch(a: ArchIR): string {
  const lines = [`network ${a.name} {`];
  if (a.history.length > 0) lines.push(`  # after: ${a.history.join('; ')}`);
  lines.push(`  input ${a.input.c}x${a.input.h}x${a.input.w}`);
  lines.push(`  classes ${a.classes}`);
  lines.push(`  kernel ${a.kernel}`);
  lines.push(`  stem ${stemText(a.stem)}`);
  lines.push(`  block ${blockText(a)}`);
  if (a.widths) lines.push(`  # widths: m=${a.widths.m}, factors ${factorTag(a.widths.factors) || '(none)'}`);
  const w = Math.max(...a.stages.map((s) => String(s.channels).length));
  for (const s of a.stages) {
    lines.push(`  stage ${s.name} depth ${s.depth} channels ${String(s.channels).padStart(w)} stride ${s.stride} relu ${reluText(s)}`);
  }
  lines.push(`  head ${headText(a.head)}`);
  if (a.snl) lines.push(`  # snl: budget ${a.snl.budget} ReLUs, a mask per ${a.snl.granularity} of every stem and stage ReLU, learned in training`);
  lines.push(`  criticality ${a.criticality.join(' > ')}`);
  lines.push('}');
  return lines.join('\n');
}

function operands(n: GraphNode): string {
  const op = graphOp(n);
  const attributes = op.attributes(n);
  return [op.inputs(n).map((i) => `%${i}`).join(', '), attributes].filter((part) => part !== '').join(' ');
}

/** One line per node, MLIR-like: `%5 = conv %4 {k=3, s=1, p=1} : 16x32x32  // S1.b1.conv1`. */
export function printGraph(g: LayerGraph): string {
  const lines = [`graph ${g.name} {`];
  for (const n of g.nodes) {
    const ops = operands(n);
    lines.push(`  %${n.id} = ${n.op}${ops ? ` ${ops}` : ''} : ${n.shape.c}x${n.shape.h}x${n.shape.w}  // ${n.name}`);
  }
  lines.push(`  return %${g.output}`);
  lines.push('}');
  return lines.join('\n');
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
export const millions = (n: number) => `${(n / 1e6).toFixed(1)}M`;

/** Aligned columns; the first column left-aligned, the rest right-aligned. */
export function formatTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) =>
    r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

/** The per-stage table: ReLUs, share of ReLUs, FLOPs, params. */
export function printStageTable(s: NetworkStats): string {
  const stages = Object.keys(s.relus.stages);
  const rows = stages.map((st) => [
    st,
    int(s.relus.stages[st]),
    `${s.relus.share[st].toFixed(1)}%`,
    millions(s.flops.stages[st]),
    int(s.params.stages[st]),
  ]);
  // The head's ReLUs (hidden fc layers) are in the total but in no stage.
  const snlBound = s.relus.snl !== undefined && !s.relus.snl.exact ? Math.min(s.relus.snl.budget, s.relus.snl.candidates) : undefined;
  const headRelus = s.relus.total - (snlBound ?? stages.reduce((sum, st) => sum + s.relus.stages[st], 0));
  rows.push(['head', int(headRelus), '', millions(s.flops.stages.head ?? 0), int(s.params.stages.head ?? 0)]);
  const snl = s.relus.snl;
  const total = snl !== undefined && !snl.exact ? `at most ${int(s.relus.total)}` : int(s.relus.total);
  rows.push(['total', total, '100.0%', millions(s.flops.total), int(s.params.total)]);
  const table = formatTable(['stage', 'ReLUs', 'share', 'FLOPs', 'params'], rows);
  if (snl === undefined) return table;
  const how = snl.exact
    ? `SNL: the ReLUs the trained masks keep (budget ${int(snl.budget)} of ${int(snl.candidates)})`
    : `ReLUs: at most ${int(s.relus.total)} (SNL, mask learned in training); the stages show the ${int(snl.candidates)} candidate ReLUs the masks (one per ${snl.granularity}) choose from`;
  return `${table}\n${how}`;
}

/** The per-layer table of `hrn stats --layers`, with a total row. */
export function printLayerTable(layers: readonly LayerRow[]): string {
  const pct = (x: number) => `${x.toFixed(1)}%`;
  const sum = (k: 'relus' | 'flops' | 'params') => layers.reduce((a, r) => a + r[k], 0);
  const rows = layers.map((r) => [r.layer, r.stage, r.op, r.output, int(r.relus), pct(r.reluShare), millions(r.flops), pct(r.flopsShare), int(r.params)]);
  rows.push(['total', '', '', '', int(sum('relus')), layers.length > 0 ? '100.0%' : '', millions(sum('flops')), layers.length > 0 ? '100.0%' : '', int(sum('params'))]);
  return formatTable(['layer', 'stage', 'op', 'output', 'ReLUs', 'share', 'FLOPs', 'share', 'params'], rows);
}
