// SNL's partial ReLU in the kernels: the elementwise forward (inference constants and training
// arguments), the chain backward's input gradient and the mask gradient, each run on the device on
// its own against src/ops/relu/reference.ts, and the reference itself against central differences.

import { describe, expect, it } from 'vitest';
import { SplitMix32 } from '../src/util/rng.js';
import { tensor, type Tensor } from '../src/reference/ops.js';
import { maskedRelu, maskedReluBackward, maskSize, type MaskGranularity } from '../src/ops/relu/reference.js';
import { genEwise } from '../src/codegen/kernels/ewise.js';
import { genChainBwd } from '../src/codegen/kernels/chain-bwd.js';
import { runFor } from '../src/codegen/schedule/elementwise.js';
import { fuseGraph } from '../src/codegen/graph/fuse.js';
import { genReluMaskDm, reluPart } from '../src/ops/relu/kernels.js';
import { addKernels } from '../src/ops/add/kernels.js';
import { bnKernels } from '../src/ops/bn/kernels.js';
import type { AddNode } from '../src/ops/add/graph.js';
import type { BatchNormNode } from '../src/ops/bn/graph.js';
import { DEFAULT_DISPATCH_LIMITS, type GeneratedKernel } from '../src/codegen/kernels/common.js';
import type { TrainKernel } from '../src/codegen/kernels/train-common.js';
import { inputFor, useGpu, relError, weightsFor } from './gpu-fixtures.js';
import { compilePlan } from '../src/codegen/index.js';
import { runReference } from '../src/reference/index.js';
import { Executor } from '../src/runtime/index.js';
import { Rng } from '../src/weights/index.js';
import { dispatchKernel } from './kernel-dispatch.js';
import { maskedGraph } from './snl-fixtures.js';

const gpu = useGpu();
// Nodes for the ops' parts: their forward parts read nothing of a batch norm or add node but its name.
const bnNode = { op: 'bn', name: 'bn' } as BatchNormNode;
const addNode = { op: 'add', name: 'add' } as AddNode;
const rng = new SplitMix32(23);
const rand = (n: number, lo = -1, hi = 1) => Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.next());
const randT = (n: number, c: number, h: number, w: number) => tensor(n, c, h, w, rand(n * c * h * w));
/**
 * Mask values in [0, 1] with exact 0s and 1s among them (the binary masks after binarization), and
 * a few outside [0, 1] (where SGD may leave them; the kernels clamp).
 */
function maskFor(x: Tensor, start: number, end: number, g: MaskGranularity): Float32Array {
  const m = rand(maskSize(x, start, end, g), 0, 1);
  for (let i = 0; i < m.length; i += 3) m[i] = i % 2;
  for (let i = 1; i < m.length; i += 4) m[i] = i % 8 === 1 ? 1.6 : -0.4;
  return m;
}

/** Runs an inference-style kernel whose bindings name template slots. */
async function runSlots(k: GeneratedKernel, data: Record<string, Float32Array>): Promise<Record<string, Float32Array>> {
  const buffers = k.bindings.map((b) => ({ binding: b.binding, data: data[b.slots[0]] }));
  const out = await dispatchKernel(gpu(), k, buffers);
  return Object.fromEntries(k.bindings.map((b) => [b.slots[0], out.get(b.binding)!]));
}

/** Runs a training kernel whose bindings name plan buffers (the arguments uniform comes with the kernel). */
async function runBuffers(k: TrainKernel, data: Record<number, Float32Array>): Promise<Record<number, Float32Array>> {
  const own = k.bindings.filter((b) => b.binding !== k.args?.binding);
  const out = await dispatchKernel(gpu(), k, own.map((b) => ({ binding: b.binding, data: data[b.buffer], uniform: b.type === 'uniform' })));
  return Object.fromEntries(own.filter((b) => b.type !== 'uniform').map((b) => [b.buffer, out.get(b.binding)!]));
}

