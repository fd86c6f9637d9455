// The compiler driver: the chain every command runs, in one place.
//
//   source text -> networks (parse, --set, --network) -> pipeline (passes) -> layer graph -> plan
//                                                                                 (or training plan)
//
// Every command that reads a .hrn file goes through here (the CLI, sweeps, `hrn check`'s sweep
// blocks): none parses, runs passes, lowers or plans on its own. The driver is browser-safe and
// takes text; src/source-file.ts reads the file for it in Node.
//
// Errors in the user's text are DiagnosticError (file:line:col with a caret); a request the file
// cannot satisfy (no such network) is a DriverError. The CLI turns both into its messages and exit
// codes; the driver knows nothing of the command line.

// Every op's definitions, handed to the layers that look them up (src/ops/index.ts).
import './ops/index.js';
import { DiagnosticError, hasErrors, type Diagnostic } from './diagnostics.js';
import { UserError } from './errors.js';
import { compileNetwork, compilePlan, type Plan, type PlanOptions } from './codegen/plan.js';
import { compileTrainNetwork, compileTrainPlan, type TrainPlan, type TrainPlanOptions } from './codegen/train-plan.js';
import type { ArchIR } from './ir/arch.js';
import type { LayerGraph } from './ir/graph.js';
import { lowerToGraph } from './ir/lower.js';
import type { PipelineStep } from './ir/pipeline.js';
import { parseHrn, parseOverride, parsePipelineText, resolveNetwork, type HrnFile, type Override } from './parser/index.js';
import { runPipeline, type PassObserver, type RunResult } from './passes/manager.js';

export { BUILTIN_PIPELINES } from './passes/manager.js';

/** A request the source cannot satisfy, in one sentence. */
export class DriverError extends Error {
  override name = 'DriverError';
}

export interface SourceOptions {
  /** `NAME=VALUE` overrides (`--set`). */
  set: readonly string[];
  /** Only this network of the file; all of them when absent. */
  network?: string;
}

export interface LoadedNetworks {
  path: string;
  file: HrnFile;
  networks: ArchIR[];
}

/** Fails with every diagnostic at once when any is an error. */
export function failOnErrors(diags: readonly Diagnostic[]): void {
  if (hasErrors(diags)) throw new DiagnosticError(diags);
}

function overrides(set: readonly string[], sources: Map<string, string>, all: Diagnostic[]): Override[] {
  const out: Override[] = [];
  set.forEach((s, i) => {
    // Each --set gets its own pseudo file, so a caret can point into the right one.
    const origin = set.length === 1 ? '<--set>' : `<--set #${i + 1}>`;
    sources.set(origin, s);
    const r = parseOverride(s, origin);
    all.push(...r.diagnostics);
    if (r.override) out.push(r.override);
  });
  return out;
}

/** A source text parsed, its networks unresolved; fails on any syntax error. `sources` receives the text. */
export function parseSource(path: string, text: string, sources: Map<string, string>): HrnFile {
  sources.set(path, text);
  const { file, diagnostics } = parseHrn(text, path);
  failOnErrors(diagnostics);
  return file;
}

/** The networks of a source text. `sources` receives every text read, for diagnostics to quote. */
export function loadNetworksFromText(path: string, text: string, sources: Map<string, string>, opts: SourceOptions): LoadedNetworks {
  sources.set(path, text);
  const { file, diagnostics } = parseHrn(text, path);
  const all: Diagnostic[] = [...diagnostics];
  const sets = overrides(opts.set, sources, all);
  failOnErrors(all);
  let decls = file.networks;
  if (opts.network !== undefined) {
    decls = decls.filter((n) => n.name === opts.network);
    if (decls.length === 0) {
      const names = file.networks.map((n) => n.name).join(', ') || 'none';
      throw new DriverError(`${path}: no network named '${opts.network}' (the file defines: ${names})`);
    }
  }
  if (decls.length === 0) throw new DriverError(`${path}: ${NO_NETWORK}`);
  const networks: ArchIR[] = [];
  for (const decl of decls) {
    const r = resolveNetwork(decl, sets, sources);
    all.push(...r.diagnostics);
    if (r.arch) networks.push(r.arch);
  }
  failOnErrors(all);
  return { path, file, networks };
}

