// Max pooling (VGG-style `plain` networks): the WGSL forward kernel against the reference, the
// backward kernel against the reference backward (whole-graph gradients through pooling, with
// non-overlapping 2x2 windows, overlapping 3x3 stride-2 windows, the ImageNet stem's padded 3x3
// stride-2 windows and a global pool), and the reference backward against finite differences.
import { openTrainer } from '../src/launch/train.js';
import { describe, expect, it } from 'vitest';
import { compilePlan } from '../src/codegen/index.js';
import { GraphBuilder } from '../src/ir/builder.js';
import type { LayerGraph } from '../src/ir/graph.js';
import { backwardGraph, forwardGraph } from '../src/reference/backward.js';
import { tensor } from '../src/reference/ops.js';
import { Executor } from '../src/runtime/index.js';
import { softmaxCrossEntropy } from '../src/train/losses.js';
import { errorVsReference, inputFor, relError, useGpu, weightsFor } from './gpu-fixtures.js';
import { maxpool, maxpoolBackward } from '../src/ops/reference.js';

const gpu = useGpu();

/** conv -> bn -> maxpool(k, s, p) -> conv -> bn -> global maxpool -> fc. */
function poolGraph(name: string, c: number, h: number, w: number, k: number, s: number, p = 0): LayerGraph {
  const b = new GraphBuilder();
  const x = b.addInput('input', { c: 3, h, w });
  const c1 = b.add({ op: 'conv', name: 'c1', region: 'S1', input: x, outChannels: c, kernel: 3, stride: 1, pad: 1, groups: 1, bias: false });
  const n1 = b.add({ op: 'bn', name: 'n1', region: 'S1', input: c1 });
  const p1 = b.add({ op: 'maxpool', name: 'p1', region: 'S1', input: n1, kernel: k, stride: s, pad: p });
  const c2 = b.add({ op: 'conv', name: 'c2', region: 'S1', input: p1, outChannels: c + 2, kernel: 3, stride: 1, pad: 1, groups: 1, bias: false });
  const n2 = b.add({ op: 'bn', name: 'n2', region: 'S1', input: c2 });
  const side = b.shape(n2).h;
  const p2 = b.add({ op: 'maxpool', name: 'p2', region: 'head', input: n2, kernel: side, stride: side, pad: 0 });
  const fc = b.add({ op: 'fc', name: 'fc', region: 'head', input: p2, outFeatures: 5 });
  return b.finish(name, fc, ['S1'], 5);
}

const CASES: [string, number, number, number, number, number, number][] = [
  ['2x2 stride 2 (VGG)', 4, 8, 8, 2, 2, 0],
  ['3x3 stride 2, overlapping windows', 6, 9, 9, 3, 2, 0],
  ['2x2 stride 1', 3, 6, 6, 2, 1, 0],
  // The ImageNet stem's pooling: windows that hang over every edge, on an even and an odd side.
  ['3x3 stride 2 padding 1, 8x7', 5, 8, 7, 3, 2, 1],
];

describe('maxpool with padding (the ImageNet stem)', () => {
  it('the padding never wins: all-negative inputs keep their own maxima, 4x4 -> 2x2', () => {
    // -1 -2 -3 -4 / -5 ... -16: windows rows/columns [-1, 1] and [1, 3], clipped to the input.
    const x = tensor(1, 1, 4, 4, Float32Array.from({ length: 16 }, (_, i) => -(i + 1)));
    const y = maxpool(x, 3, 2, 1);
    expect([y.h, y.w]).toEqual([2, 2]);
    expect(Array.from(y.data)).toEqual([-1, -2, -5, -6]);
    // The gradient goes to those maxima only.
    const dx = maxpoolBackward(x, tensor(1, 1, 2, 2, Float32Array.from([1, 10, 100, 1000])), 3, 2, 1);
    const want = new Array(16).fill(0);
    [want[0], want[1], want[4], want[5]] = [1, 10, 100, 1000];
    expect(Array.from(dx.data)).toEqual(want);
  });

  it('112x112 -> 56x56 (3x3 stride 2 padding 1), 111x111 -> 56x56', () => {
    expect([maxpool(tensor(1, 1, 112, 112), 3, 2, 1).h, maxpool(tensor(1, 1, 111, 111), 3, 2, 1).h]).toEqual([56, 56]);
  });
});

