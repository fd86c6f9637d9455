// Builds architecture IR directly, without source text: used by tests, benchmarks and passes that
// synthesize networks. The parser's resolver produces the same structure from a .hrn file.

import { ORDINARY_RELUS, channelsFromBasis, stageName, type ArchIR, type BlockKind, type Shape } from './arch.js';

export interface ResidualNetworkOptions {
  name: string;
  depths: number[];
  /** Either a base width with factors, or explicit channels (one per stage). */
  m?: number;
  factors?: number[];
  channels?: number[];
  /** Stem channels; defaults to m (or the first stage's channels). */
  stemChannels?: number;
  input?: Shape;
  classes?: number;
  kernel?: number;
  block?: BlockKind;
  strides?: number[];
  /** Most critical first; defaults to S1, S2, ... */
  criticality?: string[];
  /** Bottleneck blocks: groups of every stage's kxk convolution. */
  groups?: number;
}

export function residualNetwork(o: ResidualNetworkOptions): ArchIR {
  const d = o.depths.length;
  let channels: number[];
  let widths: ArchIR['widths'];
  if (o.channels) {
    channels = o.channels;
  } else {
    if (o.m === undefined || !o.factors) throw new Error('residualNetwork: give channels, or m and factors');
    widths = { m: o.m, factors: [...o.factors] };
    channels = channelsFromBasis(widths);
  }
  if (channels.length !== d) throw new Error('residualNetwork: one channel count per stage');
  const strides = o.strides ?? o.depths.map((_, i) => (i === 0 ? 1 : 2));
  return {
    name: o.name,
    input: o.input ?? { c: 3, h: 32, w: 32 },
    classes: o.classes ?? 100,
    kernel: o.kernel ?? 3,
    stem: { channels: o.stemChannels ?? o.m ?? channels[0], kernel: 3, stride: 1 },
    block: o.block ?? 'basic',
    stages: o.depths.map((depth, i) => ({
      name: stageName(i),
      depth,
      channels: channels[i],
      stride: strides[i],
      relu: { ...ORDINARY_RELUS },
      ...(o.groups !== undefined && o.groups > 1 ? { groups: o.groups } : {}),
    })),
    widths,
    criticality: o.criticality ?? o.depths.map((_, i) => stageName(i)),
    head: { pool: 'avg', fc: true },
    history: [],
  };
}
