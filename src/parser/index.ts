// The .hrn front end: text -> tokens -> CST -> AST (parseHrn) -> ArchIR (resolveNetwork).
// Nothing here throws on user input; every problem comes back as a Diagnostic with its position.

import type { IRecognitionException, IToken } from 'chevrotain';
import { error, withoutBom, type Diagnostic, type SourceSpan } from '../diagnostics.js';
import type { ArchIR } from '../ir/arch.js';
import type { Expr, HrnFile, Name, NetworkDecl, Override, PipelineStep, SampleValue } from './ast.js';
import { tokenize, type LexError, type LexMode } from './lexer.js';
import { hrnParser, MAX_SYNTAX_ERRORS, TooManySyntaxErrors } from './parser.js';
import { lineLengthProblem, tokenLimitProblem } from './limits.js';
import { resolve } from './resolve.js';
import { isRealToken, SourceText, type Origin } from './spans.js';
import { AstBuilder, type FileAst } from './visitor.js';

// The AST is the front end's public vocabulary: every type of it, for the passes, the CLI and tests.
export type * from './ast.js';
export { DEFAULTS, formatValue, type Value } from './resolve.js';

type StartRule = 'hrnFile' | 'pipelineText' | 'override' | 'overrideValue' | 'sampleText';

interface Parsed {
  cst: unknown;
  src: SourceText;
  diagnostics: Diagnostic[];
  /** Offsets of the syntax errors (NaN: at the end of the input). */
  errorOffsets: number[];
}

function lexMessage(e: LexError): string {
  const shown = JSON.stringify(e.text).slice(1, -1);
  return e.length === 1 ? `unexpected character '${shown}'` : `unexpected characters '${shown}'`;
}

function errorSpan(src: SourceText, e: IRecognitionException): { span: SourceSpan; offset: number } {
  const tok: IToken = e.token;
  if (isRealToken(e.token)) return { span: src.tokenSpan(e.token), offset: e.token.startOffset };
  // An end of line implied before `}` or at the end of the text sits at a real offset.
  if (Number.isFinite(tok.startOffset) && tok.startOffset >= 0) {
    return { span: src.span(tok.startOffset, tok.startOffset), offset: tok.startOffset };
  }
  return { span: src.endSpan(), offset: NaN };
}

/** Lex and parse `text` from `rule`, in the lexer mode that rule expects. */
function run(text: string, origin: Origin, mode: LexMode, rule: StartRule, finalNewline: boolean): Parsed {
  const src = new SourceText(text, origin);
  // Past a limit the text is not parsed at all: the parser's work (and its recursion) grows with it.
  const tooLong = lineLengthProblem(src);
  if (tooLong) return { cst: undefined, src, diagnostics: [tooLong], errorOffsets: [NaN] };
  const found: Array<{ diag: Diagnostic; offset: number }> = [];
  const lex = tokenize(text, mode, finalNewline);
  const tooBig = tokenLimitProblem(src, lex.tokens);
  if (tooBig) return { cst: undefined, src, diagnostics: [tooBig], errorOffsets: [NaN] };
  const tokenAt = new Set(lex.tokens.map((t) => t.startOffset));
  for (const e of lex.errors) {
    // A '}' with no block to close still becomes a token; the parser reports it in context.
    if (tokenAt.has(e.offset)) continue;
    found.push({ diag: error(src.span(e.offset, e.offset + e.length - 1), lexMessage(e)), offset: e.offset });
  }
  const parser = hrnParser();
  parser.input = lex.tokens;
  let cst: unknown;
  let stopped = false;
  try {
    cst = parser[rule]();
  } catch (e) {
    if (!(e instanceof TooManySyntaxErrors)) throw e;
    stopped = true;
  }
  for (const e of parser.errors) {
    const { span, offset } = errorSpan(src, e);
    found.push({ diag: error(span, e.message), offset });
  }
  // Recovery skips to the next token that could go on, which may be on the same line; what it
  // reports there is nearly always an echo of the first mistake. Keep the first error per line.
  found.sort((a, b) => byPosition(a.diag, b.diag));
  const diagnostics: Diagnostic[] = [];
  const errorOffsets: number[] = [];
  const lines = new Set<number>();
  for (const f of found) {
    if (lines.has(f.diag.span.line)) continue;
    lines.add(f.diag.span.line);
    if (diagnostics.length === MAX_SYNTAX_ERRORS) {
      stopped = true;
      break;
    }
    diagnostics.push(f.diag);
    errorOffsets.push(f.offset);
  }
  if (stopped) {
    const last = diagnostics[diagnostics.length - 1];
    diagnostics.push(error(last.span, `too many syntax errors; stopped after ${MAX_SYNTAX_ERRORS} (is this a .hrn file?)`));
  }
  return { cst, src, diagnostics, errorOffsets };
}

