// Between hrn's positions (1-based line and column, a length, counted after a byte order mark) and
// the protocol's (0-based line and UTF-16 character, in the document's text as the editor holds it).
// Both count UTF-16 code units, as JavaScript strings do, so only the bases and the mark differ.

import type { Position, Range } from 'vscode-languageserver';
import type { SourceSpan } from '../diagnostics.js';

/** A document's text split into lines once, with whether it starts with a byte order mark. */
export class DocumentText {
  readonly lines: readonly string[];
  /** The mark is in the editor's text but not in hrn's columns of line 1. */
  private readonly bom: boolean;

  constructor(readonly text: string) {
    this.lines = text.split(/\r?\n/);
    this.bom = text.charCodeAt(0) === 0xfeff;
  }

  /** The protocol's range of a span: its first character to just past its last. */
  range(span: Pick<SourceSpan, 'line' | 'col' | 'length'>): Range {
    const line = Math.max(0, span.line - 1);
    const start = Math.max(0, span.col - 1) + (line === 0 && this.bom ? 1 : 0);
    return { start: { line, character: start }, end: { line, character: start + Math.max(0, span.length) } };
  }

  /** hrn's line and column of a protocol position. */
  lineCol(p: Position): { line: number; col: number } {
    return { line: p.line + 1, col: p.character + 1 - (p.line === 0 && this.bom ? 1 : 0) };
  }

  /** Whether the span covers the position (its last character included, and the one just after it,
   * where a cursor stands after typing a word). */
  covers(span: Pick<SourceSpan, 'line' | 'col' | 'length'>, p: Position): boolean {
    const { line, col } = this.lineCol(p);
    return line === span.line && col >= span.col && col <= span.col + span.length;
  }

  /** The word under the position: letters, digits, `_` and inner `-` (`least-critical`, `HRN-5x5x3x`). */
  wordAt(p: Position): { word: string; range: Range } | undefined {
    const text = this.lines[p.line];
    if (text === undefined) return undefined;
    const isWord = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_-]/.test(c);
    let start = Math.min(p.character, text.length);
    let end = start;
    while (start > 0 && isWord(text[start - 1])) start--;
    while (isWord(text[end])) end++;
    // A dash joins words, it does not start or end one (`S3-`, `-S2`).
    while (text[start] === '-') start++;
    while (end > start && text[end - 1] === '-') end--;
    if (end <= start) return undefined;
    return { word: text.slice(start, end), range: { start: { line: p.line, character: start }, end: { line: p.line, character: end } } };
  }

  /** The line's text before the position. */
  before(p: Position): string {
    return (this.lines[p.line] ?? '').slice(0, p.character);
  }
}
