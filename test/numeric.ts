// Comparisons of GPU results with the reference that need no test runner (child processes use them).
import type { Weights } from '../src/weights/weights.js';

/** Normwise relative error: max |got - ref| / max |ref| (the absolute error when ref is all 0). */
export function normwiseError(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (got.length !== ref.length) throw new Error(`normwiseError: ${got.length} values against ${ref.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    num = Math.max(num, Math.abs(got[i] - ref[i]));
    den = Math.max(den, Math.abs(ref[i]));
  }
  return den === 0 ? num : num / den;
}

/** A deep copy of weights (training updates them in place). */
export const copyWeights = (w: Weights): Weights => new Map([...w].map(([k, t]) => [k, { shape: [...t.shape], data: t.data.slice() }]));