function internalError(file: string, e: unknown): Diagnostic {
  const msg = e instanceof Error ? e.message : String(e);
  return error({ file, line: 1, col: 1, length: 1 }, `internal error in the parser: ${msg}`);
}

function byPosition(a: Diagnostic, b: Diagnostic): number {
  return a.span.line - b.span.line || a.span.col - b.span.col;
}

export function parseHrn(source: string, path: string): { file: HrnFile; diagnostics: Diagnostic[] } {
  const file: HrnFile = { path, networks: [], pipelines: [], sweeps: [] };
  // Editors on Windows may start a UTF-8 file with a byte order mark. It is not text: positions
  // count from the character after it, as the excerpts do (SourceLines drops it too).
  const text = withoutBom(source);
  try {
    const p = run(text, { file: path, line: 1, col: 1 }, 'top', 'hrnFile', true);
    const ast: FileAst =
      p.cst === undefined ? { networks: [], pipelines: [], sweeps: [], starts: [] } : (new AstBuilder(p.src).visit(p.cst as never) as FileAst);
    file.networks = ast.networks;
    file.pipelines = ast.pipelines;
    file.sweeps = ast.sweeps;

    // A syntax error belongs to the declaration it falls in (one at the very end: the last one).
    for (const off of p.errorOffsets) {
      let owner: FileAst['starts'][number]['decl'] | undefined;
      for (const s of ast.starts) if (Number.isNaN(off) || s.offset <= off) owner = s.decl;
      if (owner && 'statements' in owner) owner.hasSyntaxErrors = true;
    }

    const diagnostics = [...p.diagnostics];
    const dup = (kind: string, decls: Array<{ name: string; nameSpan: SourceSpan }>) => {
      const first = new Map<string, SourceSpan>();
      for (const d of decls) {
        if (d.name === '') continue;
        const f = first.get(d.name);
        if (f) diagnostics.push(error(d.nameSpan, `duplicate ${kind} '${d.name}' (the first is at line ${f.line})`));
        else first.set(d.name, d.nameSpan);
      }
    };
    dup('network', file.networks);
    dup('pipeline', file.pipelines);
    dup('sweep', file.sweeps);
    diagnostics.sort(byPosition);
    return { file, diagnostics };
  } catch (e) {
    return { file, diagnostics: [internalError(path, e)] };
  }
}

/**
 * Steps written on the command line, same syntax as a pipeline body; `origin` is the pseudo file
 * name, e.g. '<--pipeline>'. `at`: where the text starts in that file, for steps written inside a
 * .hrn file (a sweep's pipeline strings).
 */
export function parsePipelineText(text: string, origin: string, at: { line: number; col: number } = { line: 1, col: 1 }): { steps: PipelineStep[]; diagnostics: Diagnostic[] } {
  try {
    const p = run(text, { file: origin, ...at }, 'pipeText', 'pipelineText', true);
    const steps = p.cst === undefined ? [] : ((new AstBuilder(p.src).visit(p.cst as never) as PipelineStep[] | undefined) ?? []);
    return { steps, diagnostics: p.diagnostics.sort(byPosition) };
  } catch (e) {
    return { steps: [], diagnostics: [internalError(origin, e)] };
  }
}

