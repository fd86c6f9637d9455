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

/** Each source split into lines once, however many diagnostics quote it. */
export class SourceLines {
  private readonly split = new Map<string, string[]>();
  constructor(private readonly sources: SourceMap) {}
  line(file: string, line: number): string | undefined {
    let lines = this.split.get(file);
    if (lines === undefined) {
      const text = this.sources.get(file);
      if (text === undefined) return undefined;
      lines = text.split(/\r?\n/);
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

/** Formats the first MAX_DIAGNOSTICS, then says how many more there were. */
export function formatDiagnostics(diags: readonly Diagnostic[], sources: SourceMap): string {
  const cache = new SourceLines(sources);
  const shown = diags.slice(0, MAX_DIAGNOSTICS).map((d) => formatDiagnostic(d, sources, cache));
  const rest = diags.length - MAX_DIAGNOSTICS;
  if (rest > 0) shown.push(`(${rest} more diagnostic${rest === 1 ? '' : 's'} not shown)`);
  return shown.join('\n');
}
