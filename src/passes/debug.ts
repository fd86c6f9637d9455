// `--debug` output: after every pass, the pass and its arguments, the IR as text, the per-stage
// table (ReLUs, share, FLOPs, params) and one line of what changed, in the manner of MLIR's
// --mlir-print-ir-after-all. Graph-level passes (lowering, fusion, placement, liveness, buffers,
// kernels) report the graph IR after them. Three forms: text for people, JSON lines (one object per
// pass) for tools, and unified diffs against the IR before each pass.
//
//   const { family } = runPipeline(net, steps, { observer: debugObserver({ write: (s) => io.out(s) }) });
//
// FLOPs are multiply-accumulates of the convolutions and the classifier (docs/architecture.md, "Counting").

import { createTwoFilesPatch } from 'diff';
import type { ArchIR } from '../ir/arch.js';
import { printArch, printGraph, formatTable, millions, printStageTable } from '../ir/print.js';
import { lowerToGraph } from '../ir/lower.js';
import { networkStats, type NetworkStats } from '../ir/stats.js';
import type { PassEvent, PassObserver } from './manager.js';
import type { GraphPassEvent } from './framework.js';

export interface DebugOptions {
  /**
   * `text` (default); `jsonl`: one JSON object per pass and line; `diff`: a unified diff of the IR
   * against the IR before the pass.
   */
  format?: 'text' | 'jsonl' | 'diff';
  /**
   * Only report these passes: registered names (`thin`, `equalize width`) or their first word
   * (`equalize`). Empty or absent: every pass.
   */
  only?: readonly string[];
  /** Also print the layer graph (text form only). */
  graph?: boolean;
  /** Print the input family once, before the first pass's report. */
  before?: boolean;
  /** Receives each report (a text block, or one JSON line), without a trailing newline. */
  write(chunk: string): void;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

interface Summary {
  stats?: NetworkStats;
  error?: string;
}

function summarize(net: ArchIR): Summary {
  try {
    return { stats: networkStats(net) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function change(before: number, after: number, fmt: (n: number) => string): string {
  if (before === after) return `${fmt(after)} (unchanged)`;
  const rel = before === 0 ? '' : ` (${after > before ? '+' : ''}${((100 * (after - before)) / before).toFixed(1)}%)`;
  return `${fmt(before)} -> ${fmt(after)}${rel}`;
}

/** `ReLUs 186,368 -> 52,224 (-72.0%), FLOPs 177.7M (unchanged)`. */
export function changeLine(before: Summary, after: Summary): string {
  if (after.stats === undefined) return `cannot count: ${after.error ?? 'unknown error'}`;
  if (before.stats === undefined) return `ReLUs ${int(after.stats.relus.total)}, FLOPs ${millions(after.stats.flops.total)}`;
  return (
    `ReLUs ${change(before.stats.relus.total, after.stats.relus.total, int)}, ` +
    `FLOPs ${change(before.stats.flops.total, after.stats.flops.total, millions)}`
  );
}

export function passMatches(e: { pass: string }, only: readonly string[] | undefined): boolean {
  if (only === undefined || only.length === 0) return true;
  return only.includes(e.pass) || only.includes(e.pass.split(' ')[0]);
}

function header(e: PassEvent): string {
  const where = e.within.length > 0 ? ` (in ${e.within.join(' > ')})` : '';
  return e.composite
    ? `// ----- family after ${e.text}${where}: ${e.after.length} network${e.after.length === 1 ? '' : 's'} -----`
    : `// ----- IR after ${e.text}${where} -----`;
}

function networkBlock(net: ArchIR, s: Summary, graph: boolean): string {
  const parts = [printArch(net)];
  if (graph) {
    try {
      parts.push(printGraph(lowerToGraph(net)));
    } catch (e) {
      parts.push(`// cannot lower: ${(e as Error).message}`);
    }
  }
  parts.push(s.stats !== undefined ? printStageTable(s.stats) : `// cannot count: ${s.error}`);
  return parts.join('\n');
}

/** The family as a table: one row per network. */
export function familyTable(nets: readonly ArchIR[]): string {
  const rows = nets.map((n) => {
    const s = summarize(n);
    return s.stats === undefined
      ? [n.name, '?', '?', '?']
      : [n.name, int(s.stats.relus.total), millions(s.stats.flops.total), int(s.stats.params.total)];
  });
  // The history column is text: left-aligned after the numeric table.
  const table = formatTable(['network', 'ReLUs', 'FLOPs', 'params'], rows).split('\n');
  const width = Math.max(...table.map((l) => l.length));
  const tail = ['history', '-------', ...nets.map((n) => n.history.join('; '))];
  return table.map((l, i) => `${l.padEnd(width)}  ${tail[i]}`.trimEnd()).join('\n');
}

/** The text report of one pass event. */
export function formatPassEvent(e: PassEvent, graph = false): string {
  const lines = [header(e)];
  const beforeSummaries = e.before.map(summarize);
  const afterSummaries = e.after.map(summarize);
  if (e.composite) {
    lines.push(familyTable(e.after));
  } else {
    e.after.forEach((net, i) => {
      if (i > 0) lines.push('');
      lines.push(networkBlock(net, afterSummaries[i], graph));
    });
  }
  if (e.after.length === 0) lines.push('// (no networks)');
  e.after.forEach((net, i) => {
    const src = e.before[e.source[i]];
    const rename = src !== undefined && src.name !== net.name ? `${src.name} -> ${net.name}` : net.name;
    lines.push(`// ${e.text}: ${rename}: ${changeLine(beforeSummaries[e.source[i]] ?? {}, afterSummaries[i])}`);
  });
  return lines.join('\n');
}

/** The text dump of a family before any pass ran. */
export function formatInitial(nets: readonly ArchIR[], graph = false): string {
  const lines = ['// ----- IR before the pipeline -----'];
  nets.forEach((n, i) => {
    if (i > 0) lines.push('');
    lines.push(networkBlock(n, summarize(n), graph));
  });
  return lines.join('\n');
}

function statsJson(net: ArchIR, s: Summary) {
  if (s.stats === undefined) return { name: net.name, history: net.history, error: s.error };
  const st = s.stats;
  return {
    name: net.name,
    history: net.history,
    ir: printArch(net),
    stages: Object.keys(st.relus.stages).map((stage) => ({
      stage,
      relus: st.relus.stages[stage],
      share: st.relus.share[stage],
      flops: st.flops.stages[stage],
      params: st.params.stages[stage],
    })),
    head: { flops: st.flops.stages.head ?? 0, params: st.params.stages.head ?? 0 },
    total: { relus: st.relus.total, flops: st.flops.total, params: st.params.total },
  };
}

/** The JSON-lines record of one pass event. */
export function passEventJson(e: PassEvent): Record<string, unknown> {
  const beforeSummaries = e.before.map(summarize);
  return {
    index: e.index,
    pass: e.pass,
    args: e.args,
    text: e.text,
    within: e.within,
    composite: e.composite,
    flopsConvention: 'multiply-accumulates of convolutions and the fully connected layer',
    networks: e.after.map((net, i) => {
      const before = beforeSummaries[e.source[i]]?.stats;
      return {
        ...statsJson(net, summarize(net)),
        from: e.before[e.source[i]]?.name,
        before: before === undefined ? undefined : { relus: before.relus.total, flops: before.flops.total, params: before.params.total },
      };
    }),
  };
}

/** The note on how FLOPs are counted, printed once at the top of the text form. */
export const FLOPS_NOTE = '// FLOPs: multiply-accumulates of the convolutions (1x1 shortcuts included) and the fully connected layer';

/** A unified diff between two texts (empty when they are equal). */
export function irDiff(label: string, before: string, after: string): string {
  if (before === after) return `// ${label}: no change`;
  const patch = createTwoFilesPatch(`before ${label}`, `after ${label}`, `${before}\n`, `${after}\n`, undefined, undefined, { context: 3 });
  // Drop the `=====` rule createTwoFilesPatch starts with.
  return patch.replace(/^=+\n/, '').trimEnd();
}

/** The diff form of one architecture pass: each network's IR against its source's. */
export function formatPassDiff(e: PassEvent): string {
  const lines = [header(e)];
  if (e.after.length === 0) lines.push('// (no networks)');
  e.after.forEach((net, i) => {
    const src = e.before[e.source[i]];
    lines.push(irDiff(`${e.text}: ${net.name}`, src === undefined ? '' : printArch(src), printArch(net)));
  });
  return lines.join('\n');
}

function graphPassHeader(e: GraphPassEvent): string {
  return `// ----- graph IR after ${e.pass} (${e.network}) -----`;
}

/**
 * An observer that writes a report after every (matching) pass, architecture and graph-level. In
 * the text and diff forms reports are separated by a blank line and the first one starts with
 * FLOPS_NOTE.
 */
export function debugObserver(opts: DebugOptions): PassObserver {
  let first = true;
  let written = 0;
  const text = (chunk: string) => {
    opts.write(written === 0 ? `${FLOPS_NOTE}\n${chunk}` : `\n${chunk}`);
    written++;
  };
  /** The graph IR last printed for each network, for diffs. */
  const lastIr = new Map<string, string>();
  const observer: PassObserver = (e) => {
    if (first && opts.before === true) {
      if (opts.format === 'jsonl') {
        opts.write(JSON.stringify({ index: 0, pass: null, text: 'input', networks: e.input.map((n) => statsJson(n, summarize(n))) }));
      } else {
        text(formatInitial(e.input, opts.graph === true));
      }
    }
    first = false;
    if (!passMatches(e, opts.only)) return;
    if (opts.format === 'jsonl') opts.write(JSON.stringify(passEventJson(e)));
    else if (opts.format === 'diff') text(formatPassDiff(e));
    else text(formatPassEvent(e, opts.graph === true));
  };
  observer.graphPass = (e) => {
    const before = lastIr.get(e.network) ?? '';
    lastIr.set(e.network, e.ir);
    if (!passMatches(e, opts.only)) return;
    if (opts.format === 'jsonl') opts.write(JSON.stringify({ index: e.index, level: 'graph', pass: e.pass, network: e.network, ir: e.ir }));
    else if (opts.format === 'diff') text(`${graphPassHeader(e)}\n${irDiff(`${e.pass} (${e.network})`, before, e.ir)}`);
    else text(`${graphPassHeader(e)}\n${e.ir}`);
  };
  return observer;
}
