// Finite-difference checks of every reference backward op and of a whole small graph. The scalar
// objective is L = sum(r * y) for a fixed random r, so the analytic input gradient is the op's
// backward with dy = r. Differences are central, evaluated in float64 on the float64 sum; the
// perturbation actually applied is measured after float32 rounding of the input. The forward ops
// store their outputs in float32 (as the GPU does), which bounds the accuracy at about 1e-4.

import { describe, expect, it } from 'vitest';
import { SplitMix32 } from '../src/util/rng.js';
import { GraphBuilder } from '../src/ir/builder.js';
import { residualNetwork } from '../src/ir/factory.js';
import type { LayerGraph } from '../src/ir/graph.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { backwardGraph, forwardGraph } from '../src/reference/backward.js';
import { tensor } from '../src/reference/ops.js';
import { referenceTrainStep } from '../src/reference/train-step.js';
import { Sgd } from '../src/train/sgd.js';
import { softmaxCrossEntropy } from '../src/train/losses.js';
import { initWeights, weightSpecs, type Weights } from '../src/weights/weights.js';
import { add, addBackward, avgpool, avgpoolBackward, batchNorm, batchNormEvalBackward, batchNormTrain, batchNormTrainBackward, bnBatchStats, concat, concatBackward, conv2d, conv2dBackward, type ConvParams, fc, fcBackward, reluRange, reluRangeBackward, slice, sliceBackward, updateRunningStats } from '../src/ops/reference.js';

const rng = new SplitMix32(7);
const rand = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale);
const randT = (n: number, c: number, h: number, w: number) => tensor(n, c, h, w, rand(n * c * h * w));

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * Worst |numeric - analytic| / max(1, |analytic|) over the entries of `x` (all, or `sample` random
 * ones), where `loss()` reads `x` and `grad` is the analytic d loss / d x.
 */
/**
 * Worst error of `grad` against central differences, over all or `sample` coordinates. Each
 * coordinate is tried at step h and h/4 and keeps the better agreement: a step that straddles a
 * ReLU kink (or batch norm's curvature) misleads the wide estimate, while a wrong gradient
 * disagrees at every step size.
 */
function gradcheck(loss: () => number, x: Float32Array, grad: ArrayLike<number>, h = 1e-2, sample?: number): number {
  const idx = sample && sample < x.length ? Array.from({ length: sample }, () => rng.int(x.length)) : Array.from(x.keys());
  const central = (i: number, step: number) => {
    const x0 = x[i];
    x[i] = x0 + step;
    const xp = x[i];
    const lp = loss();
    x[i] = x0 - step;
    const xm = x[i];
    const lm = loss();
    x[i] = x0;
    return (lp - lm) / (xp - xm);
  };
  let worst = 0;
  for (const i of idx) {
    const err = (step: number) => Math.abs(central(i, step) - grad[i]) / Math.max(1, Math.abs(grad[i]));
    worst = Math.max(worst, Math.min(err(h), err(h / 4)));
  }
  return worst;
}

describe('convolution backward', () => {
  const cases: [string, { n: number; c: number; h: number; w: number }, Omit<ConvParams, 'weight' | 'bias'>, boolean][] = [
    ['3x3 stride 1 pad 1', { n: 2, c: 3, h: 5, w: 5 }, { outChannels: 4, kernel: 3, stride: 1, pad: 1, groups: 1 }, true],
    ['3x3 stride 2 pad 1 groups 2, odd size', { n: 2, c: 4, h: 7, w: 6 }, { outChannels: 6, kernel: 3, stride: 2, pad: 1, groups: 2 }, true],
    ['1x1 stride 2 (projection shortcut)', { n: 2, c: 4, h: 6, w: 6 }, { outChannels: 8, kernel: 1, stride: 2, pad: 0, groups: 1 }, false],
    ['5x5 stride 1 pad 2 groups 4 (depthwise-like)', { n: 1, c: 4, h: 6, w: 5 }, { outChannels: 4, kernel: 5, stride: 1, pad: 2, groups: 4 }, true],
  ];
  for (const [name, s, p, bias] of cases) {
    it(name, () => {
      const x = randT(s.n, s.c, s.h, s.w);
      const params: ConvParams = { ...p, weight: rand((p.outChannels * s.c * p.kernel * p.kernel) / p.groups, 0.5) };
      if (bias) params.bias = rand(p.outChannels);
      const y0 = conv2d(x, params);
      const r = rand(y0.data.length);
      const g = conv2dBackward(x, params, tensor(y0.n, y0.c, y0.h, y0.w, r));
      const loss = () => dot(conv2d(x, params).data, r);
      expect(gradcheck(loss, x.data, g.dx.data)).toBeLessThan(1e-4);
      expect(gradcheck(loss, params.weight, g.dw)).toBeLessThan(1e-4);
      if (params.bias) expect(gradcheck(loss, params.bias, g.db)).toBeLessThan(1e-4);
    });
  }
});