const CASES: { name: string; shape: [number, number, number, number]; start: number; end: number; g: MaskGranularity }[] = [
  { name: 'per pixel, vec4 planes, channels 1..5 of 6', shape: [3, 6, 4, 4], start: 1, end: 5, g: 'pixel' },
  { name: 'per pixel, odd planes (scalar)', shape: [2, 5, 3, 3], start: 0, end: 5, g: 'pixel' },
  { name: 'per channel, vec4 planes', shape: [2, 7, 2, 2], start: 2, end: 7, g: 'channel' },
  { name: 'per channel, odd planes', shape: [3, 4, 3, 5], start: 1, end: 3, g: 'channel' },
  // planes that take runs of more than one element: 6 floats (runs of 2), 4 vec4s (runs of 2 and 4)
  { name: 'per pixel, scalar planes of 6', shape: [2, 5, 2, 3], start: 1, end: 4, g: 'pixel' },
  { name: 'per channel, vec4 planes of 4', shape: [2, 7, 4, 4], start: 2, end: 6, g: 'channel' },
];

describe('the reference partial ReLU against central differences', () => {
  for (const g of ['pixel', 'channel'] as const) {
    it(`dx and dm, per ${g}`, () => {
      const x = randT(2, 4, 3, 3);
      // Away from the kink, so that central differences stay on one side of it.
      for (let i = 0; i < x.data.length; i++) if (Math.abs(x.data[i]) < 0.05) x.data[i] = -0.4;
      // Inside (0, 1): at 0 and 1 the clamp has a kink that central differences straddle.
      const mask = rand(maskSize(x, 1, 4, g), 0.05, 0.95);
      const r = rand(x.data.length);
      const loss = () => maskedRelu(x, 1, 4, mask, g).data.reduce((s, v, i) => s + v * r[i], 0);
      const { dx, dm } = maskedReluBackward(x, tensor(2, 4, 3, 3, r), 1, 4, mask, g);
      const check = (v: Float32Array, grad: Float32Array) => {
        let worst = 0;
        for (let i = 0; i < v.length; i++) {
          const v0 = v[i];
          v[i] = v0 + 1e-2;
          const up = v[i];
          const lp = loss();
          v[i] = v0 - 1e-2;
          const down = v[i];
          const lm = loss();
          v[i] = v0;
          worst = Math.max(worst, Math.abs((lp - lm) / (up - down) - grad[i]) / Math.max(1, Math.abs(grad[i])));
        }
        return worst;
      };
      expect(check(x.data, dx.data), 'dx').toBeLessThan(1e-4);
      expect(check(mask, dm), 'dm').toBeLessThan(1e-4);
      // The endpoints are the two ordinary cases: m = 1 a ReLU, m = 0 the identity.
      expect(Array.from(maskedRelu(x, 1, 4, mask.fill(1), g).data)).toEqual(Array.from(x.data, (v, i) => (Math.floor(i / 9) % 4 >= 1 ? Math.max(v, 0) : v)));
      expect(Array.from(maskedRelu(x, 1, 4, mask.fill(0), g).data)).toEqual(Array.from(x.data));
      // Entries outside [0, 1] act as the nearest end.
      expect(Array.from(maskedRelu(x, 1, 4, mask.fill(1.7), g).data)).toEqual(Array.from(maskedRelu(x, 1, 4, mask.fill(1), g).data));
      expect(Array.from(maskedRelu(x, 1, 4, mask.fill(-0.3), g).data)).toEqual(Array.from(x.data));
    });
  }
});

/**
 * The elementwise schedules a plane of h x w allows: runs of 1, 2 and 4 elements per invocation
 * (vec4s where the plane is a multiple of 4), so that the per-pixel mask is also read past a run's
 * first element.
 */
const schedulesFor = (h: number, w: number) => {
  const units = (h * w) % 4 === 0 ? (h * w) / 4 : h * w;
  return [...new Set([1, 2, 4].map((r) => runFor(units, r)))].map((run) => ({ run, wg: 64 }));
};

