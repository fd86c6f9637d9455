// The pass manager: runs a pipeline (a list of steps, from a `pipeline NAME { ... }` block or a
// `--pipeline` text) over a family of networks.
//
// - Named pipelines expand in place: a step that is just a pipeline's name (a file's `pipeline`
//   block, or one of BUILTIN_PIPELINES) is replaced by that pipeline's steps.
// - Each step resolves to a registered pass; the pass checks its arguments once, then maps over the
//   family (one network in, zero or more out), so variants multiply as they flow. So that repeated
//   steps cannot multiply them without bound, a family holds at most LIMITS.family networks after
//   any step (checked as the step makes them, an error at the step past it), and a network equal in
//   every field to one the step already made is kept once.
// - Each output network gets the step's text appended to its `history` (composite passes record their
//   sub-steps instead).
// - After every step the observer (if any) sees the family before and after; the CLI's `--debug`
//   is such an observer (see debug.ts).
//
// Every step is bound to a pass of the one pass framework (framework.ts: a named, pure step from
// state to state, run by runPasses), here over the family. Below the architecture, one network is
// lowered to the layer graph and planned by a fixed list of graph-level passes (src/codegen/graph/);
// `runGraphPasses` runs them through the same runPasses, one named step at a time, and reports
// each to the same observer (its `graphPass` method) with the IR printed after it.
//
// Errors are thrown as DiagnosticError (spans point at the step or the argument); warnings and
// notes come back in the result.

import type { ArchIR } from '../ir/arch.js';
import { runPasses, type GraphPassObserver, type Pass } from './framework.js';
import { DiagnosticError, error, type Diagnostic, type SourceSpan } from '../diagnostics.js';
import { formatLimit, LIMITS } from '../ir/limits.js';
import { canonicalJson } from '../util/canonical-json.js';
import { didYouMean } from '../util/suggest.js';
import { defaultRegistry, type PassRegistry } from './registry.js';
import {
  BUILTIN_SPAN,
  glueArgs,
  note,
  stepsFromText,
  stepText,
  type AnyPass,
  type PassContext,
  type PipelineStep,
} from './types.js';

export { stepsFromText };
export { runGraphPasses, runPasses, type GraphPassEvent, type GraphPass, type GraphPassRun, type Pass } from './framework.js';

export interface PassEvent {
  /** 1-based count of steps run so far in this pipeline run, sub-steps included. */
  index: number;
  /** The registered pass name (`thin`, `equalize width`). */
  pass: string;
  /** The step as written (`thin S2 S3 S4`). */
  text: string;
  /** Its arguments after the pass name, as written. */
  args: string[];
  step: PipelineStep;
  /** Enclosing composite steps, outermost first (`['deepreshape']` for its sub-steps). */
  within: string[];
  /** True for a composite pass (its sub-steps were reported before it). */
  composite: boolean;
  before: readonly ArchIR[];
  after: readonly ArchIR[];
  /** The family the whole pipeline run started from. */
  input: readonly ArchIR[];
  /** For each member of `after`, the index in `before` of the network it came from. */
  source: number[];
}

/**
 * Sees every architecture pass (called as a function) and, when it has a `stage` method, every
 * graph-level pass too.
 */
export interface PassObserver extends GraphPassObserver {
  (event: PassEvent): void;
}

export type PipelineTable = ReadonlyMap<string, readonly PipelineStep[]> | Readonly<Record<string, readonly PipelineStep[]>>;

export interface RunOptions {
  registry?: PassRegistry;
  /** Named pipelines from the file (`pipeline NAME { ... }`); BUILTIN_PIPELINES are always known. */
  pipelines?: PipelineTable;
  observer?: PassObserver;
}

export interface RunResult {
  family: ArchIR[];
  /** Warnings and notes from the passes. */
  diagnostics: Diagnostic[];
}

/**
 * Named pipelines hrn ships. `hybrenet` is the whole DeepReShape flow of Figure 10: ReLU
 * equalization, the capacity-criticality step (alpha 2), then Algorithm 2's variant family.
 * (`deepreshape` alone, Algorithm 2, is a pass: see deepreshape.ts.)
 */
export const BUILTIN_PIPELINES: Readonly<Record<string, string>> = Object.freeze({
  hybrenet: 'equalize width; alpha 2; deepreshape',
});

