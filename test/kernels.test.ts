// Every kernel against the reference op, on the device (lavapipe in CI): small graphs built by
// hand so each kernel variant is exercised on odd shapes, strides, groups and channel ranges.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../src/ir/builder.js';
import type { LayerGraph } from '../src/ir/graph.js';
import { compilePlan, type Plan } from '../src/codegen/index.js';
import { runReference, softmax, argmax } from '../src/reference/index.js';
import { Executor } from '../src/runtime/index.js';
import { Rng } from '../src/weights/index.js';
import { relError, useGpu, weightsFor } from './gpu-fixtures.js';
import { convCases, convGraph, planVsReference, type ConvCase, type RunOptions } from './conv-fixtures.js';
import type { ConvSchedule } from '../src/codegen/schedule/types.js';

const gpu = useGpu();

function gpuVsReference(graph: LayerGraph, o: RunOptions): Promise<{ plan: Plan; err: number }> {
  return planVsReference(gpu(), graph, o);
}

describe('conv kernel (fused bn, residual add, relu range) vs reference', () => {
  // The path without subgroups (devices without a fixed subgroup size) on a subset: each extra
  // kernel costs lavapipe about a second of JIT on a cold shader cache.
  const withoutSubgroups = new Set([1, 2, 5, 6]);
  convCases.forEach((t, index) => {
    it(t.name, async () => {
      const g = convGraph(t);
      const sg = gpu().subgroupSize;
      for (const subgroupSize of withoutSubgroups.has(index) ? [sg, 0] : [sg]) {
        const { plan, err } = await gpuVsReference(g, { batch: t.batch, subgroupSize });
        expect(err, `subgroups ${subgroupSize}`).toBeLessThan(1e-4);
        // The whole chain is one conv kernel (plus the residual branch's own conv).
        expect(plan.dispatches.filter((d) => d.op === 'ewise')).toEqual([]);
      }
    });
  });

  it('odd register blocks: 3 pixels x 4 channels, 1 pixel x 12 channels', async () => {
    const g = convGraph(convCases[1]);
    for (const convTile of [{ ocb: 4, pxb: 3 }, { ocb: 12, pxb: 1, wg: 8 }]) {
      expect((await gpuVsReference(g, { batch: 3, convTile })).err).toBeLessThan(1e-4);
    }
  });

  it('two and three output rows per invocation: the window unrolled, each input row read once for every row it feeds', async () => {
    const sg = gpu().subgroupSize;
    convCases.forEach((t) => expect(t.h).toBeGreaterThanOrEqual(4));
    for (const [index, t] of convCases.entries()) {
      // 1x1 stride-1 unpadded convolutions are one long row: rows do not apply
      if (t.k === 1 && t.s === 1 && (t.p ?? 0) === 0) continue;
      const rows = index % 2 === 0 ? 2 : 3;
      for (const subgroupSize of index % 3 === 0 ? [sg, 0] : [sg]) {
        const { plan, err } = await gpuVsReference(convGraph(t), { batch: t.batch, subgroupSize, convTile: { rows } });
        expect(err, `${t.name}, ${rows} rows, subgroups ${subgroupSize}`).toBeLessThan(1e-4);
        expect(plan.kernels.some((k) => k.template === 'conv' && k.wgsl.includes('ROW_BLOCKS'))).toBe(true);
      }
    }
  });

  it("the halo by subgroupShuffle: a block's halo columns from the lanes beside it in the row, loaded where there are none", async () => {
    const sg = gpu().subgroupSize;
    // 5x5 padded by 2: two halo columns either side, from the neighbours' last and first quads
    const wide: ConvCase = { name: '5x5 s1 8x16 4->8 partial relu', c: 4, h: 8, w: 16, co: 8, k: 5, s: 1, g: 1, bn: true, relu: [2, 8], batch: 3 };
    const cases: Array<[ConvCase, Partial<ConvSchedule>]> = [
      [convCases[10], { pxb: 4, rows: 1 }],
      [convCases[10], { pxb: 4, rows: 2, wg: 8 }],
      [convCases[10], { pxb: 8, rows: 4, ocb: 4 }],
      [wide, { pxb: 4, rows: 2 }],
      [wide, { pxb: 8, rows: 1, wg: 8 }],
    ];
    for (const [t, tile] of cases) {
      const { plan, err } = await gpuVsReference(convGraph(t), { batch: t.batch, subgroupSize: sg, convTile: { ...tile, halo: true } });
      const what = `${t.name}, ${JSON.stringify(tile)}`;
      expect(err, what).toBeLessThan(1e-4);
      expect(plan.kernels.some((k) => k.template === 'conv' && k.wgsl.includes('subgroupShuffle')), what).toBe(true);
      expect(plan.schedules.some((s) => s.schedule.family === 'conv' && s.schedule.halo), what).toBe(true);
    }
    // Where it does not apply (stride 2; no subgroups) the kernel loads its halo, and says so.
    for (const [t, subgroupSize] of [[convCases[1], sg], [convCases[10], 0]] as const) {
      const { plan, err } = await gpuVsReference(convGraph(t), { batch: t.batch, subgroupSize, convTile: { halo: true } });
      expect(err, t.name).toBeLessThan(1e-4);
      expect(plan.kernels.some((k) => k.wgsl.includes('subgroupShuffle')), t.name).toBe(false);
      expect(plan.schedules.some((s) => s.schedule.family === 'conv' && s.schedule.halo), t.name).toBe(false);
    }
  });

  it('a pixel block of 8 overhanging rows of 12: its last quad is not stored past the row', async () => {
    for (const k of [3, 5]) {
      for (const bn of [true, false]) {
        const t: ConvCase = { name: `${k}x${k} s1 8x12 4->8${bn ? ' bn' : ''}`, c: 4, h: 8, w: 12, co: 8, k, s: 1, g: 1, bn, relu: [2, 8], batch: 3 };
        const { err } = await gpuVsReference(convGraph(t), { batch: t.batch, convTile: { pxb: 8, rows: 1 } });
        expect(err, t.name).toBeLessThan(1e-4);
      }
    }
  });

  it('a register block too large for the store loop (16 channels x 8 pixels: unrolled vec4 stores, residual, relu)', async () => {
    const { plan, err } = await gpuVsReference(convGraph(convCases[10]), { batch: 2, convTile: { ocb: 16, pxb: 8 } });
    expect(err).toBeLessThan(1e-4);
    const conv = plan.kernels.filter((k) => k.template === 'conv').map((k) => k.wgsl);
    expect(conv.some((w) => !w.includes('n_st') && /y_out\[o \+ off\] = v;/.test(w))).toBe(true);
  });

  it('unfused: conv, bn, add and relu as separate kernels', async () => {
    const { plan, err } = await gpuVsReference(convGraph(convCases[5]), { batch: 2, fuse: false });
    expect(err).toBeLessThan(1e-4);
    expect(plan.dispatches.map((d) => d.op).filter((o) => o === 'ewise').length).toBe(4);
  });

  it('dispatches split over x and z when workgroup counts exceed the limit', async () => {
    const limits = { maxComputeWorkgroupsPerDimension: 8 };
    const { plan, err } = await gpuVsReference(convGraph(convCases[10]), { batch: 2, limits, convTile: { wg: 8, rows: 1 } });
    expect(err).toBeLessThan(1e-4);
    expect(plan.dispatches.filter((d) => d.op === 'conv' && d.workgroups[2] > 1).length).toBe(2);
    expect(plan.dispatches.every((d) => d.workgroups.every((n) => n <= 8))).toBe(true);
  });
});