describe('masked ReLU kernels on the device vs the reference', () => {
  for (const t of CASES) {
    const [n, c, h, w] = t.shape;
    const x = randT(n, c, h, w);
    const mask = maskFor(x, t.start, t.end, t.g);
    const relu = { start: t.start, end: t.end };

    it(`forward (ewise, constants and dispatch arguments): ${t.name}`, async () => {
      const ref = maskedRelu(x, t.start, t.end, mask, t.g).data;
      for (const asArgs of [false, true])
        for (const schedule of schedulesFor(h, w)) {
          const view = { batchStride: c * h * w, offset: 0 };
          const k = genEwise({ name: 'masked', batch: n, c, h, w, a: view, out: view, parts: [reluPart({ ...relu, mask: t.g }, { offset: 0 }, { slots: [] })!] }, schedule, {}, DEFAULT_DISPATCH_LIMITS, asArgs);
          const got = await runSlots(k, { a_in: x.data, mask, y_out: new Float32Array(x.data.length) });
          expect(relError(got.y_out, ref), `asArgs ${asArgs}, run ${schedule.run}`).toBeLessThan(1e-6);
        }
    });

    it(`forward with a mask at an offset inside a larger buffer, after bn and add: ${t.name}`, async () => {
      const b = randT(n, c, h, w);
      const scale = rand(c);
      const shift = rand(c);
      const pre = tensor(n, c, h, w, x.data.map((v, i) => v * scale[Math.floor(i / (h * w)) % c] + shift[Math.floor(i / (h * w)) % c] + b.data[i]));
      const ref = maskedRelu(pre, t.start, t.end, mask, t.g).data;
      const view = { batchStride: c * h * w, offset: 0 };
      const offset = 8;
      const padded = new Float32Array(offset + mask.length + 4);
      padded.set(mask, offset);
      for (const schedule of schedulesFor(h, w)) {
        // The chain's parts as the ops give them: bn, add (its other operand b), the masked ReLU.
        const parts = [bnKernels.forwardPart({ node: bnNode, other: undefined })!, addKernels.forwardPart({ node: addNode, other: view })!, reluPart({ ...relu, mask: t.g }, { offset }, { slots: [] })!];
        const k = genEwise({ name: 'masked', batch: n, c, h, w, a: view, out: view, parts }, schedule, {}, DEFAULT_DISPATCH_LIMITS, true);
        const got = await runSlots(k, { a_in: x.data, b_in: b.data, scale, shift, mask: padded, y_out: new Float32Array(x.data.length) });
        expect(relError(got.y_out, ref), `run ${schedule.run}`).toBeLessThan(1e-5);
      }
    });

    it(`backward: dx through the chain (chain_bwd) and dm (relu_mask_dm): ${t.name}`, async () => {
      const y = maskedRelu(x, t.start, t.end, mask, t.g);
      const dy = randT(n, c, h, w);
      const ref = maskedReluBackward(x, dy, t.start, t.end, mask, t.g);
      const size = c * h * w;
      const view = (buffer: number) => ({ buffer, offset: 0, batchStride: size });
      // Buffers: 0 the output gradient, 1 the chain's output, 2 the mask (at offset 4), 3 dx, 4 the ReLU's input, 5 dm (at offset 4).
      const maskBuf = new Float32Array(4 + mask.length);
      maskBuf.set(mask, 4);
      for (const schedule of schedulesFor(h, w)) {
        const part = reluPart({ ...relu, mask: t.g }, { buffer: 2, offset: 4 }, { slots: [{ name: 'o_in', elem: 'T', buffer: 1 }], views: { O: view(1) } })!;
        const dx = genChainBwd({ name: 'dx', shape: { batch: n, c, h, w }, g: view(0), a: { ...view(3), accumulate: false }, parts: [part] }, schedule, DEFAULT_DISPATCH_LIMITS);
        const got = await runBuffers(dx, { 0: dy.data, 1: y.data, 2: maskBuf, 3: new Float32Array(x.data.length) });
        expect(relError(got[3], ref.dx.data), `dx, run ${schedule.run}`).toBeLessThan(1e-6);
      }
      // The step's uniform: lr, warm, the L1 weight, frozen.
      const cases = [
        { accumulate: false, l1: 0, frozen: 0 },
        { accumulate: true, l1: 0, frozen: 0 },
        { accumulate: false, l1: 0.25, frozen: 0 },
        { accumulate: false, l1: 0.25, frozen: 1 },
      ];
      for (const { accumulate, l1, frozen } of cases) {
        const dm = genReluMaskDm({ name: 'dm', shape: { batch: n, c, h, w }, relu, g: view(0), v: view(4), mask: { buffer: 2, offset: 4 }, dm: { buffer: 5, offset: 4, batchStride: 0, accumulate, granularity: t.g }, uniform: 6 }, DEFAULT_DISPATCH_LIMITS);
        const before = new Float32Array(4 + mask.length).fill(accumulate ? 0.5 : 7);
        const r = await runBuffers(dm, { 0: dy.data, 2: maskBuf, 4: x.data, 5: before, 6: new Float32Array([0.1, 1, l1, frozen]) });
        // The penalty l1 * |m| adds l1 where the entry is positive; frozen masks get no gradient.
        const want = Array.from(ref.dm, (v, i) => (frozen ? 0 : v + (mask[i] > 0 ? l1 : 0)) + (accumulate ? 0.5 : 0));
        expect(relError(r[5].subarray(4), want), `dm, ${JSON.stringify({ accumulate, l1, frozen })}`).toBeLessThan(1e-5);
        expect(Array.from(r[5].subarray(0, 4)), 'nothing before the mask is written').toEqual(Array.from(before.subarray(0, 4)));
      }
    });

  }
});

