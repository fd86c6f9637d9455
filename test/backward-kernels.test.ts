// The training kernels on the device (lavapipe in CI) against the reference backward
// (src/reference/backward.ts): each backward kernel on the GPU's own inputs, whole-graph
// gradients on small graphs with odd sizes, stride 2, groups, 5x5, partial ReLU ranges, slices
// and concatenations (ReLU-reuse units), and a finite-difference check of the GPU gradients.

import { openTrainer } from '../src/launch/train.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileTrainPlan } from '../src/codegen/train-plan.js';
import type { ScheduleOverrides } from '../src/codegen/schedule/types.js';
import { GraphBuilder } from '../src/ir/builder.js';
import { residualNetwork } from '../src/ir/factory.js';
import type { ConvNode, GraphNode, LayerGraph } from '../src/ir/graph.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { backwardGraph, forwardGraph } from '../src/reference/backward.js';
import { tensor } from '../src/reference/ops.js';
import { decoupledKd, hintonKd, softmaxCrossEntropy, type LossResult } from '../src/train/losses.js';
import { runReference } from '../src/reference/run.js';
import { openDevice, type GpuContext } from '../src/runtime/device.js';
import { packParam, unpackParam } from '../src/program/param-layout.js';
import { Trainer } from '../src/runtime/trainer.js';
import { initWeights, perturbWeights, Rng, type Weights } from '../src/weights/weights.js';
import { relError } from './gpu-fixtures.js';
import { copyWeights } from './numeric.js';
import type { ConvCase } from './conv-fixtures.js';
import { avgpoolBackward, batchNormTrain, batchNormTrainBackward, conv2dBackwardInput, conv2dBackwardWeight, fcBackward, reluRange, reluRangeBackward } from '../src/ops/reference.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await openDevice();
});
afterAll(() => ctx?.close());

const weightsFor = (g: LayerGraph, seed: number): Weights => perturbWeights(initWeights(g, seed), seed + 1);

function inputFor(g: LayerGraph, batch: number, seed: number): Float32Array {
  const s = g.nodes[0].shape;
  return new Rng(seed).fillNormal(new Float32Array(batch * s.c * s.h * s.w), 1);
}

const labelsFor = (batch: number, classes: number) => Array.from({ length: batch }, (_, i) => (i * 7 + 3) % classes);

/**
 * One GPU step with lr 0 (weights unchanged): the trainer, to read gradients and values from.
 * Reading intermediate values needs `reuse: false`: with buffer sharing most are gone after the step.
 */
async function gpuStep(g: LayerGraph, w: Weights, batch: number, x: Float32Array, labels: number[], o: { subgroups?: boolean; reuse?: boolean; schedules?: ScheduleOverrides } = {}): Promise<Trainer> {
  const t = await openTrainer(ctx, g, w, { batch, subgroups: o.subgroups ?? true, reuse: o.reuse, schedules: o.schedules });
  await t.step(x, labels, 0);
  await t.flush();
  return t;
}

function refGrads(g: LayerGraph, w: Weights, batch: number, x: Float32Array, labels: number[], loss: (z: Float32Array) => LossResult = (z) => softmaxCrossEntropy(z, labels, g.classes)) {
  const s = g.nodes[0].shape;
  const tape = forwardGraph(g, copyWeights(w), tensor(batch, s.c, s.h, s.w, x), { training: true });
  const l = loss(tape.acts[g.output].data);
  return { tape, loss: l, ...backwardGraph(g, w, tape, Float32Array.from(l.grad)) };
}