describe('elementwise, slice/concat, pooling, fc, softmax, argmax vs reference', () => {
  const build = (name: string, c: number, h: number, w: number, f: (b: GraphBuilder, x: number) => number) => {
    const b = new GraphBuilder();
    const x = b.addInput('input', { c, h, w });
    const y = f(b, x);
    const s = b.shape(y);
    return b.finish(name, y, ['S1'], s.c * s.h * s.w);
  };

  it('standalone batch norm (scalar and vec4 planes)', async () => {
    for (const [h, w] of [[7, 5], [4, 4]]) {
      const g = build('bn', 5, h, w, (b, x) => b.add({ op: 'bn', name: 'bn', region: 'S1', input: x }));
      expect((await gpuVsReference(g, { batch: 3 })).err).toBeLessThan(1e-4);
    }
  });

  it('relu on a channel range, fused bn -> relu', async () => {
    const g = build('relu', 7, 3, 3, (b, x) => b.add({ op: 'relu', name: 'r', region: 'S1', input: x, start: 2, end: 5 }));
    expect((await gpuVsReference(g, { batch: 2 })).err).toBeLessThan(1e-4);
    const g2 = build('bnrelu', 6, 4, 4, (b, x) => {
      const n = b.add({ op: 'bn', name: 'bn', region: 'S1', input: x });
      return b.add({ op: 'relu', name: 'r', region: 'S1', input: n, start: 1, end: 4 });
    });
    const { plan, err } = await gpuVsReference(g2, { batch: 2 });
    expect(err).toBeLessThan(1e-4);
    expect(plan.dispatches[0].nodes).toEqual(['bn', 'r']);
  });

  it('add of two slices, and bn -> add -> relu fused', async () => {
    const g = build('add', 8, 5, 3, (b, x) => {
      const s1 = b.add({ op: 'slice', name: 's1', region: 'S1', input: x, start: 0, end: 4 });
      const s2 = b.add({ op: 'slice', name: 's2', region: 'S1', input: x, start: 4, end: 8 });
      const a = b.add({ op: 'add', name: 'add', region: 'S1', inputs: [s1, s2] });
      return b.add({ op: 'relu', name: 'r', region: 'S1', input: a, start: 1, end: 3 });
    });
    expect((await gpuVsReference(g, { batch: 2 })).err).toBeLessThan(1e-4);
    const g2 = build('bnadd', 8, 4, 4, (b, x) => {
      const s1 = b.add({ op: 'slice', name: 's1', region: 'S1', input: x, start: 0, end: 4 });
      const s2 = b.add({ op: 'slice', name: 's2', region: 'S1', input: x, start: 4, end: 8 });
      const n = b.add({ op: 'bn', name: 'bn', region: 'S1', input: s2 });
      const a = b.add({ op: 'add', name: 'add', region: 'S1', inputs: [n, s1] });
      return b.add({ op: 'relu', name: 'r', region: 'S1', input: a, start: 0, end: 4 });
    });
    const { plan, err } = await gpuVsReference(g2, { batch: 3 });
    expect(err).toBeLessThan(1e-4);
    expect(plan.dispatches[0].nodes).toEqual(['bn', 'add', 'r']);
  });

  it('concat written in place, with copies for the input, repeats and nested concats', async () => {
    const g = build('cat', 4, 5, 5, (b, x) => {
      const c1 = b.add({ op: 'conv', name: 'c1', region: 'S1', input: x, outChannels: 6, kernel: 3, stride: 1, pad: 1, groups: 1, bias: false });
      const r1 = b.add({ op: 'relu', name: 'r1', region: 'S1', input: c1, start: 0, end: 3 });
      const s1 = b.add({ op: 'slice', name: 's1', region: 'S1', input: r1, start: 2, end: 6 });
      const c2 = b.add({ op: 'conv', name: 'c2', region: 'S1', input: s1, outChannels: 4, kernel: 1, stride: 1, pad: 0, groups: 2, bias: true });
      const inner = b.add({ op: 'concat', name: 'inner', region: 'S1', inputs: [c2, s1] });
      const cat = b.add({ op: 'concat', name: 'cat', region: 'S1', inputs: [r1, inner, x, c2] });
      return b.add({ op: 'conv', name: 'mix', region: 'S1', input: cat, outChannels: 5, kernel: 1, stride: 1, pad: 0, groups: 1, bias: true });
    });
    const { plan, err } = await gpuVsReference(g, { batch: 2 });
    expect(err).toBeLessThan(1e-4);
    expect(plan.dispatches.filter((d) => d.op === 'copy').length).toBeGreaterThan(0);
  });

  it('a graph whose output is a slice gets a dense copy', async () => {
    const g = build('sliceout', 4, 3, 5, (b, x) => {
      const c = b.add({ op: 'conv', name: 'c', region: 'S1', input: x, outChannels: 8, kernel: 3, stride: 1, pad: 1, groups: 1, bias: true });
      return b.add({ op: 'slice', name: 's', region: 'S1', input: c, start: 3, end: 7 });
    });
    const { plan, err } = await gpuVsReference(g, { batch: 2 });
    expect(err).toBeLessThan(1e-4);
    expect(plan.dispatches.map((d) => d.op)).toEqual(['conv', 'copy', 'softmax', 'argmax']);
  });

  it('global average pooling (scalar and vec4 planes)', async () => {
    for (const [h, w] of [[7, 5], [4, 4], [1, 1]]) {
      const g = build('pool', 9, h, w, (b, x) => b.add({ op: 'avgpool', name: 'pool', region: 'head', input: x }));
      expect((await gpuVsReference(g, { batch: 3 })).err).toBeLessThan(1e-4);
    }
  });

  it('fc on an unaligned flattened input and on pooled features', async () => {
    const g = build('fc', 3, 5, 5, (b, x) => b.add({ op: 'fc', name: 'fc', region: 'head', input: x, outFeatures: 7 }));
    expect((await gpuVsReference(g, { batch: 2 })).err).toBeLessThan(1e-4);
    const g2 = build('poolfc', 16, 3, 3, (b, x) => {
      const p = b.add({ op: 'avgpool', name: 'pool', region: 'head', input: x });
      return b.add({ op: 'fc', name: 'fc', region: 'head', input: p, outFeatures: 10 });
    });
    expect((await gpuVsReference(g2, { batch: 4 })).err).toBeLessThan(1e-4);
  });

  it('softmax and argmax heads', async () => {
    const g = build('head', 16, 2, 2, (b, x) => {
      const p = b.add({ op: 'avgpool', name: 'pool', region: 'head', input: x });
      return b.add({ op: 'fc', name: 'fc', region: 'head', input: p, outFeatures: 11 });
    });
    const w = weightsFor(g, 3);
    for (const t of w.values()) for (let i = 0; i < t.data.length; i++) t.data[i] *= 8; // spread the logits
    const batch = 6;
    const ex = await Executor.create(gpu(), compilePlan(g, { batch, subgroupSize: gpu().subgroupSize }).program, w);
    try {
      const x = new Rng(9).fillNormal(new Float32Array(batch * 64), 1);
      const out = await ex.classify(x);
      const ref = runReference(g, w, x, batch);
      expect(relError(out.logits, ref)).toBeLessThan(1e-4);
      expect(relError(out.probs, softmax(ref, batch))).toBeLessThan(1e-4);
      expect(Array.from(out.classes)).toEqual(Array.from(argmax(ref, batch)));
      for (let n = 0; n < batch; n++) {
        const row = out.probs.subarray(n * 11, (n + 1) * 11);
        expect(Math.abs(row.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-5);
      }
    } finally {
      ex.dispose();
    }
  });
});