describe('batch norm backward', () => {
  it('training mode (batch statistics): input, gamma and beta', () => {
    const x = randT(3, 3, 3, 2);
    for (let i = 0; i < x.data.length; i++) x.data[i] = x.data[i] * 2 + 0.5; // non-zero mean, non-unit variance
    const gamma = rand(3, 1.5);
    const beta = rand(3);
    const { y, stats } = batchNormTrain(x, gamma, beta);
    const r = rand(y.data.length);
    const g = batchNormTrainBackward(x, gamma, stats, tensor(y.n, y.c, y.h, y.w, r));
    const loss = () => dot(batchNormTrain(x, gamma, beta).y.data, r);
    expect(gradcheck(loss, x.data, g.dx.data, 1e-2)).toBeLessThan(1e-3);
    expect(gradcheck(loss, gamma, g.dgamma)).toBeLessThan(1e-4);
    expect(gradcheck(loss, beta, g.dbeta)).toBeLessThan(1e-4);
  });
  it('training-mode output has batch mean 0 and variance 1 before the affine part', () => {
    const x = randT(4, 2, 3, 3);
    const { y } = batchNormTrain(x, new Float32Array([1, 1]), new Float32Array([0, 0]));
    const s = bnBatchStats(y, 0);
    for (let c = 0; c < 2; c++) {
      expect(s.mean[c]).toBeCloseTo(0, 6);
      expect(s.variance[c]).toBeCloseTo(1, 3);
    }
  });
  it('running statistics: momentum 0.1, unbiased variance (PyTorch)', () => {
    const x = randT(2, 2, 2, 2);
    const stats = bnBatchStats(x);
    const rm = new Float32Array([0.5, -1]);
    const rv = new Float32Array([2, 1]);
    updateRunningStats(rm, rv, stats);
    for (let c = 0; c < 2; c++) {
      const vals: number[] = [];
      for (let n = 0; n < 2; n++) for (let i = 0; i < 4; i++) vals.push(x.data[(n * 2 + c) * 4 + i]);
      const m = vals.reduce((a, b) => a + b, 0) / 8;
      const unbiased = vals.reduce((a, b) => a + (b - m) ** 2, 0) / 7;
      expect(rm[c]).toBeCloseTo(0.9 * [0.5, -1][c] + 0.1 * m, 6);
      expect(rv[c]).toBeCloseTo(0.9 * [2, 1][c] + 0.1 * unbiased, 6);
    }
  });
  it('inference mode (running statistics)', () => {
    const x = randT(2, 3, 2, 2);
    const p = { gamma: rand(3), beta: rand(3), mean: rand(3), variance: Float32Array.from(rand(3), (v) => v * v + 0.5) };
    const y0 = batchNorm(x, p);
    const r = rand(y0.data.length);
    const g = batchNormEvalBackward(x, p.gamma, p.mean, p.variance, tensor(y0.n, y0.c, y0.h, y0.w, r));
    const loss = () => dot(batchNorm(x, p).data, r);
    expect(gradcheck(loss, x.data, g.dx.data)).toBeLessThan(1e-4);
    expect(gradcheck(loss, p.gamma, g.dgamma)).toBeLessThan(1e-4);
    expect(gradcheck(loss, p.beta, g.dbeta)).toBeLessThan(1e-4);
  });
});