async function compareWholeGraph(g: LayerGraph, batch: number, seed = 1): Promise<number> {
  const w = weightsFor(g, seed);
  const x = inputFor(g, batch, seed + 7);
  const labels = labelsFor(batch, g.classes);
  const t = await gpuStep(g, w, batch, x, labels);
  try {
    const got = await t.readGrads();
    const ref = refGrads(g, w, batch, x, labels);
    let worst = 0;
    for (const [name, r] of ref.grads) {
      const e = relError(got.get(name)!, r);
      expect(e, name).toBeLessThan(2e-4);
      worst = Math.max(worst, e);
    }
    const sums = await t.readSums();
    expect(Math.abs(sums.loss - ref.loss.loss)).toBeLessThan(1e-4 * Math.max(1, ref.loss.loss));
    return worst;
  } finally {
    t.dispose();
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * conv1 (dense 3x3) -> bn -> relu -> the convolution under test -> bn -> [relu range] -> pool -> fc.
 * The tested convolution's input has one consumer, so its gradient there is exactly the dX kernel's.
 */
function convGraph(t: ConvCase): LayerGraph {
  const b = new GraphBuilder();
  const x = b.addInput('input', { c: 3, h: t.h, w: t.w });
  const c1 = b.add({ op: 'conv', name: 'pre.conv', region: 'S1', input: x, outChannels: t.c, kernel: 3, stride: 1, pad: 1, groups: 1, bias: false });
  const n1 = b.add({ op: 'bn', name: 'pre.bn', region: 'S1', input: c1 });
  const r1 = b.add({ op: 'relu', name: 'pre.relu', region: 'S1', input: n1, start: 0, end: t.c });
  const conv = b.add({
    op: 'conv', name: 'conv', region: 'S1', input: r1, outChannels: t.co, kernel: t.k, stride: t.s,
    pad: t.p ?? Math.floor(t.k / 2), groups: t.g, bias: t.bias ?? false,
  });
  let y = b.add({ op: 'bn', name: 'bn', region: 'S1', input: conv });
  if (t.relu) y = b.add({ op: 'relu', name: 'relu', region: 'S1', input: y, start: t.relu[0], end: t.relu[1] });
  const pool = b.add({ op: 'avgpool', name: 'pool', region: 'head', input: y });
  const fc = b.add({ op: 'fc', name: 'fc', region: 'head', input: pool, outFeatures: 7 });
  return b.finish(t.name, fc, ['S1'], 7);
}

const convCases: ConvCase[] = [
  { name: '3x3 s1 7x5 4->12 partial relu', c: 4, h: 7, w: 5, co: 12, k: 3, s: 1, g: 1, relu: [3, 11], batch: 3 },
  { name: '3x3 s2 9x7 8->16 groups 2', c: 8, h: 9, w: 7, co: 16, k: 3, s: 2, g: 2, relu: [0, 16], batch: 2 },
  { name: '3x3 s2 8x8 6->20 channel tails (cig 6, cog 20)', c: 6, h: 8, w: 8, co: 20, k: 3, s: 2, g: 1, relu: [2, 9], batch: 2 },
  { name: '1x1 s1 7x5 12->8 groups 4 bias', c: 12, h: 7, w: 5, co: 8, k: 1, s: 1, g: 4, bias: true, batch: 2 },
  { name: '1x1 s2 8x8 6->10 groups 2', c: 6, h: 8, w: 8, co: 10, k: 1, s: 2, g: 2, relu: [0, 5], batch: 2 },
  { name: '5x5 s1 6x7 4->6', c: 4, h: 6, w: 7, co: 6, k: 5, s: 1, g: 1, relu: [0, 2], batch: 2 },
  { name: '5x5 s2 11x9 5->8', c: 5, h: 11, w: 9, co: 8, k: 5, s: 2, g: 1, relu: [0, 8], batch: 2 },
  { name: '3x3 s3 unpadded 9x9 3->4', c: 3, h: 9, w: 9, co: 4, k: 3, s: 3, p: 0, g: 1, batch: 2 },
  // 4-aligned rows: dX stored as vec4 quads (and dy read in quads at stride 1), dW reading its input
  // in quads with masked halos; 'aligned paths' below checks that these cases take those paths
  { name: '3x3 s1 6x12 aligned rows 5->8', c: 5, h: 6, w: 12, co: 8, k: 3, s: 1, g: 1, relu: [0, 8], batch: 2 },
  { name: '3x3 s2 9x8 aligned rows, row and channel tails 5->8', c: 5, h: 9, w: 8, co: 8, k: 3, s: 2, g: 1, relu: [0, 8], batch: 2 },
  { name: '3x3 s1 8x8 aligned rows, groups 2 8->8', c: 8, h: 8, w: 8, co: 8, k: 3, s: 1, g: 2, relu: [0, 8], batch: 2 },
  { name: '3x3 unpadded 7x7 16->16 groups 4 bias', c: 16, h: 7, w: 7, co: 16, k: 3, s: 1, p: 0, g: 4, bias: true, batch: 2 },
];

describe('convolution backward kernels vs reference (on the GPU forward values)', () => {
  for (const t of convCases) {
    it(t.name, async () => {
      const g = convGraph(t);
      const conv = g.nodes.find((n) => n.name === 'conv') as ConvNode;
      const w = weightsFor(g, 3);
      const x = inputFor(g, t.batch, 4);
      // with subgroup broadcasts (when the device has them) and with plain loads, each invocation
      // owning the cpu profile's rows of dX (4 strides where rows are 4-aligned) and one stride of rows; there,
      // a block of 4 rows x 8 channels, too many vec4 stores for one store loop (a loop per 2 rows);
      // then dX as the gpu profile's implicit product with workgroup tiles
      const runs = [
        ...(ctx.subgroupSize > 0 ? [{ subgroups: true }, { subgroups: true, schedules: { conv_dx: { rows: 1 } } }] : []),
        { subgroups: false },
        { subgroups: false, schedules: { conv_dx: { rows: 1 } } },
        ...(t.name.includes('aligned rows') ? [{ subgroups: false, schedules: { conv_dx: { rows: 4, icb: 8 } } }] : []),
        { subgroups: false, schedules: { conv_dx: { gemm: true } } },
      ];
      for (const run of runs) {
        const tr = await gpuStep(g, w, t.batch, x, labelsFor(t.batch, 7), { ...run, reuse: false });
        try {
          const inS = g.nodes[conv.input].shape;
          const xs = tensor(t.batch, inS.c, inS.h, inS.w, await tr.readValue('pre.relu', 'forward'));
          const dy = tensor(t.batch, conv.outChannels, conv.shape.h, conv.shape.w, await tr.readValue('conv', 'grad'));
          const p = { outChannels: conv.outChannels, kernel: conv.kernel, stride: conv.stride, pad: conv.pad, groups: conv.groups };
          const dx = conv2dBackwardInput(dy, { ...p, weight: w.get('conv.weight')!.data }, inS);
          expect(relError(await tr.readValue('pre.relu', 'grad'), dx.data), `dX ${JSON.stringify(run)}`).toBeLessThan(1e-5);
          const ref = conv2dBackwardWeight(xs, dy, p);
          const grads = await tr.readGrads();
          expect(relError(grads.get('conv.weight')!, ref.dw), `dW ${JSON.stringify(run)}`).toBeLessThan(1e-5);
          if (t.bias) {
            // A bias followed by batch norm has a zero gradient in exact arithmetic: compare with the scale of dy.
            const scale = dy.data.reduce((s, v) => s + Math.abs(v), 0);
            const db = grads.get('conv.bias')!;
            for (let c = 0; c < db.length; c++) expect(Math.abs(db[c] - ref.db[c]), 'db').toBeLessThan(1e-6 * scale);
          }
        } finally {
          tr.dispose();
        }
      }
    });
  }
});

describe('aligned paths: the cases above with 4-aligned rows use the vec4 quad kernels', () => {
  const kernelsOf = (g: LayerGraph, template: string) =>
    compileTrainPlan(g, { batch: 2, subgroupSize: ctx.subgroupSize }).kernels.filter((k) => k.template === template).map((k) => k.wgsl);
  for (const t of convCases.filter((c) => c.name.includes('aligned rows'))) {
    it(t.name, () => {
      const dx = kernelsOf(convGraph(t), 'train/conv_dx');
      expect(dx.length).toBeGreaterThan(0);
      // vec4 dX stores from the store loop; dy read in quads where the stride is 1
      for (const w of dx) expect(w).toMatch(/\bdx: array<vec4<f32>>/);
      for (const w of dx) expect(/\bdy: array<vec4<f32>>/.test(w) && w.includes('qv_')).toBe(t.s === 1);
      const dw = kernelsOf(convGraph(t), 'train/conv_dw');
      for (const w of dw) expect(w).toMatch(/\bx_in: array<vec4<f32>>/);
      expect(dw.some((w) => w.includes('qv_'))).toBe(true);
    });
  }
  it('the aligned residual network accumulates dX as vec4 quads where a value has two consumers', () => {
    const arch = residualNetwork({ name: 'aligned', depths: [2, 1], channels: [4, 8], input: { c: 3, h: 8, w: 8 }, classes: 5 });
    const dx = kernelsOf(lowerToGraph(arch), 'train/conv_dx');
    expect(dx.some((w) => /dx\[o \+ off\] = dx\[o \+ off\] \+ v;/.test(w))).toBe(true);
  });
});

describe('batch norm (training), relu range, avgpool and fc backward kernels vs reference', () => {
  it('batch norm forward with batch statistics, running statistics, backward through a partial relu', async () => {
    const t = convCases[0];
    const g = convGraph(t);
    const w = weightsFor(g, 5);
    const x = inputFor(g, t.batch, 6);
    const tr = await gpuStep(g, w, t.batch, x, labelsFor(t.batch, 7), { reuse: false });
    try {
      const conv = g.nodes.find((n) => n.name === 'conv')!;
      const s = conv.shape;
      const xin = tensor(t.batch, s.c, s.h, s.w, await tr.readValue('conv', 'forward'));
      const gamma = w.get('bn.gamma')!.data;
      const { y, stats } = batchNormTrain(xin, gamma, w.get('bn.beta')!.data);
      const relu = g.nodes.find((n) => n.name === 'relu') as GraphNode & { op: 'relu' };
      const out = await tr.readValue('relu', 'forward');
      const yr = reluRange(y, relu.start, relu.end);
      expect(relError(out, yr.data), 'forward').toBeLessThan(1e-5);
      // running statistics after one step
      const after = await tr.readWeights();
      const rm = new Float64Array(s.c);
      const rv = new Float64Array(s.c);
      const unbias = stats.count / (stats.count - 1);
      for (let c = 0; c < s.c; c++) {
        rm[c] = 0.9 * w.get('bn.running_mean')!.data[c] + 0.1 * stats.mean[c];
        rv[c] = 0.9 * w.get('bn.running_var')!.data[c] + 0.1 * stats.variance[c] * unbias;
      }
      expect(relError(after.get('bn.running_mean')!.data, rm)).toBeLessThan(1e-5);
      expect(relError(after.get('bn.running_var')!.data, rv)).toBeLessThan(1e-5);
      // backward: relu range then batch norm, from the GPU's gradient at the chain output
      const gOut = tensor(t.batch, s.c, s.h, s.w, await tr.readValue('relu', 'grad'));
      const gBn = reluRangeBackward(y, gOut, relu.start, relu.end);
      const ref = batchNormTrainBackward(xin, gamma, stats, gBn);
      const grads = await tr.readGrads();
      expect(relError(grads.get('bn.gamma')!, ref.dgamma), 'dgamma').toBeLessThan(1e-5);
      expect(relError(grads.get('bn.beta')!, ref.dbeta), 'dbeta').toBeLessThan(1e-5);
      expect(relError(await tr.readValue('conv', 'grad'), ref.dx.data), 'dx').toBeLessThan(1e-4);
      // avgpool and fc
      const pooled = tensor(t.batch, s.c, 1, 1, await tr.readValue('pool', 'forward'));
      const dz = tensor(t.batch, 7, 1, 1, await tr.readValue('fc', 'grad'));
      const fcRef = fcBackward(pooled, w.get('fc.weight')!.data, dz);
      expect(relError(grads.get('fc.weight')!, fcRef.dw), 'fc dW').toBeLessThan(1e-5);
      expect(relError(grads.get('fc.bias')!, fcRef.db), 'fc db').toBeLessThan(1e-5);
      expect(relError(await tr.readValue('pool', 'grad'), fcRef.dx.data), 'fc dX').toBeLessThan(1e-5);
      const poolRef = avgpoolBackward(tensor(t.batch, s.c, 1, 1, await tr.readValue('pool', 'grad')), s.h, s.w);
      expect(relError(await tr.readValue('relu', 'grad'), poolRef.data), 'avgpool dX').toBeLessThan(1e-6);
    } finally {
      tr.dispose();
    }
  });
});

describe('whole-graph gradients vs backwardGraph', () => {
  it('residual block: stride 2, groups 2, 1x1 shortcut, fused bn + add + relu', async () => {
    const b = new GraphBuilder();
    const x = b.addInput('input', { c: 3, h: 7, w: 6 });
    const c1 = b.add({ op: 'conv', name: 'c1', region: 'S1', input: x, outChannels: 8, kernel: 3, stride: 1, pad: 1, groups: 1, bias: false });
    const n1 = b.add({ op: 'bn', name: 'bn1', region: 'S1', input: c1 });
    const r1 = b.add({ op: 'relu', name: 'r1', region: 'S1', input: n1, start: 2, end: 7 });
    const c2 = b.add({ op: 'conv', name: 'c2', region: 'S1', input: r1, outChannels: 12, kernel: 3, stride: 2, pad: 1, groups: 2, bias: false });
    const n2 = b.add({ op: 'bn', name: 'bn2', region: 'S1', input: c2 });
    const sc = b.add({ op: 'conv', name: 'sc', region: 'S1', input: r1, outChannels: 12, kernel: 1, stride: 2, pad: 0, groups: 1, bias: false });
    const sb = b.add({ op: 'bn', name: 'scbn', region: 'S1', input: sc });
    const a = b.add({ op: 'add', name: 'add', region: 'S1', inputs: [n2, sb] });
    const r2 = b.add({ op: 'relu', name: 'r2', region: 'S1', input: a, start: 0, end: 12 });
    const p = b.add({ op: 'avgpool', name: 'pool', region: 'head', input: r2 });
    const f = b.add({ op: 'fc', name: 'fc', region: 'head', input: p, outFeatures: 5 });
    await compareWholeGraph(b.finish('residual', f, ['S1'], 5), 3);
  });

  it('ReLU-reuse units (slices, concatenations, Res2Net shortcut, partial relus, 1x1 mix)', async () => {
    const arch = residualNetwork({ name: 'reuse', depths: [1, 1], channels: [8, 16], input: { c: 3, h: 6, w: 6 }, classes: 6 });
    arch.stages.forEach((s) => (s.relu = { ...s.relu, reuse: 4 }));
    const g = lowerToGraph(arch);
    expect(g.nodes.some((n) => n.op === 'concat')).toBe(true);
    expect(g.nodes.some((n) => n.op === 'slice')).toBe(true);
    await compareWholeGraph(g, 2);
  });

  it('residual network on 4-aligned rows (vec4 dX stores, accumulated where a value has two consumers; dW input quads)', async () => {
    const arch = residualNetwork({ name: 'aligned', depths: [2, 1], channels: [4, 8], input: { c: 3, h: 8, w: 8 }, classes: 5 });
    await compareWholeGraph(lowerToGraph(arch), 2);
  });

  it('culled and thinned stages (chains without relu), odd input, 1x1 head input with 5 channels', async () => {
    const arch = residualNetwork({ name: 'thin', depths: [1, 2], channels: [5, 6], input: { c: 1, h: 7, w: 9 }, classes: 4 });
    arch.stages[0].relu = { ...arch.stages[0].relu, culled: true };
    arch.stages[1].relu = { ...arch.stages[1].relu, thinned: true };
    await compareWholeGraph(lowerToGraph(arch), 3);
  });

  it('odd wiring: x + x, relu of a slice, concat of the input and a conv, conv without bn into fc', async () => {
    const b = new GraphBuilder();
    const x = b.addInput('input', { c: 2, h: 5, w: 5 });
    const c1 = b.add({ op: 'conv', name: 'c1', region: 'S1', input: x, outChannels: 6, kernel: 3, stride: 1, pad: 1, groups: 1, bias: true });
    const dbl = b.add({ op: 'add', name: 'dbl', region: 'S1', inputs: [c1, c1] });
    const sl = b.add({ op: 'slice', name: 'sl', region: 'S1', input: dbl, start: 1, end: 5 });
    const rs = b.add({ op: 'relu', name: 'rs', region: 'S1', input: sl, start: 1, end: 3 });
    const cat = b.add({ op: 'concat', name: 'cat', region: 'S1', inputs: [x, rs, dbl] });
    const c2 = b.add({ op: 'conv', name: 'c2', region: 'S1', input: cat, outChannels: 3, kernel: 3, stride: 2, pad: 1, groups: 1, bias: true });
    const f = b.add({ op: 'fc', name: 'fc', region: 'head', input: c2, outFeatures: 4 });
    await compareWholeGraph(b.finish('odd', f, ['S1'], 4), 2);
  });
});

describe('distillation losses on the GPU vs src/train/losses.ts', () => {
  const student = () => {
    const arch = residualNetwork({ name: 'student', depths: [1], channels: [4], input: { c: 1, h: 6, w: 6 }, classes: 5 });
    return lowerToGraph(arch);
  };
  const teacherGraph = () => lowerToGraph(residualNetwork({ name: 'teacher', depths: [1, 1], channels: [6, 8], input: { c: 1, h: 6, w: 6 }, classes: 5 }));
  for (const kind of ['hinton', 'dkd'] as const) {
    it(`${kind}: loss and d loss / d logits`, async () => {
      const g = student();
      const tg = teacherGraph();
      const w = weightsFor(g, 11);
      const tw = weightsFor(tg, 13);
      const batch = 4;
      const x = inputFor(g, batch, 12);
      const labels = labelsFor(batch, 5);
      const loss = kind === 'hinton'
        ? ({ kind, temperature: 4, ceWeight: 0.1, kdWeight: 0.9 } as const)
        : ({ kind, temperature: 4, ceWeight: 1, alpha: 1, beta: 8, warmup: 20 } as const);
      const tr = await openTrainer(ctx, g, w, { batch, loss, teacher: { graph: tg, weights: tw } });
      try {
        await tr.step(x, labels, 0, { warm: 0.35 });
        await tr.flush();
        const tz = runReference(tg, tw, x, batch);
        const ref = refGrads(g, w, batch, x, labels, (z) =>
          kind === 'hinton' ? hintonKd(z, tz, labels, 5) : decoupledKd(z, tz, labels, 5, { epoch: 7, warmup: 20 }),
        );
        expect(relError(await tr.readValue(g.nodes[g.output].name, 'grad'), ref.loss.grad), 'd logits').toBeLessThan(1e-4);
        const sums = await tr.readSums();
        expect(sums.loss).toBeCloseTo(ref.loss.loss, 4);
        const grads = await tr.readGrads();
        for (const [name, r] of ref.grads) expect(relError(grads.get(name)!, r), name).toBeLessThan(2e-4);
      } finally {
        tr.dispose();
      }
    });
  }
});

describe('finite differences of the GPU loss against the GPU gradients', () => {
  // the gpu profile's kernels too: the implicit-product forward conv and dX, the reductions' trees
  it.each(['cpu', 'gpu'] as const)('conv, bn and fc parameters of a tiny residual network (profile %s)', async (profile) => {
    const arch = residualNetwork({ name: 'tiny', depths: [1], channels: [4], input: { c: 2, h: 5, w: 5 }, classes: 3 });
    const g = lowerToGraph(arch);
    const batch = 3;
    const w = weightsFor(g, 21);
    const x = inputFor(g, batch, 22);
    const labels = labelsFor(batch, 3);
    const tr = await openTrainer(ctx, g, w, { batch, sgd: { weightDecay: 0 }, profile });
    try {
      const lossAt = async (ws: Weights) => {
        tr.setWeights(ws);
        tr.resetSums();
        await tr.step(x, labels, 0);
        return (await tr.readSums()).loss;
      };
      await lossAt(w);
      const grads = await tr.readGrads();
      const rng = new Rng(3);
      let checked = 0;
      for (const name of ['stem.conv1.weight', 'S1.b1.conv2.weight', 'S1.b1.bn1.gamma', 'S1.b1.bn2.beta', 'head.fc.weight']) {
        const gr = grads.get(name)!;
        for (let k = 0; k < 3; k++) {
          const i = Math.floor(rng.next() * gr.length);
          const h = 1e-2;
          const wp = copyWeights(w);
          wp.get(name)!.data[i] += h;
          const lp = await lossAt(wp);
          const wm = copyWeights(w);
          wm.get(name)!.data[i] -= h;
          const lm = await lossAt(wm);
          const numeric = (lp - lm) / (2 * h);
          expect(Math.abs(numeric - gr[i]), `${name}[${i}]: numeric ${numeric}, gpu ${gr[i]}`).toBeLessThan(2e-3 + 2e-2 * Math.abs(gr[i]));
          checked++;
        }
      }
      expect(checked).toBe(15);
    } finally {
      tr.dispose();
    }
  });
});

describe('training plan', () => {
  it('packs and unpacks every parameter layout exactly', () => {
    const arch = residualNetwork({ name: 'p', depths: [1, 1], channels: [12, 20], input: { c: 3, h: 8, w: 8 }, classes: 10 });
    const g = lowerToGraph(arch);
    const plan = compileTrainPlan(g, { batch: 2, subgroupSize: 8 });
    const w = weightsFor(g, 1);
    const flat = new Float32Array(plan.paramFloats);
    for (const p of plan.params) flat.set(packParam(p, w.get(p.name)!.data), p.offset);
    for (const p of plan.params) expect(Array.from(unpackParam(p, flat)), p.name).toEqual(Array.from(w.get(p.name)!.data));
    for (const p of plan.params) expect(p.offset % 64).toBe(0);
  });

  it('one dispatch sequence per step: forward, loss, backward, optimizer, in that order', () => {
    const g = lowerToGraph(residualNetwork({ name: 'p', depths: [1, 1], channels: [4, 8], input: { c: 3, h: 8, w: 8 }, classes: 10 }));
    const plan = compileTrainPlan(g, { batch: 4 });
    const phases = plan.dispatches.map((d) => d.phase);
    const order = ['forward', 'loss', 'backward', 'optimizer'];
    for (let i = 1; i < phases.length; i++) expect(order.indexOf(phases[i])).toBeGreaterThanOrEqual(order.indexOf(phases[i - 1]));
    expect(phases.filter((p) => p === 'loss').length).toBe(1);
    expect(phases.filter((p) => p === 'optimizer').length).toBe(1);
    // no gradient buffer needs clearing in a plain residual network: every region is written first
    expect(plan.clears).toEqual([]);
  });
});

