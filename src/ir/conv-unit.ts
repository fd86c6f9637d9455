// The repeating piece of every residual network: convolution, batch norm, an optional residual
// add, and an optional ReLU. ReLU-reuse replaces such a unit with its own wiring (reuse.ts), so
// lowering goes through this one function for every activation site.

import type { GraphBuilder } from './builder.js';
import { emitReuseUnit } from './reuse.js';

export interface ConvUnitSpec {
  /** Name prefix of the unit's nodes, e.g. `S2.b1`. */
  prefix: string;
  /** The unit's suffix number within its block: conv1/bn1/relu1 for 1. */
  index: number;
  region: string;
  input: number;
  outChannels: number;
  kernel: number;
  stride: number;
  /** A node added after batch norm and before the activation (the residual shortcut). */
  residual?: number;
  /** Whether this unit's ReLU survived culling and thinning. */
  relu: boolean;
  /** ReLU-reuse factor N of the stage; 1 for ordinary ReLUs. */
  reuse: number;
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