describe('the other ops', () => {
  it('relu over a channel range (identity outside it; gradient 0 at exactly 0)', () => {
    const x = randT(2, 5, 3, 3);
    // Keep entries away from the kink so central differences stay on one side of it.
    for (let i = 0; i < x.data.length; i++) if (Math.abs(x.data[i]) < 0.05) x.data[i] = 0.3;
    const r = rand(x.data.length);
    const dx = reluRangeBackward(x, tensor(2, 5, 3, 3, r), 1, 4);
    expect(gradcheck(() => dot(reluRange(x, 1, 4).data, r), x.data, dx.data, 1e-2)).toBeLessThan(1e-5);
    const z = tensor(1, 1, 1, 2, new Float32Array([0, -1]));
    expect(Array.from(reluRangeBackward(z, tensor(1, 1, 1, 2, new Float32Array([5, 5])), 0, 1).data)).toEqual([0, 0]);
  });
  it('add', () => {
    const a = randT(2, 3, 2, 2);
    const b = randT(2, 3, 2, 2);
    const r = rand(a.data.length);
    const [da, db] = addBackward(tensor(2, 3, 2, 2, r));
    const loss = () => dot(add(a, b).data, r);
    expect(gradcheck(loss, a.data, da.data)).toBeLessThan(1e-5);
    expect(gradcheck(loss, b.data, db.data)).toBeLessThan(1e-5);
  });
  it('slice', () => {
    const x = randT(2, 6, 2, 3);
    const r = rand(2 * 3 * 2 * 3);
    const dx = sliceBackward(tensor(2, 3, 2, 3, r), 6, 2);
    expect(gradcheck(() => dot(slice(x, 2, 5).data, r), x.data, dx.data)).toBeLessThan(1e-5);
  });
  it('concat', () => {
    const xs = [randT(2, 1, 2, 2), randT(2, 3, 2, 2), randT(2, 2, 2, 2)];
    const r = rand(2 * 6 * 4);
    const ds = concatBackward(tensor(2, 6, 2, 2, r), [1, 3, 2]);
    for (let k = 0; k < 3; k++) expect(gradcheck(() => dot(concat(xs).data, r), xs[k].data, ds[k].data)).toBeLessThan(1e-5);
  });
  it('global average pooling', () => {
    const x = randT(2, 3, 4, 3);
    const r = rand(6);
    const dx = avgpoolBackward(tensor(2, 3, 1, 1, r), 4, 3);
    expect(gradcheck(() => dot(avgpool(x).data, r), x.data, dx.data)).toBeLessThan(1e-5);
  });
  it('fully connected: input, weight and bias', () => {
    const x = randT(3, 4, 2, 1);
    const w = rand(5 * 8);
    const b = rand(5);
    const r = rand(15);
    const g = fcBackward(x, w, tensor(3, 5, 1, 1, r));
    const loss = () => dot(fc(x, w, b, 5).data, r);
    expect(gradcheck(loss, x.data, g.dx.data)).toBeLessThan(1e-5);
    expect(gradcheck(loss, w, g.dw)).toBeLessThan(1e-5);
    expect(gradcheck(loss, b, g.db)).toBeLessThan(1e-5);
  });
});

/** A graph with every op: grouped stride-2 conv with bias, bn, partial relu, slices, concat, add, 1x1 conv, pool, fc. */
function everyOpGraph(): LayerGraph {
  const b = new GraphBuilder();
  const x = b.addInput('input', { c: 4, h: 6, w: 6 });
  const c1 = b.add({ op: 'conv', name: 'c1', region: 'S1', input: x, outChannels: 8, kernel: 3, stride: 2, pad: 1, groups: 2, bias: true });
  const n1 = b.add({ op: 'bn', name: 'n1', region: 'S1', input: c1 });
  const r1 = b.add({ op: 'relu', name: 'r1', region: 'S1', input: n1, start: 2, end: 6 });
  const s1 = b.add({ op: 'slice', name: 's1', region: 'S1', input: r1, start: 0, end: 3 });
  const s2 = b.add({ op: 'slice', name: 's2', region: 'S1', input: r1, start: 3, end: 8 });
  const cat = b.add({ op: 'concat', name: 'cat', region: 'S1', inputs: [s2, s1] });
  const c2 = b.add({ op: 'conv', name: 'c2', region: 'S1', input: cat, outChannels: 8, kernel: 1, stride: 1, pad: 0, groups: 1, bias: false });
  const n2 = b.add({ op: 'bn', name: 'n2', region: 'S1', input: c2 });
  const sum = b.add({ op: 'add', name: 'add', region: 'S1', inputs: [n2, n1] });
  const r2 = b.add({ op: 'relu', name: 'r2', region: 'S1', input: sum, start: 0, end: 8 });
  const pool = b.add({ op: 'avgpool', name: 'pool', region: 'head', input: r2 });
  const out = b.add({ op: 'fc', name: 'fc', region: 'head', input: pool, outFeatures: 3 });
  return b.finish('every-op', out, ['S1'], 3);
}

