// What a pass is, what it is given, and the small helpers every pass uses to read its arguments.
//
// A pass works on a *family* of networks: most passes change one network at a time, but
// `equalize width` turns one network into several (the HybReNet family) and `deepreshape` turns one
// into its whole variant family. So a pass is written as "one network in, zero or more out"
// (`apply`), and the manager maps it over the family; that keeps provenance (which output came from
// which input) for the `--debug` report.
//
// Errors: a pass throws `DiagnosticError` (src/diagnostics.ts) whose span is the offending
// argument (or the step itself when an argument is missing). Warnings and notes that do not stop the
// pipeline go to `ctx.report`. Passes never mutate their input; they return fresh objects.

import type { ArchIR } from '../ir/arch.js';
import { DiagnosticError, error, type Diagnostic, type SourceSpan } from '../diagnostics.js';

// Steps come from the parser (a `pipeline` block or `--pipeline` text) or from stepsFromText below.
import type { PipelineArg, PipelineStep } from '../ir/pipeline.js';
export type { PipelineArg, PipelineStep };

export interface PassContext {
  /** The step being run (for spans when an argument is missing). */
  readonly step: PipelineStep;
  /** Warnings and notes; errors are thrown instead. */
  report(d: Diagnostic): void;
  /**
   * Runs further steps on a family through the manager, so they are observed and recorded like
   * top-level steps (used by composite passes such as `deepreshape`). `label` names the sub-run in
   * debug headers.
   */
  runSteps(family: readonly ArchIR[], steps: readonly PipelineStep[], label?: string): ArchIR[];
}

export interface Pass<Options = unknown> {
  /** The name written in a pipeline; may be two words (`equalize width`). */
  readonly name: string;
  /** One line for `hrn compile --help` and docs. */
  readonly summary: string;
  /** The argument forms, e.g. `thin S2 S3 S4 | thin all | thin remaining`. */
  readonly usage: string;
  /**
   * When true the pass records its own history (its sub-steps do), so the manager does not append
   * the step text again.
   */
  readonly composite?: boolean;
  /** Checks the arguments once, before any network is touched. Throws DiagnosticError. */
  parse(args: readonly PipelineArg[], ctx: PassContext): Options;
  /** One network in, zero or more out. Must not mutate `net`. Throws DiagnosticError. */
  apply(net: ArchIR, options: Options, ctx: PassContext): ArchIR[];
}

/** Erases the options type so passes of different option types fit one registry. */
export type AnyPass = Pass<any>;

export function definePass<O>(p: Pass<O>): AnyPass {
  return p;
}

// ---------------------------------------------------------------------------------------------
// Errors

export function fail(span: SourceSpan, message: string): never {
  throw new DiagnosticError([error(span, message)]);
}

export function warning(span: SourceSpan, message: string): Diagnostic {
  return { severity: 'warning', message, span };
}

export function note(span: SourceSpan, message: string): Diagnostic {
  return { severity: 'note', message, span };
}

// ---------------------------------------------------------------------------------------------
// Arguments

/** Step text as written: `thin S2 S3 S4`. */
export function stepText(step: PipelineStep): string {
  return [step.pass, ...step.args.map((a) => a.text)].join(' ');
}

/** The span covering a run of arguments (same line), or the step's span when there are none. */
export function spanOf(args: readonly PipelineArg[], fallback: SourceSpan): SourceSpan {
  if (args.length === 0) return fallback;
  const first = args[0].span;
  const last = args[args.length - 1].span;
  if (first.file !== last.file || first.line !== last.line) return first;
  return { ...first, length: last.col + last.length - first.col };
}

/**
 * Joins arguments the lexer may have split but the user wrote without spaces (`last<4` lexed as
 * `last`, `<`, `4`; `least-critical` as `least`, `-`, `critical`): two arguments whose spans touch on
 * the same line become one. Arguments built by code (not from a source text) are left alone when
 * their spans do not touch.
 */
export function glueArgs(args: readonly PipelineArg[]): PipelineArg[] {
  const out: PipelineArg[] = [];
  for (const a of args) {
    const prev = out[out.length - 1];
    if (
      prev !== undefined &&
      prev.span.file === a.span.file &&
      prev.span.line === a.span.line &&
      prev.span.length > 0 &&
      prev.span.col + prev.span.length === a.span.col
    ) {
      out[out.length - 1] = {
        text: prev.text + a.text,
        span: { ...prev.span, length: prev.span.length + a.span.length },
      };
    } else {
      out.push({ text: a.text, span: a.span });
    }
  }
  return out;
}

const INTEGER = /^[0-9]+$/;

