// Refusing weights that hold NaN or infinity (a diverged run, a damaged file), naming the first
// such tensor and element, before they reach a kernel or leave hrn in an export.

import type { Weights } from './weights.js';

/** Throws naming the first tensor (in name order) with a value that is not finite. */
export function assertFiniteWeights(weights: Weights, source = 'weights'): void {
  for (const name of [...weights.keys()].sort()) {
    const data = weights.get(name)!.data;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        throw new Error(`${source}: tensor ${name} holds ${data[i]} at element ${i}; the weights are not usable (did training diverge?)`);
      }
    }
  }
}