function graphGradcheck(graph: LayerGraph, weights: Weights, batch: number, sample: number): { worst: number; names: string[] } {
  const s = graph.nodes[0].shape;
  const input = randT(batch, s.c, s.h, s.w);
  const labels = Int32Array.from({ length: batch }, () => rng.int(graph.classes));
  const lossAt = () => {
    const tape = forwardGraph(graph, weights, input, { training: true, updateRunningStats: false });
    return softmaxCrossEntropy(tape.acts[graph.output].data, labels, graph.classes);
  };
  const tape = forwardGraph(graph, weights, input, { training: true, updateRunningStats: false });
  const l = softmaxCrossEntropy(tape.acts[graph.output].data, labels, graph.classes);
  const { grads, dInput } = backwardGraph(graph, weights, tape, l.grad);
  let worst = gradcheck(() => lossAt().loss, input.data, dInput.data, 1e-3, sample);
  const names: string[] = [];
  for (const spec of weightSpecs(graph).filter((w) => w.trainable)) {
    names.push(spec.name);
    worst = Math.max(worst, gradcheck(() => lossAt().loss, weights.get(spec.name)!.data, grads.get(spec.name)!, 1e-3, sample));
  }
  return { worst, names };
}

describe('whole-graph backward', () => {
  it('every op in one graph, training-mode batch norm, cross-entropy: matches central differences', () => {
    const graph = everyOpGraph();
    const weights = initWeights(graph, 3);
    for (const [name, t] of weights) if (name.endsWith('.beta') || name.endsWith('.bias')) t.data.set(rand(t.data.length, 0.3));
    const { worst, names } = graphGradcheck(graph, weights, 3, 12);
    expect(names).toEqual(['c1.weight', 'c1.bias', 'n1.gamma', 'n1.beta', 'c2.weight', 'n2.gamma', 'n2.beta', 'fc.weight', 'fc.bias']);
    expect(worst).toBeLessThan(5e-4);
  });

  it('a lowered residual network with ReLU-reuse: gradients for every trainable tensor, matching central differences', () => {
    const arch = residualNetwork({ name: 'tiny', channels: [4, 8], depths: [1, 1], input: { c: 3, h: 6, w: 6 }, classes: 4 });
    arch.stages[1].relu.reuse = 2;
    const graph = lowerToGraph(arch);
    const weights = initWeights(graph, 5);
    const { worst, names } = graphGradcheck(graph, weights, 2, 4);
    expect(names.length).toBe(weightSpecs(graph).filter((s) => s.trainable).length);
    expect(worst).toBeLessThan(5e-3);
  });

  it('inference-mode forward equals the reference runner, and training mode updates running statistics', () => {
    const graph = everyOpGraph();
    const weights = initWeights(graph, 1);
    const input = randT(2, 4, 6, 6);
    const before = weights.get('n1.running_mean')!.data.slice();
    forwardGraph(graph, weights, input, { training: true });
    expect(Array.from(weights.get('n1.running_mean')!.data)).not.toEqual(Array.from(before));
    const ev = forwardGraph(graph, weights, input, { training: false });
    expect(ev.acts[graph.output].data.length).toBe(6);
  });

  it('SGD on the reference step lowers the loss of a fixed batch', () => {
    const graph = everyOpGraph();
    const weights = initWeights(graph, 2);
    const sgd = Sgd.forGraph(graph, weights);
    const batch = { size: 6, images: rand(6 * 4 * 36), labels: Int32Array.from([0, 1, 2, 0, 1, 2]) };
    const first = referenceTrainStep(graph, weights, sgd, batch, 0.05).loss;
    let last = first;
    for (let i = 0; i < 15; i++) last = referenceTrainStep(graph, weights, sgd, batch, 0.05).loss;
    expect(last).toBeLessThan(first * 0.7);
  });
});
