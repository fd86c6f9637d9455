// Small graphs for the training-memory tests: one with slices and concatenations (ReLU reuse), and
// one whose gradient buffer the step must clear, in an allocation a later gradient takes over.

import { GraphBuilder } from '../src/ir/builder.js';
import { residualNetwork } from '../src/ir/factory.js';
import type { LayerGraph } from '../src/ir/graph.js';
import { lowerToGraph } from '../src/ir/lower.js';

/** A residual network with ReLU-reuse units (what `--pipeline "reuse 4"` makes): slices and concatenations. */
export function reluReuseGraph(): LayerGraph {
  const arch = residualNetwork({ name: 'relu-reuse', depths: [1, 1], channels: [8, 16], input: { c: 3, h: 6, w: 6 }, classes: 6 });
  arch.stages.forEach((s) => (s.relu = { ...s.relu, reuse: 4 }));
  return lowerToGraph(arch);
}

/**
 * conv c0 (8 channels) -> bn -> relu -> conv c1 (6 channels) of which only a 3-channel slice is
 * used: the other channels of c1's gradient are never written, so the step clears that buffer,
 * and c0's larger gradient later reuses its memory.
 */
export function clearedGradientGraph(): LayerGraph {
  const b = new GraphBuilder();
  const conv = (name: string, input: number, outChannels: number) => b.add({ op: 'conv', name, region: 'S1', input, outChannels, kernel: 3, stride: 1, pad: 1, groups: 1, bias: false });
  const x = b.addInput('input', { c: 2, h: 6, w: 6 });
  const n0 = b.add({ op: 'bn', name: 'bn0', region: 'S1', input: conv('c0', x, 8) });
  const r0 = b.add({ op: 'relu', name: 'r0', region: 'S1', input: n0, start: 0, end: 8 });
  const sl = b.add({ op: 'slice', name: 'sl', region: 'S1', input: conv('c1', r0, 6), start: 0, end: 3 });
  const r = b.add({ op: 'relu', name: 'r', region: 'S1', input: sl, start: 0, end: 3 });
  const n2 = b.add({ op: 'bn', name: 'bn2', region: 'S1', input: conv('c2', r, 4) });
  const r2 = b.add({ op: 'relu', name: 'r2', region: 'S1', input: n2, start: 0, end: 4 });
  const p = b.add({ op: 'avgpool', name: 'pool', region: 'head', input: r2 });
  const f = b.add({ op: 'fc', name: 'fc', region: 'head', input: p, outFeatures: 3 });
  return b.finish('cleared', f, ['S1'], 3);
}