function lookupPipeline(name: string, table: PipelineTable | undefined): readonly PipelineStep[] | undefined {
  if (table !== undefined) {
    const found = table instanceof Map ? table.get(name) : (table as Record<string, readonly PipelineStep[]>)[name];
    if (found !== undefined) return found;
  }
  const builtin = BUILTIN_PIPELINES[name];
  return builtin === undefined ? undefined : stepsFromText(builtin);
}

/**
 * Expands named pipelines in place (recursively; a pipeline that names itself is an error). A step
 * names a pipeline when its pass word is not a registered pass and a pipeline has that name.
 */
export function expandPipelines(
  steps: readonly PipelineStep[],
  table: PipelineTable | undefined,
  registry: PassRegistry = defaultRegistry(),
  seen: readonly string[] = [],
): PipelineStep[] {
  const out: PipelineStep[] = [];
  for (const step of steps) {
    if (registry.resolve(step) !== undefined) {
      out.push(step);
      continue;
    }
    const named = lookupPipeline(step.pass, table);
    if (named === undefined) {
      out.push(step); // reported as an unknown pass when run
      continue;
    }
    if (step.args.length > 0) {
      throw new DiagnosticError([error(step.args[0].span, `pipeline '${step.pass}' takes no arguments`)]);
    }
    if (seen.includes(step.pass)) {
      throw new DiagnosticError([error(step.span, `pipeline '${step.pass}' uses itself (${[...seen, step.pass].join(' -> ')})`)]);
    }
    // Steps of a built-in pipeline point at the step that named it.
    const inner = named.map((s) => (s.span.file === BUILTIN_SPAN.file ? reSpan(s, step.span) : s));
    out.push(...expandPipelines(inner, table, registry, [...seen, step.pass]));
  }
  return out;
}

function reSpan(s: PipelineStep, span: SourceSpan): PipelineStep {
  return { pass: s.pass, args: s.args.map((a) => ({ text: a.text, span })), span };
}

function unknownPass(step: PipelineStep, registry: PassRegistry, table: PipelineTable | undefined): never {
  const two = registry.namesStartingWith(step.pass);
  let msg: string;
  if (two.length > 0) {
    msg = `'${step.pass}' needs one of: ${two.map((n) => n.split(' ').slice(1).join(' ')).join(', ')} (e.g. '${two[0]}')`;
    throw new DiagnosticError([error(step.args[0]?.span ?? step.span, msg)]);
  }
  const names = [...registry.list().map((p) => p.name)];
  const pipes = table === undefined ? [] : table instanceof Map ? [...table.keys()] : Object.keys(table);
  msg = `unknown pass '${step.pass}'; passes: ${names.join(', ')}`;
  const allPipes = [...pipes, ...Object.keys(BUILTIN_PIPELINES)];
  if (allPipes.length > 0) msg += `; pipelines: ${allPipes.join(', ')}`;
  msg += didYouMean(step.pass, [...new Set([...names.map((n) => n.split(' ')[0]), ...allPipes])]);
  throw new DiagnosticError([error(step.span, msg)]);
}

/**
 * The members kept so far, to recognize a repeat. Members are compared in full only when their
 * names agree, which in most families they never do.
 */
class UniqueMembers {
  private readonly byName = new Map<string, { net: ArchIR; key?: string }[]>();

  /** Adds `net` unless an equal network is there already; says whether it was added. */
  add(net: ArchIR): boolean {
    const same = this.byName.get(net.name);
    if (same === undefined) {
      this.byName.set(net.name, [{ net }]);
      return true;
    }
    const key = canonicalJson(net);
    for (const m of same) {
      m.key ??= canonicalJson(m.net);
      if (m.key === key) return false;
    }
    same.push({ net, key });
    return true;
  }
}

function familyTooLarge(step: PipelineStep, pass: string, made: number, from: number, inputs: number): never {
  const estimate = Math.round((made / from) * inputs);
  const reach = from < inputs ? `about ${estimate.toLocaleString('en-US')} networks (it made ${made.toLocaleString('en-US')} from the first ${from} of the ${inputs} before it)` : `${made.toLocaleString('en-US')} networks`;
  throw new DiagnosticError([
    error(
      step.span,
      `${pass}: the family would grow to ${reach}, above the limit of ${formatLimit(LIMITS.family)} networks; ` +
        `narrow it before this step (e.g. 'equalize width pick=5x5x3x' or a filter such as last<4), or use fewer steps that multiply networks`,
    ),
  ]);
}