/** A positive integer argument, or a diagnostic at its span. */
export function intArg(arg: PipelineArg, what: string, min = 1): number {
  if (!INTEGER.test(arg.text)) fail(arg.span, `${what} must be a whole number, got '${arg.text}'`);
  const v = Number(arg.text);
  if (!Number.isSafeInteger(v) || v < min) fail(arg.span, `${what} must be at least ${min}, got ${arg.text}`);
  return v;
}

/** A positive number (integer or decimal, or a fraction like 1/2), or a diagnostic at its span. */
export function numberArg(arg: PipelineArg, what: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:\/([0-9]+))?$/.exec(arg.text);
  if (m === null) fail(arg.span, `${what} must be a positive number, got '${arg.text}'`);
  const v = Number(m[1]) / (m[2] === undefined ? 1 : Number(m[2]));
  if (!(v > 0) || !Number.isFinite(v)) fail(arg.span, `${what} must be a positive number, got '${arg.text}'`);
  return v;
}

/** Exactly `n` arguments, else a diagnostic naming the usage. */
export function expectArgCount(args: readonly PipelineArg[], n: number, ctx: PassContext, usage: string): void {
  if (args.length < n) fail(spanOf(args, ctx.step.span), `missing argument; usage: ${usage}`);
  if (args.length > n) fail(spanOf(args.slice(n), ctx.step.span), `unexpected argument '${args[n].text}'; usage: ${usage}`);
}

/**
 * Stage names from arguments: `S2 S3`, `all`, or `S2..S4` (case-insensitive `s`). Unknown or
 * repeated stages are diagnostics at the argument.
 */
export function stageArgs(args: readonly PipelineArg[], net: Pick<ArchIR, 'stages'>, what: string): string[] {
  const names = net.stages.map((s) => s.name);
  const out: string[] = [];
  const add = (name: string, arg: PipelineArg) => {
    if (!names.includes(name)) {
      fail(arg.span, `${what}: no stage '${arg.text}' (this network has ${names.join(', ')})`);
    }
    if (out.includes(name)) fail(arg.span, `${what}: stage ${name} named twice`);
    out.push(name);
  };
  for (const arg of args) {
    const t = arg.text;
    if (t === 'all') {
      for (const n of names) if (!out.includes(n)) out.push(n);
      continue;
    }
    const range = /^[sS]([0-9]+)\.\.[sS]?([0-9]+)$/.exec(t);
    if (range !== null) {
      const a = Number(range[1]);
      const b = Number(range[2]);
      if (a > b) fail(arg.span, `${what}: empty stage range '${t}'`);
      for (let i = a; i <= b; i++) add(`S${i}`, arg);
      continue;
    }
    const one = /^[sS]([0-9]+)$/.exec(t);
    if (one === null) fail(arg.span, `${what}: expected a stage name like S2, got '${t}'`);
    add(`S${Number(one[1])}`, arg);
  }
  return out;
}

export const BUILTIN_SPAN: SourceSpan = { file: '<builtin>', line: 1, col: 1, length: 0 };

/**
 * Steps from plain text, for pipelines written in code: steps separated by `;` or new lines,
 * words by spaces. Spans point at `span` (the user's step that asked for them), or at the text
 * itself under the file name `<builtin>`.
 */
export function stepsFromText(text: string, span?: SourceSpan): PipelineStep[] {
  const out: PipelineStep[] = [];
  text.split(/[;\n]/).forEach((line, li) => {
    const words: PipelineArg[] = [];
    const re = /\S+/g;
    for (let m = re.exec(line); m !== null; m = re.exec(line)) {
      words.push({ text: m[0], span: span ?? { file: BUILTIN_SPAN.file, line: li + 1, col: m.index + 1, length: m[0].length } });
    }
    if (words.length === 0) return;
    const stepSpan = span ?? { ...words[0].span, length: words[words.length - 1].span.col + words[words.length - 1].span.length - words[0].span.col };
    out.push({ pass: words[0].text, args: words.slice(1), span: stepSpan });
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// IR helpers

function cloneReluPlan(r: ArchIR['stages'][number]['relu']): ArchIR['stages'][number]['relu'] {
  const out = { ...r };
  if (r.culledLayers !== undefined) out.culledLayers = [...r.culledLayers];
  if (r.layerReuse !== undefined) out.layerReuse = { ...r.layerReuse };
  return out;
}

/** A deep copy, so passes can edit freely. */
export function cloneArch(net: ArchIR): ArchIR {
  const out: ArchIR = {
    ...net,
    input: { ...net.input },
    stem: { ...net.stem },
    stages: net.stages.map((s) => ({ ...s, relu: cloneReluPlan(s.relu) })),
    criticality: [...net.criticality],
    head: { ...net.head },
    history: [...net.history],
  };
  if (net.snl === undefined) delete out.snl;
  else out.snl = { ...net.snl };
  if (net.widths === undefined) delete out.widths;
  else out.widths = { m: net.widths.m, factors: [...net.widths.factors] };
  return out;
}