/** What `hrn check` says of a file without a network declaration (after the file's name). */
export const NO_NETWORK = 'the file defines no network';

export interface CheckedText {
  file: HrnFile;
  /** The networks that resolved, without --set. */
  networks: ArchIR[];
  /** The syntax errors, then each network's resolution problems, in the order they were found. */
  diagnostics: Diagnostic[];
}

/**
 * A source text parsed and every network resolved without --set, never throwing: for an editor,
 * which shows every problem at once where `loadNetworksFromText` stops at the first failing
 * step. A declaration with syntax errors still reports what its parts that parsed show.
 */
export function checkText(path: string, text: string, sources: Map<string, string>): CheckedText {
  sources.set(path, text);
  const { file, diagnostics } = parseHrn(text, path);
  const networks: ArchIR[] = [];
  for (const decl of file.networks) {
    const r = resolveNetwork(decl, [], sources);
    diagnostics.push(...r.diagnostics);
    if (r.arch) networks.push(r.arch);
  }
  return { file, networks, diagnostics };
}

/** The file's named pipelines, for the pass manager. */
export function pipelineTable(file: Pick<HrnFile, 'pipelines'>): Map<string, readonly PipelineStep[]> {
  return new Map(file.pipelines.map((pl) => [pl.name, pl.steps]));
}

/**
 * Runs parsed pipeline steps over the networks, a step naming one of `file`'s pipelines running its
 * steps. Throws DiagnosticError on the first error; returns the family and the passes' warnings.
 */
export function runPipelineSteps(networks: ArchIR | readonly ArchIR[], steps: readonly PipelineStep[], file: Pick<HrnFile, 'pipelines'>, observer?: PassObserver): RunResult {
  return runPipeline(networks, steps, { pipelines: pipelineTable(file), observer });
}

/**
 * Runs pipeline steps written as text (`--pipeline`, or one recorded in a checkpoint) over the
 * networks. `origin` names the text in diagnostics. Returns the family and the passes' warnings.
 */
export function runPipelineText(
  networks: ArchIR | readonly ArchIR[],
  text: string,
  origin: string,
  file: Pick<HrnFile, 'pipelines'>,
  sources: Map<string, string>,
  observer?: PassObserver,
): RunResult {
  sources.set(origin, text);
  const parsed = parsePipelineText(text, origin);
  failOnErrors(parsed.diagnostics);
  return runPipelineSteps(networks, parsed.steps, file, observer);
}

/** A network's layer graph. */
export function lowerNetwork(net: ArchIR): LayerGraph {
  return lowerToGraph(net);
}

/**
 * Refuses networks with SNL-masked ReLUs where masks are not applied (the PyTorch export), rather
 * than writing them as ordinary ReLUs, a network other than the one trained.
 */
export function refuseMaskedRelus(graph: LayerGraph, what: string): void {
  if (graph.nodes.some((n) => n.op === 'relu' && n.mask !== undefined)) {
    throw new UserError(`${what}: ${graph.name}: the snl pass's masked ReLUs are not supported by ${what} yet`);
  }
}

/** A network lowered and planned, every graph pass reported to `observer`. */
export function planNetwork(net: ArchIR, options: PlanOptions, observer?: PassObserver): { graph: LayerGraph; plan: Plan } {
  return compileNetwork(net, options, observer);
}

/** A network lowered and its training step compiled, every pass reported to `options.observer`. */
export function planTraining(net: ArchIR, options: TrainPlanOptions): { graph: LayerGraph; plan: TrainPlan } {
  return compileTrainNetwork(net, options);
}

/** A layer graph planned for inference (the graph passes after `lower`). */
export function planGraph(graph: LayerGraph, options: PlanOptions, observer?: PassObserver): Plan {
  return compilePlan(graph, options, observer);
}

/** A layer graph's training step compiled. */
export function planTrainingGraph(graph: LayerGraph, options: TrainPlanOptions): TrainPlan {
  return compileTrainPlan(graph, options);
}
