// Source positions: chevrotain gives 0-based offsets; diagnostics want 1-based line/col and a
// length that a caret can underline on one line. A `SourceText` turns offset ranges into spans and
// can shift them, for text that was cut out of a larger one (an override's value).

import type { CstElement, CstNode, IToken } from 'chevrotain';
import type { SourceSpan } from '../diagnostics.js';

export interface Origin {
  file: string;
  /** Where offset 0 of the text sits in its file (1-based); 1:1 for a whole file. */
  line: number;
  col: number;
}

export class SourceText {
  readonly text: string;
  readonly origin: Origin;
  private readonly lineStarts: number[];

  constructor(text: string, origin: Origin) {
    this.text = text;
    this.origin = origin;
    this.lineStarts = [0];
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  get file(): string {
    return this.origin.file;
  }

  /** 0-based line index of an offset (offsets past the end belong to the last line). */
  private lineIndex(offset: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * The span of text[start..end] (inclusive). A range over several lines is cut at the end of its
   * first line: the caret underlines that much and the message says the rest.
   */
  span(start: number, end: number): SourceSpan {
    const s = Math.max(0, Math.min(Number.isFinite(start) ? start : this.text.length, this.text.length));
    const li = this.lineIndex(s);
    const lineStart = this.lineStarts[li];
    const nextStart = li + 1 < this.lineStarts.length ? this.lineStarts[li + 1] - 1 : this.text.length;
    const e = Number.isFinite(end) ? end : s;
    const length = Math.max(1, Math.min(e - s + 1, nextStart - s));
    const line = this.origin.line + li;
    const col = (li === 0 ? this.origin.col : 1) + (s - lineStart);
    return { file: this.origin.file, line, col, length };
  }

  /** Just past the last character: where "end of input" is reported. */
  endSpan(): SourceSpan {
    return this.span(this.text.length, this.text.length);
  }

  tokenSpan(tok: IToken): SourceSpan {
    if (!isRealToken(tok)) return this.endSpan();
    return this.span(tok.startOffset, tok.endOffset ?? tok.startOffset + tok.image.length - 1);
  }

  /** From the first character of `a` to the last of `b`. */
  between(a: SourceSpan, b: SourceSpan): SourceSpan {
    if (a.line !== b.line || a.file !== b.file) return a;
    return { ...a, length: Math.max(1, b.col + b.length - a.col) };
  }
}

/** Tokens that stand for characters of the source (not inserted by recovery or layout rules). */
export function isRealToken(tok: IToken | undefined): tok is IToken {
  if (tok === undefined) return false;
  if (tok.isInsertedInRecovery) return false;
  if ((tok as { synthetic?: unknown }).synthetic !== undefined) return false;
  return Number.isFinite(tok.startOffset);
}

function isToken(el: CstElement): el is IToken {
  return (el as IToken).tokenType !== undefined;
}

/** First and last source offsets covered by a CST subtree's real tokens (a node, or its children). */
export function extent(node: CstElement | Record<string, CstElement[] | undefined>): { start: number; end: number } | undefined {
  if (isToken(node as CstElement)) {
    const t = node as IToken;
    if (!isRealToken(t)) return undefined;
    return { start: t.startOffset, end: t.endOffset ?? t.startOffset + t.image.length - 1 };
  }
  const childMap = (node as CstNode).children !== undefined && typeof (node as CstNode).name === 'string'
    ? (node as CstNode).children
    : (node as Record<string, CstElement[] | undefined>);
  let start = Infinity;
  let end = -Infinity;
  for (const children of Object.values(childMap)) {
    if (children === undefined) continue;
    for (const child of children) {
      const r = extent(child);
      if (r === undefined) continue;
      if (r.start < start) start = r.start;
      if (r.end > end) end = r.end;
    }
  }
  return Number.isFinite(start) ? { start, end } : undefined;
}
