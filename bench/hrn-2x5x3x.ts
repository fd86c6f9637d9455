// The network the benches measure: HRN-2x5x3x (stage width factors 2, 5 and 3 over base width m,
// two blocks a stage), built by the IR factory, so that every bench times the same graph.
// bench/first-step.mjs, plain JavaScript on dist/, spells out the same call.

import type { ArchIR } from '../src/ir/arch.js';
import { residualNetwork } from '../src/ir/factory.js';

export function hrn2x5x3x(m: number): ArchIR {
  return residualNetwork({ name: `HRN-2x5x3x(m=${m})`, m, factors: [2, 5, 3], depths: [2, 2, 2, 2], criticality: ['S3', 'S2', 'S4', 'S1'] });
}