class Runner {
  private count = 0;
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    private readonly input: readonly ArchIR[],
    private readonly registry: PassRegistry,
    private readonly table: PipelineTable | undefined,
    private readonly observer: PassObserver | undefined,
  ) {}

  run(family: readonly ArchIR[], steps: readonly PipelineStep[], within: string[]): ArchIR[] {
    const bound = expandPipelines(steps, this.table, this.registry).map((step) => this.bind(step, within));
    return runPasses<ArchIR[]>([...family], bound);
  }

  /** A step of the pipeline as a pass over the family (the step reports to the observer itself: it knows where each network came from). */
  private bind(step: PipelineStep, within: string[]): Pass<ArchIR[]> {
    return { name: stepText(step), summary: `the pipeline step ${stepText(step)}`, run: (family) => this.runStep(family, step, within) };
  }

  private runStep(family: ArchIR[], rawStep: PipelineStep, within: string[]): ArchIR[] {
    const step: PipelineStep = { ...rawStep, args: glueArgs(rawStep.args) };
    const resolved = this.registry.resolve(step);
    if (resolved === undefined) unknownPass(step, this.registry, this.table);
    const pass: AnyPass = resolved.pass;
    const text = stepText(step);
    const ctx: PassContext = {
      step,
      report: (d) => this.diagnostics.push(d),
      runSteps: (fam, steps, label) => this.run(fam, steps, [...within, label ?? text]),
    };
    const options = pass.parse(resolved.args, ctx);
    const after: ArchIR[] = [];
    const source: number[] = [];
    const unique = new UniqueMembers();
    let repeats = 0;
    for (let i = 0; i < family.length; i++) {
      for (const out of pass.apply(family[i], options, ctx)) {
        // A fresh top-level object, so a pass that hands back its input cannot change it here.
        const member = pass.composite ? out : { ...out, history: [...out.history, text] };
        // A member equal in every field (name and history too) to an earlier one is the same
        // network; keeping both would only double the work of every later step.
        if (!unique.add(member)) {
          repeats++;
          continue;
        }
        after.push(member);
        source.push(i);
      }
      // Checked after each network, so a step that would multiply the family past the limit stops
      // as soon as it crosses it, not after making all of it.
      if (after.length > LIMITS.family) familyTooLarge(step, pass.name, after.length, i + 1, family.length);
    }
    if (repeats > 0) {
      ctx.report(note(step.span, `${pass.name}: ${repeats} of the ${after.length + repeats} networks it made repeat another one exactly; each is kept once`));
    }
    this.count++;
    this.observer?.({
      index: this.count,
      pass: pass.name,
      text,
      args: resolved.args.map((a) => a.text),
      step,
      within,
      composite: pass.composite === true,
      before: family,
      after,
      input: this.input,
      source,
    });
    return after;
  }
}

/**
 * Runs `steps` over `input` (one network or a family). Throws DiagnosticError on the first error
 * (with any warnings gathered before it); returns the final family and the warnings and notes.
 */
export function runPipeline(input: ArchIR | readonly ArchIR[], steps: readonly PipelineStep[], options: RunOptions = {}): RunResult {
  const family = Array.isArray(input) ? [...(input as readonly ArchIR[])] : [input as ArchIR];
  const runner = new Runner(family, options.registry ?? defaultRegistry(), options.pipelines, options.observer);
  try {
    return { family: runner.run(family, steps, []), diagnostics: runner.diagnostics };
  } catch (e) {
    if (e instanceof DiagnosticError) throw new DiagnosticError([...runner.diagnostics, ...e.diagnostics]);
    throw e;
  }
}

/** Runs a pipeline written as plain text (for code and tests): `runText(net, 'cull S1; thin S2 S3 S4')`. */
export function runText(input: ArchIR | readonly ArchIR[], text: string, options: RunOptions = {}): RunResult {
  return runPipeline(input, stepsFromText(text), options);
}
