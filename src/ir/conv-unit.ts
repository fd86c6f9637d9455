// The repeating piece of every residual network: convolution, batch norm, an optional residual
// add, and an optional ReLU. ReLU-reuse replaces such a unit with its own wiring (reuse.ts), so
// lowering goes through this one function for every activation site.

import type { GraphBuilder } from './builder.js';
import { emitReuseUnit, type UnitShape } from './reuse.js';

export interface ConvUnitSpec extends UnitShape {
  /** Whether this unit's ReLU survived culling and thinning. */
  relu: boolean;
  /** Grouped convolution (bottleneck blocks with groups); default 1. */
  groups?: number;
}

/** Emits the unit and returns the id of its output node. */
export function emitConvUnit(b: GraphBuilder, u: ConvUnitSpec): number {
  if (u.relu && u.reuse > 1) return emitReuseUnit(b, u);
  const conv = b.add({
    op: 'conv',
    name: `${u.prefix}.conv${u.index}`,
    region: u.region,
    input: u.input,
    outChannels: u.outChannels,
    kernel: u.kernel,
    stride: u.stride,
    pad: Math.floor(u.kernel / 2),
    groups: u.groups ?? 1,
    bias: false,
  });
  let out = b.add({ op: 'bn', name: `${u.prefix}.bn${u.index}`, region: u.region, input: conv });
  if (u.residual !== undefined) {
    out = b.add({ op: 'add', name: `${u.prefix}.add`, region: u.region, inputs: [out, u.residual] });
  }
  if (u.relu) {
    const c = b.shape(out).c;
    out = b.add({ op: 'relu', name: `${u.prefix}.relu${u.index}`, region: u.region, input: out, start: 0, end: c });
  }
  return out;
}