describe('an SNL-masked ReLU in the fusion', () => {
  it('is a chain of its own, so the batch norm gradient kernels never meet a mask (their reduction applies a plain ReLU)', () => {
    for (const convEpilogue of [true, false]) {
      const graph = maskedGraph();
      const { steps } = fuseGraph(graph, { fuse: true, convEpilogue });
      const masked = graph.nodes.filter((n) => n.op === 'relu' && n.mask !== undefined).map((n) => n.id);
      expect(masked.length).toBe(2);
      for (const id of masked) expect(steps.find((s) => s.nodes.includes(id))?.nodes, `convEpilogue ${convEpilogue}`).toEqual([id]);
    }
  });
});

describe('an SNL network planned for inference on the device vs the reference executor', () => {

  it('the plan applies the masks (fused and unfused), matching the reference; ordinary ReLUs would not', async () => {
    const graph = maskedGraph();
    const w = weightsFor(graph, 3);
    const rng2 = new Rng(4);
    for (const name of ['r1.mask', 'r2.mask']) {
      const m = w.get(name)!.data;
      rng2.fillUniform(m, 0, 1);
      m[0] = 0;
      m[1] = 1;
    }
    const batch = 3;
    const x = inputFor(graph, batch, 5);
    const ref = runReference(graph, w, x, batch);
    const ones = new Map([...w].map(([k, t]) => [k, k.endsWith('.mask') ? { shape: t.shape, data: new Float32Array(t.data.length).fill(1) } : t]));
    expect(relError(runReference(graph, ones, x, batch), ref), 'the masks change the logits').toBeGreaterThan(1e-2);
    for (const fuse of [true, false]) {
      const ctx = gpu();
      const plan = compilePlan(graph, { batch, subgroupSize: ctx.subgroupSize, fuse, limits: ctx.limits });
      const ex = await Executor.create(ctx, plan.program, w);
      try {
        expect(relError(await ex.run(x), ref), `fuse ${fuse}`).toBeLessThan(1e-4);
      } finally {
        ex.dispose();
      }
    }
  });
});
