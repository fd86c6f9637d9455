// The SNL network the kernel and training-step tests share.

import { GraphBuilder } from '../src/ir/builder.js';
import type { LayerGraph } from '../src/ir/graph.js';

/** conv-bn-masked relu (per pixel, channels 2..7), conv-bn-add-masked relu (per channel), pooling, fc. */
export function maskedGraph(): LayerGraph {
  const b = new GraphBuilder();
  const x = b.addInput('input', { c: 3, h: 6, w: 6 });
  const c1 = b.add({ op: 'conv', name: 'c1', region: 'S1', input: x, outChannels: 8, kernel: 3, stride: 1, pad: 1, groups: 1, bias: false });
  const n1 = b.add({ op: 'bn', name: 'bn1', region: 'S1', input: c1 });
  const r1 = b.add({ op: 'relu', name: 'r1', region: 'S1', input: n1, start: 2, end: 7, mask: 'pixel' });
  const c2 = b.add({ op: 'conv', name: 'c2', region: 'S1', input: r1, outChannels: 8, kernel: 3, stride: 1, pad: 1, groups: 1, bias: false });
  const n2 = b.add({ op: 'bn', name: 'bn2', region: 'S1', input: c2 });
  const a = b.add({ op: 'add', name: 'add', region: 'S1', inputs: [n2, r1] });
  const r2 = b.add({ op: 'relu', name: 'r2', region: 'S1', input: a, start: 0, end: 8, mask: 'channel' });
  const p = b.add({ op: 'avgpool', name: 'pool', region: 'head', input: r2 });
  const fc = b.add({ op: 'fc', name: 'fc', region: 'head', input: p, outFeatures: 5 });
  return b.finish('masked', fc, ['S1'], 5);
}