/** `m=32`, `widths=[5,5,3]`; origin e.g. '<--set>'. */
export function parseOverride(text: string, origin: string): { override?: Override; diagnostics: Diagnostic[] } {
  try {
    const p = run(text, { file: origin, line: 1, col: 1 }, 'setText', 'override', false);
    if (text.trim() === '') {
      return { diagnostics: [error(p.src.endSpan(), 'expected NAME=VALUE (e.g. m=32 or widths=[5,5,3])')] };
    }
    const r = (p.cst === undefined ? {} : new AstBuilder(p.src).visit(p.cst as never)) as { name?: IToken; value?: Expr };
    if (p.diagnostics.length > 0 || r.name === undefined || r.value === undefined) {
      return { diagnostics: p.diagnostics.sort(byPosition) };
    }
    const nameSpan = p.src.tokenSpan(r.name);
    const v = r.value.span;
    // The value's extent in the text: from its first character to the end of the last token.
    const start = offsetOf(text, v.line, v.col);
    const valueText = text.slice(start).trimEnd();
    const span = p.src.span(start, start + valueText.length - 1);
    return { override: { name: r.name.image, text: valueText, span, nameSpan, value: r.value }, diagnostics: [] };
  } catch (e) {
    return { diagnostics: [internalError(origin, e)] };
  }
}

/** `lr=loguniform(0.01,0.3)`, as a sweep block's `sample` line without the keyword; origin e.g. '<--sample>'. */
export function parseSampleText(text: string, origin: string): { param?: Name; value?: SampleValue; diagnostics: Diagnostic[] } {
  try {
    const p = run(text, { file: origin, line: 1, col: 1 }, 'sampleText', 'sampleText', false);
    if (text.trim() === '') return { diagnostics: [error(p.src.endSpan(), 'expected NAME=DISTRIBUTION (e.g. lr=loguniform(0.01,0.3))')] };
    const r = (p.cst === undefined ? {} : new AstBuilder(p.src).visit(p.cst as never)) as { param?: IToken; value?: SampleValue };
    if (p.diagnostics.length > 0 || r.param === undefined || r.value === undefined) return { diagnostics: p.diagnostics.sort(byPosition) };
    return { param: { name: r.param.image, span: p.src.tokenSpan(r.param) }, value: r.value, diagnostics: [] };
  } catch (e) {
    return { diagnostics: [internalError(origin, e)] };
  }
}

function offsetOf(text: string, line: number, col: number): number {
  let off = 0;
  for (let l = 1; l < line; l++) off = text.indexOf('\n', off) + 1;
  return off + col - 1;
}

/** Parses an override's value text, with positions in the override's origin. */
function parseOverrideValue(o: Override): { value?: Expr; diagnostics: Diagnostic[] } {
  const p = run(o.text, { file: o.span.file, line: o.span.line, col: o.span.col }, 'setText', 'overrideValue', false);
  if (o.text.trim() === '') {
    return { diagnostics: [error(o.span, `--set ${o.name}: expected a value after '='`)] };
  }
  const value = p.cst === undefined ? undefined : (new AstBuilder(p.src).visit(p.cst as never) as Expr | undefined);
  return p.diagnostics.length > 0 || value === undefined ? { diagnostics: p.diagnostics } : { value, diagnostics: [] };
}

/**
 * Evaluates params (overrides replace defaults; an override naming no param is an error), checks
 * semantics, builds ArchIR with ORDINARY_RELUS on every stage and history []. `sources` (file name
 * -> text) lets messages quote the expression a bad value came from. A declaration with syntax
 * errors yields no ArchIR; only the problems visible in the parts that parsed are reported.
 */
export function resolveNetwork(
  decl: NetworkDecl,
  overrides: readonly Override[],
  sources: Map<string, string>,
): { arch?: ArchIR; diagnostics: Diagnostic[] } {
  try {
    const r = resolve(decl, overrides, sources, { parseValue: parseOverrideValue });
    r.diagnostics.sort(byPosition);
    return r;
  } catch (e) {
    return { diagnostics: [internalError(decl.span.file, e)] };
  }
}
