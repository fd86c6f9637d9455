// ReLU-reuse lowering. Owned by the passes work; until it lands, a network with `reuse N`
// cannot be lowered and says so plainly instead of producing a wrong graph.

import type { GraphBuilder } from './builder.js';
import type { ConvUnitSpec } from './conv-unit.js';

export function emitReuseUnit(_b: GraphBuilder, u: ConvUnitSpec): number {
  throw new Error(`${u.prefix}: ReLU-reuse lowering is not available yet`);
}
