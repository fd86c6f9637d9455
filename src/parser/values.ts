// Values a param expression evaluates to, and how diagnostics print them.

import type { SourceSpan } from '../diagnostics.js';


export type Value = number | Value[];

const EPS = 1e-9;

export function integral(v: number): boolean {
  return Number.isFinite(v) && Math.abs(v - Math.round(v)) < EPS * Math.max(1, Math.abs(v));
}

export function formatValue(v: Value): string {
  if (Array.isArray(v)) return `[${v.map(formatValue).join(', ')}]`;
  if (integral(v)) return String(Math.round(v));
  return String(Number(v.toPrecision(10)));
}

export function describeValue(v: Value): string {
  return Array.isArray(v) ? `a list ${formatValue(v)}` : formatValue(v);
}

export function where(span: SourceSpan): string {
  return `line ${span.line}`;
}
