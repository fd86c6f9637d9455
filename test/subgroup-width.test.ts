// Subgroup kernels generated for a width narrower than the device's subgroups: a plan for width W
// must be correct on any device whose subgroups hold at least W lanes (SwiftShader: 4, lavapipe:
// 8, NVIDIA: 32). On lavapipe (8) this runs the kernels generated for widths 4 and 8 (forward
// conv, dX, dW: every kernel that uses subgroups) against the reference.

import { openTrainer } from '../src/launch/train.js';
import { describe, expect, it } from 'vitest';
import { chooseConv, compilePlan, PROFILE_NAMES } from '../src/codegen/index.js';
import { genConv } from '../src/ops/conv/kernels/conv.js';
import { GraphBuilder } from '../src/ir/builder.js';
import type { LayerGraph } from '../src/ir/graph.js';
import { backwardGraph, forwardGraph } from '../src/reference/backward.js';
import { tensor } from '../src/reference/ops.js';
import { Executor, subgroupWidth } from '../src/runtime/index.js';
import { softmaxCrossEntropy } from '../src/train/losses.js';
import { errorVsReference, inputFor, relError, useGpu, weightsFor } from './gpu-fixtures.js';

const gpu = useGpu();

/** A padded 3x3 conv, a strided grouped 3x3 conv, a 1x1 conv: the conv kernel variants. */
function net(): LayerGraph {
  const b = new GraphBuilder();
  const x = b.addInput('input', { c: 3, h: 9, w: 8 });
  const c1 = b.add({ op: 'conv', name: 'c1', region: 'S1', input: x, outChannels: 8, kernel: 3, stride: 1, pad: 1, groups: 1, bias: false });
  const n1 = b.add({ op: 'bn', name: 'n1', region: 'S1', input: c1 });
  const r1 = b.add({ op: 'relu', name: 'r1', region: 'S1', input: n1, start: 0, end: 8 });
  const c2 = b.add({ op: 'conv', name: 'c2', region: 'S1', input: r1, outChannels: 12, kernel: 3, stride: 2, pad: 1, groups: 2, bias: false });
  const n2 = b.add({ op: 'bn', name: 'n2', region: 'S1', input: c2 });
  const r2 = b.add({ op: 'relu', name: 'r2', region: 'S1', input: n2, start: 2, end: 10 });
  const c3 = b.add({ op: 'conv', name: 'c3', region: 'S1', input: r2, outChannels: 8, kernel: 1, stride: 1, pad: 0, groups: 1, bias: true });
  const pool = b.add({ op: 'avgpool', name: 'pool', region: 'head', input: c3 });
  const fc = b.add({ op: 'fc', name: 'fc', region: 'head', input: pool, outFeatures: 5 });
  return b.finish('subgroup widths', fc, ['S1'], 5);
}

const widthsBelow = (size: number) => [4, 8].filter((w) => w <= size);
// Each width is a new set of kernels for lavapipe to compile (tens of seconds on a loaded machine).
const JIT_TIMEOUT = 600_000;

describe('subgroup kernels generated for a narrower width', () => {
  it('the width is the smallest subgroup size when it is a power of two', () => {
    expect(subgroupWidth(8)).toBe(8);
    expect(subgroupWidth(4)).toBe(4);
    expect(subgroupWidth(32)).toBe(32);
    expect(subgroupWidth(undefined)).toBe(0);
    expect(subgroupWidth(0)).toBe(0);
    expect(subgroupWidth(12)).toBe(0);
  });

  it('a workgroup always holds the lanes a broadcast reads, in either profile', () => {
    const spec = { name: 'tiny', batch: 1, inC: 4, inH: 2, inW: 2, outC: 4, outH: 2, outW: 2, kernel: 3, stride: 1, pad: 1, groups: 1 };
    const view = (c: number) => ({ offset: 0, batchStride: c * 4 });
    for (const profile of PROFILE_NAMES) {
      for (const subgroupSize of [0, 8, 32]) {
        const tile = chooseConv(spec, profile, { subgroupSize, maxWorkgroupSize: 256, maxBindingBytes: 2 ** 27 });
        const k = genConv({ ...spec, input: view(4), output: view(4), subgroupSize, tile });
        expect(k.workgroupSize).toBeGreaterThanOrEqual(subgroupSize);
      }
    }
  });

  it('forward conv kernels vs the reference', async () => {
    const ctx = gpu();
    const g = net();
    for (const subgroupSize of widthsBelow(ctx.subgroupSize)) {
      const plan = compilePlan(g, { batch: 3, subgroupSize, limits: ctx.limits });
      expect(plan.kernels.some((k) => k.wgsl.includes('subgroupBroadcast')), `width ${subgroupSize}`).toBe(true);
      const err = await errorVsReference(g, 3, 2, (w) => Executor.create(ctx, plan.program, w));
      expect(err, `width ${subgroupSize}`).toBeLessThan(1e-4);
    }
  }, JIT_TIMEOUT);

  it('dX and dW kernels vs the reference gradients', async () => {
    const ctx = gpu();
    const g = net();
    const batch = 3;
    const w = weightsFor(g, 5);
    const x = inputFor(g, batch, 6);
    const labels = [0, 3, 4];
    const s = g.nodes[0].shape;
    const tape = forwardGraph(g, new Map([...w].map(([k, t]) => [k, { shape: [...t.shape], data: t.data.slice() }])), tensor(batch, s.c, s.h, s.w, x), { training: true });
    const loss = softmaxCrossEntropy(tape.acts[g.output].data, labels, g.classes);
    const ref = backwardGraph(g, w, tape, Float32Array.from(loss.grad));
    for (const subgroupWidth of widthsBelow(ctx.subgroupSize)) {
      const t = await openTrainer(ctx, g, w, { batch, subgroupWidth });
      try {
        expect(t.program.subgroupSize).toBe(subgroupWidth);
        await t.step(x, labels, 0);
        const got = await t.readGrads();
        for (const name of ['c1.weight', 'c2.weight', 'c3.weight']) {
          expect(relError(got.get(name)!, ref.grads.get(name)!), `${name}, width ${subgroupWidth}`).toBeLessThan(2e-4);
        }
      } finally {
        t.dispose();
      }
    }
  }, JIT_TIMEOUT);
});
