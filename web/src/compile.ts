// What the page computes from the editor, the --set inputs and the pipeline box, all through hrn's
// own compiler driver: parse and resolve, the pipeline's passes (every pass recorded as `--debug` prints
// it), counting, the equalized family, and the plan with its WGSL kernels.
import { DiagnosticError, formatDiagnostics, type Diagnostic } from '../../src/diagnostics.js';
import { DriverError, loadNetworksFromText, planNetwork, runPipelineText } from '../../src/driver.js';
import type { ArchIR } from '../../src/ir/arch.js';
import type { LayerGraph } from '../../src/ir/graph.js';
import { networkStats, type NetworkStats } from '../../src/ir/stats.js';
import { kernelFileText } from '../../src/codegen/plan-text.js';
import type { Plan } from '../../src/codegen/plan.js';
import { formatInitial, formatPassDiff, formatPassEvent, irDiff } from '../../src/passes/debug.js';
import type { PassObserver } from '../../src/passes/manager.js';
import { runText } from '../../src/passes/manager.js';

export const SOURCE_NAME = 'playground.hrn';
export const PIPELINE_ORIGIN = '<pipeline>';

/** One step of the per-pass view: the IR after it, and the diff against the IR before it. */
export interface PassView {
  level: 'input' | 'arch' | 'graph';
  title: string;
  text: string;
  diff: string;
}

export interface KernelView {
  name: string;
  /** The layers whose dispatches run this kernel. */
  layers: string[];
  wgsl: string;
}

export interface FamilyView {
  members: Array<{ stats: NetworkStats; factors: number[]; channels: number[] }>;
  /** Why there is no family (no criticality order, ...). */
  error?: string;
}

export interface Compiled {
  /** The family after the pipeline; `selected` indexes it. */
  family: ArchIR[];
  stats: NetworkStats[];
  selected: number;
  graph: LayerGraph;
  plan: Plan;
  passes: PassView[];
  kernels: KernelView[];
  warnings: Diagnostic[];
}

export type CompileResult =
  | { ok: true; value: Compiled; sources: Map<string, string> }
  | { ok: false; diagnostics: readonly Diagnostic[]; message: string; sources: Map<string, string> };

export interface CompileInput {
  source: string;
  set: string[];
  pipeline: string;
  /** Which member of the family the stats, passes and kernels are for. */
  selected: number;
  batch: number;
  subgroupSize: number;
}

function recorder(passes: PassView[]): PassObserver {
  const lastIr = new Map<string, string>();
  const observer: PassObserver = (e) => {
    if (passes.length === 0) passes.push({ level: 'input', title: 'input', text: formatInitial(e.input), diff: '' });
    passes.push({ level: 'arch', title: e.within.length > 0 ? `${e.within.join(' / ')} / ${e.text}` : e.text, text: formatPassEvent(e), diff: formatPassDiff(e) });
  };
  observer.graphPass = (e) => {
    const before = lastIr.get(e.network) ?? '';
    lastIr.set(e.network, e.ir);
    passes.push({ level: 'graph', title: `${e.pass} (${e.network})`, text: e.ir, diff: irDiff(`${e.pass} (${e.network})`, before, e.ir) });
  };
  return observer;
}

/** Compiles the editor's text; user errors come back as diagnostics, never as exceptions. */
export function compileSource(input: CompileInput): CompileResult {
  const sources = new Map<string, string>();
  try {
    const loaded = loadNetworksFromText(SOURCE_NAME, input.source, sources, { set: input.set });
    const passes: PassView[] = [];
    const observer = recorder(passes);
    let family = loaded.networks;
    let warnings: Diagnostic[] = [];
    if (input.pipeline.trim() !== '') {
      const r = runPipelineText(loaded.networks, input.pipeline, PIPELINE_ORIGIN, loaded.file, sources, observer);
      family = r.family;
      warnings = r.diagnostics;
    }
    if (family.length === 0) throw new DriverError('the pipeline left no network');
    if (passes.length === 0) passes.push({ level: 'input', title: 'input', text: formatInitial(family), diff: '' });
    const selected = Math.min(Math.max(0, input.selected), family.length - 1);
    const { graph, plan } = planNetwork(family[selected], { batch: input.batch, subgroupSize: input.subgroupSize }, observer);
    return { ok: true, value: { family, stats: family.map((n) => networkStats(n)), selected, graph, plan, passes, kernels: kernelViews(plan), warnings }, sources };
  } catch (e) {
    if (e instanceof DiagnosticError) return { ok: false, diagnostics: e.diagnostics, message: formatDiagnostics(e.diagnostics, sources), sources };
    return { ok: false, diagnostics: [], message: e instanceof Error ? e.message : String(e), sources };
  }
}

function kernelViews(plan: Plan): KernelView[] {
  return plan.kernels.map((k) => ({
    name: k.name,
    layers: plan.dispatches.filter((d) => d.kernel === k.id).flatMap((d) => d.nodes),
    wgsl: kernelFileText(plan, k),
  }));
}

/** The equalized family of a network (`hrn equalize`): the `equalize width` pass on it alone. */
export function equalizedFamily(net: ArchIR): FamilyView {
  try {
    const { family } = runText(net, 'equalize width');
    return {
      members: family.map((m) => ({ stats: networkStats(m), factors: m.widths?.factors ?? [], channels: m.stages.map((s) => s.channels) })),
    };
  } catch (e) {
    return { members: [], error: e instanceof Error ? e.message : String(e) };
  }
}