describe('maxpool forward kernel vs reference', () => {
  it.each(CASES)('%s', async (name, c, h, w, k, s, p) => {
    const g = poolGraph(name, c, h, w, k, s, p);
    // The windows cover the padded plane: floor((side + 2p - k) / s) + 1 of them along each side.
    expect(g.nodes.find((n) => n.name === 'p1')!.shape).toEqual({ c, h: Math.floor((h + 2 * p - k) / s) + 1, w: Math.floor((w + 2 * p - k) / s) + 1 });
    const err = await errorVsReference(g, 3, 11, (wt) => Executor.create(gpu(), compilePlan(g, { batch: 3, subgroupSize: gpu().subgroupSize }).program, wt));
    expect(err).toBeLessThan(1e-4);
    expect(compilePlan(g, { batch: 3 }).dispatches.filter((d) => d.op === 'maxpool')).toHaveLength(2);
  });
});

describe('maxpool backward kernel vs reference (whole-graph gradients)', () => {
  // The overlapping case exercises every path of the kernel (windows sharing inputs, a global pool);
  // 2x2 stride 2 is trained in test/train-gpu.test.ts (VGG-style network).
  it.each([CASES[1], CASES[3]])('%s', async (name, c, h, w, k, s, p) => {
    const g = poolGraph(name, c, h, w, k, s, p);
    expect(g.nodes.find((n) => n.name === 'p1')!.shape.h).toBe(Math.floor((h + 2 * p - k) / s) + 1);
    const batch = 4;
    const wt = weightsFor(g, 3);
    const x = inputFor(g, batch, 5);
    const labels = Array.from({ length: batch }, (_, i) => i % 5);
    const t = await openTrainer(gpu(), g, wt, { batch });
    try {
      await t.step(x, labels, 0);
      await t.flush();
      const got = await t.readGrads();
      const tape = forwardGraph(g, new Map([...wt].map(([n, v]) => [n, { shape: [...v.shape], data: v.data.slice() }])), tensor(batch, 3, h, w, x), { training: true });
      const loss = softmaxCrossEntropy(tape.acts[g.output].data, labels, 5);
      const ref = backwardGraph(g, wt, tape, Float32Array.from(loss.grad));
      for (const [n, r] of ref.grads) expect(relError(got.get(n)!, r), n).toBeLessThan(2e-4);
    } finally {
      t.dispose();
    }
  }, 600_000); // a Trainer's pipelines take long to create on a loaded machine
});

describe('maxpool reference backward vs finite differences', () => {
  it.each([[2, 2, 0], [3, 2, 0], [2, 1, 0], [3, 2, 1]])('kernel %i stride %i padding %i', (k, s, p) => {
    // Distinct values 0.1 apart (a shuffled ramp), so a 0.01 step never changes a window's maximum.
    const n = 2 * 3 * 6 * 6;
    const vals = Array.from({ length: n }, (_, i) => 0.1 * i);
    for (let i = n - 1; i > 0; i--) {
      const j = (i * 7919 + 13) % (i + 1);
      [vals[i], vals[j]] = [vals[j], vals[i]];
    }
    const x = tensor(2, 3, 6, 6, Float32Array.from(vals));
    const y = maxpool(x, k, s, p);
    expect(y.h).toBe(Math.floor((6 + 2 * p - k) / s) + 1);
    const r = Float32Array.from({ length: y.data.length }, (_, i) => Math.sin(i + 1));
    const dx = maxpoolBackward(x, tensor(y.n, y.c, y.h, y.w, r), k, s, p);
    const loss = () => maxpool(x, k, s, p).data.reduce((acc, v, i) => acc + v * r[i], 0);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const x0 = x.data[i];
      x.data[i] = x0 + 1e-2;
      const xp = x.data[i];
      const lp = loss();
      x.data[i] = x0 - 1e-2;
      const xm = x.data[i];
      const lm = loss();
      x.data[i] = x0;
      worst = Math.max(worst, Math.abs((lp - lm) / (xp - xm) - dx.data[i]));
    }
    expect(worst).toBeLessThan(1e-3);
  });
});
