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

/**
 * `file:line:col: error: message`, then the source line and a caret under the span.
 * Tabs in the excerpt are kept so the caret lines up in a terminal.
 */
export function formatDiagnostic(d: Diagnostic, sources: SourceMap): string {
  const { file, line, col, length } = d.span;
  const head = `${file}:${line}:${col}: ${d.severity}: ${d.message}`;
  const text = sources.get(file);
  if (text === undefined) return head;
  const srcLine = text.split(/\r?\n/)[line - 1];
  if (srcLine === undefined) return head;
  const pad = srcLine.slice(0, Math.max(0, col - 1)).replace(/[^\t]/g, ' ');
  const width = Math.max(1, Math.min(length, srcLine.length - (col - 1)));
  return `${head}\n  ${srcLine}\n  ${pad}^${'~'.repeat(width - 1)}`;
}

export function formatDiagnostics(diags: readonly Diagnostic[], sources: SourceMap): string {
  return diags.map((d) => formatDiagnostic(d, sources)).join('\n');
}
