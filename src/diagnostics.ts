// Diagnostics are the only way hrn reports a user's mistake: a position, a message, and the
// offending source line with a caret. Every stage (parser, checks, passes, CLI) produces these.

export type Severity = 'error' | 'warning' | 'note';

/** A 1-based position in a source text. `length` is how many characters the caret underlines. */
export interface SourceSpan {
  file: string;
  line: number;
  col: number;
  length: number;
}

export interface Diagnostic {
  severity: Severity;
  message: string;
  span: SourceSpan;
}

/** Sources by file name, so a diagnostic can quote its line. Command-line text counts as a file. */
export type SourceMap = ReadonlyMap<string, string>;

export function error(span: SourceSpan, message: string): Diagnostic {
  return { severity: 'error', message, span };
}

/** Raised by library code when it cannot go on; the CLI turns it into formatted output. */
export class DiagnosticError extends Error {
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    super(diagnostics.map((d) => `${d.span.file}:${d.span.line}:${d.span.col}: ${d.severity}: ${d.message}`).join('\n'));
    this.name = 'DiagnosticError';
    this.diagnostics = diagnostics;
  }
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === 'error');
}

/** At most this many diagnostics are shown for one command; the rest are only counted. */
export const MAX_DIAGNOSTICS = 100;

/** Excerpts of longer lines show a window around the caret, so one huge line prints small. */
const EXCERPT_WIDTH = 160;

/** The text without a leading UTF-8 byte order mark, which editors may write and is not part of line 1. */
export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Each source split into lines once, however many diagnostics quote it. */
export class SourceLines {
  private readonly split = new Map<string, string[]>();
  constructor(private readonly sources: SourceMap) {}
  line(file: string, line: number): string | undefined {
    let lines = this.split.get(file);
    if (lines === undefined) {
      const text = this.sources.get(file);
      if (text === undefined) return undefined;
      lines = withoutBom(text).split(/\r?\n/);
      this.split.set(file, lines);
    }
    return lines[line - 1];
  }
}

/**
 * `file:line:col: error: message`, then the source line and a caret under the span.
 * Tabs in the excerpt are kept so the caret lines up in a terminal.
 */
export function formatDiagnostic(d: Diagnostic, sources: SourceMap, cache = new SourceLines(sources)): string {
  const { file, line, col, length } = d.span;
  const head = `${file}:${line}:${col}: ${d.severity}: ${d.message}`;
  let srcLine = cache.line(file, line);
  if (srcLine === undefined) return head;
  let c = col;
  if (srcLine.length > EXCERPT_WIDTH) {
    const from = Math.max(0, Math.min(col - 1 - EXCERPT_WIDTH / 2, srcLine.length - EXCERPT_WIDTH));
    const lead = from > 0 ? '...' : '';
    srcLine = lead + srcLine.slice(from, from + EXCERPT_WIDTH) + (from + EXCERPT_WIDTH < srcLine.length ? '...' : '');
    c = col - from + lead.length;
  }
  const pad = srcLine.slice(0, Math.max(0, c - 1)).replace(/[^\t]/g, ' ');
  const width = Math.max(1, Math.min(length, srcLine.length - (c - 1)));
  return `${head}\n  ${srcLine}\n  ${pad}^${'~'.repeat(width - 1)}`;
}

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, note: 2 };

/** `3 more errors and 80 more notes`: what the cap left out, by severity. */
function leftOut(diags: readonly Diagnostic[]): string {
  const parts = (['error', 'warning', 'note'] as const)
    .map((s) => [s, diags.filter((d) => d.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} more ${s}${n === 1 ? '' : 's'}`);
  return parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/**
 * Formats at most MAX_DIAGNOSTICS, errors first, then warnings, then notes (each kind in the order
 * given), and says how many of each kind were left out. Passes report a note per network, so a
 * family of networks can fill the cap with notes; putting errors first means the cap never hides
 * the error that stopped the command.
 */
export function formatDiagnostics(diags: readonly Diagnostic[], sources: SourceMap): string {
  const cache = new SourceLines(sources);
  const ordered = diags
    .map((d, i) => ({ d, i }))
    .sort((a, b) => SEVERITY_RANK[a.d.severity] - SEVERITY_RANK[b.d.severity] || a.i - b.i)
    .map((x) => x.d);
  const shown = ordered.slice(0, MAX_DIAGNOSTICS).map((d) => formatDiagnostic(d, sources, cache));
  const rest = ordered.slice(MAX_DIAGNOSTICS);
  if (rest.length > 0) shown.push(`(${leftOut(rest)} not shown)`);
  return shown.join('\n');
}
