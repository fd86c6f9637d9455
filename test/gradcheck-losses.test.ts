// Finite-difference checks (central differences, float64 throughout) of the training losses and
// their gradients w.r.t. the student logits, plus value checks against a literal transcription of
// mdistiller's DKD (with its -1000 target mask).

import { describe, expect, it } from 'vitest';
import { SplitMix32 } from '../src/util/rng.js';
import { decoupledKd, dkdWarmup, hintonKd, softmaxCrossEntropy, type LossResult } from '../src/train/losses.js';

function randomLogits(rng: SplitMix32, n: number, scale: number): Float64Array {
  return Float64Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale);
}

/** Largest |numeric - analytic| over every logit, relative to max(1, |analytic|). */
function check(f: (z: Float64Array) => LossResult, z0: Float64Array, h = 1e-5): number {
  const g = f(z0).grad;
  let worst = 0;
  for (let i = 0; i < z0.length; i++) {
    const zp = z0.slice();
    const zm = z0.slice();
    zp[i] += h;
    zm[i] -= h;
    const num = (f(zp).loss - f(zm).loss) / (2 * h);
    worst = Math.max(worst, Math.abs(num - g[i]) / Math.max(1, Math.abs(g[i])));
  }
  return worst;
}

const B = 5;
const K = 7;
const rng = new SplitMix32(1234);
const labels = Int32Array.from({ length: B }, () => rng.int(K));
const student = randomLogits(rng, B * K, 3);
const teacher = randomLogits(rng, B * K, 5);

describe('softmax cross-entropy', () => {
  it('is log K for equal logits, with gradient (1/K - onehot)/B', () => {
    const r = softmaxCrossEntropy(new Float64Array(B * K), labels, K);
    expect(r.loss).toBeCloseTo(Math.log(K), 12);
    for (let n = 0; n < B; n++) for (let i = 0; i < K; i++) expect(r.grad[n * K + i]).toBeCloseTo((1 / K - (i === labels[n] ? 1 : 0)) / B, 12);
  });
  it('matches central differences', () => {
    expect(check((z) => softmaxCrossEntropy(z, labels, K), student)).toBeLessThan(1e-8);
  });
  it('is stable for large logits', () => {
    const z = student.map((v) => v * 1000);
    const r = softmaxCrossEntropy(z, labels, K);
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.grad.every(Number.isFinite)).toBe(true);
  });
  it('rejects bad labels and shapes', () => {
    expect(() => softmaxCrossEntropy(student, [0, 1, 2, 3, 7], K)).toThrow(/label 7 at 4 outside 0..6/);
    expect(() => softmaxCrossEntropy(student.subarray(1), labels, K)).toThrow(/34 logits for 5 labels x 7 classes/);
  });
});

describe('Hinton KD', () => {
  it('is 0.1 CE + 0.9 T^2 KL with T = 4 by default', () => {
    const r = hintonKd(student, teacher, labels, K);
    // KL by its definition, directly.
    let kl = 0;
    for (let n = 0; n < B; n++) {
      const ps = softmaxT(student.subarray(n * K, (n + 1) * K), 4);
      const pt = softmaxT(teacher.subarray(n * K, (n + 1) * K), 4);
      for (let i = 0; i < K; i++) kl += pt[i] * Math.log(pt[i] / ps[i]);
    }
    const kd = (16 * kl) / B;
    expect(r.kd).toBeCloseTo(kd, 12);
    expect(r.ce).toBeCloseTo(softmaxCrossEntropy(student, labels, K).loss, 12);
    expect(r.loss).toBeCloseTo(0.1 * r.ce + 0.9 * kd, 12);
  });
  it('has no KD term when the student equals the teacher', () => {
    const r = hintonKd(teacher, teacher, labels, K);
    expect(r.kd).toBeCloseTo(0, 12);
    const ce = softmaxCrossEntropy(teacher, labels, K);
    for (let i = 0; i < B * K; i++) expect(r.grad[i]).toBeCloseTo(0.1 * ce.grad[i], 12);
  });
  it('matches central differences (default and custom weights and temperature)', () => {
    expect(check((z) => hintonKd(z, teacher, labels, K), student)).toBeLessThan(1e-8);
    expect(check((z) => hintonKd(z, teacher, labels, K, { temperature: 2, ceWeight: 0.5, kdWeight: 0.3 }), student)).toBeLessThan(1e-8);
  });
});

function softmaxT(z: ArrayLike<number>, t: number): number[] {
  const m = Math.max(...Array.from(z, (v) => v / t));
  const e = Array.from(z, (v) => Math.exp(v / t - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** mdistiller's dkd_loss, transcribed operation by operation (batch-mean, T^2 scaled). */
function mdistillerDkd(zs: Float64Array, zt: Float64Array, y: Int32Array, alpha: number, beta: number, T: number) {
  let tckd = 0;
  let nckd = 0;
  for (let n = 0; n < B; n++) {
    const s = zs.subarray(n * K, (n + 1) * K);
    const t = zt.subarray(n * K, (n + 1) * K);
    const ps = softmaxT(s, T);
    const pt = softmaxT(t, T);
    // cat_mask: [sum over gt, sum over others]
    const bs = [ps[y[n]], ps.reduce((a, v, i) => (i === y[n] ? a : a + v), 0)];
    const bt = [pt[y[n]], pt.reduce((a, v, i) => (i === y[n] ? a : a + v), 0)];
    for (let i = 0; i < 2; i++) tckd += bt[i] * (Math.log(bt[i]) - Math.log(bs[i]));
    // softmax(logits / T - 1000 * gt_mask)
    const masked = (z: ArrayLike<number>) => Array.from(z, (v, i) => v / T - (i === y[n] ? 1000 : 0));
    const qt = softmaxT(masked(t), 1);
    const logqs = (() => {
      const m = masked(s);
      const mx = Math.max(...m);
      const l = mx + Math.log(m.reduce((a, v) => a + Math.exp(v - mx), 0));
      return m.map((v) => v - l);
    })();
    for (let i = 0; i < K; i++) if (qt[i] > 0) nckd += qt[i] * (Math.log(qt[i]) - logqs[i]);
  }
  return { tckd: (tckd * T * T) / B, nckd: (nckd * T * T) / B, total: (alpha * tckd * T * T + beta * nckd * T * T) / B };
}

describe('Decoupled KD', () => {
  it('matches mdistiller term by term, with CE + min(epoch/warmup, 1) weighting', () => {
    const ref = mdistillerDkd(student, teacher, labels, 1, 8, 4);
    const r = decoupledKd(student, teacher, labels, K, { epoch: 30 });
    expect(r.tckd).toBeCloseTo(ref.tckd, 10);
    expect(r.nckd).toBeCloseTo(ref.nckd, 10);
    expect(r.warm).toBe(1);
    expect(r.loss).toBeCloseTo(softmaxCrossEntropy(student, labels, K).loss + ref.total, 10);
    const early = decoupledKd(student, teacher, labels, K, { epoch: 5, alpha: 1, beta: 2 });
    expect(early.warm).toBe(0.25);
    expect(early.loss).toBeCloseTo(early.ce + 0.25 * (early.tckd + 2 * early.nckd), 12);
  });
  it('warm-up factor: epoch 1 of 20 is 0.05, saturating at 1', () => {
    expect(dkdWarmup(1, 20)).toBe(0.05);
    expect(dkdWarmup(20, 20)).toBe(1);
    expect(dkdWarmup(200, 20)).toBe(1);
    expect(dkdWarmup(3, 0)).toBe(1);
  });
  it('has no KD terms when the student equals the teacher', () => {
    const r = decoupledKd(teacher, teacher, labels, K, { epoch: 40 });
    expect(r.tckd).toBeCloseTo(0, 12);
    expect(r.nckd).toBeCloseTo(0, 12);
  });
  it('matches central differences (several alpha, beta, T and warm-up points)', () => {
    for (const o of [
      { epoch: 40 },
      { epoch: 3, alpha: 1, beta: 0.8, temperature: 2 },
      { epoch: 25, alpha: 0.5, beta: 6, temperature: 1, ceWeight: 0.7 },
      { epoch: 10, alpha: 1, beta: 0, warmup: 5 },
    ]) {
      expect(check((z) => decoupledKd(z, teacher, labels, K, o), student)).toBeLessThan(1e-8);
    }
  });
  it('each part alone matches central differences', () => {
    const tck = (z: Float64Array) => {
      const r = decoupledKd(z, teacher, labels, K, { epoch: 20, alpha: 1, beta: 0, ceWeight: 0 });
      return { loss: r.tckd, grad: r.grad };
    };
    const nck = (z: Float64Array) => {
      const r = decoupledKd(z, teacher, labels, K, { epoch: 20, alpha: 0, beta: 1, ceWeight: 0 });
      return { loss: r.nckd, grad: r.grad };
    };
    expect(check(tck, student)).toBeLessThan(1e-8);
    expect(check(nck, student)).toBeLessThan(1e-8);
    // NCKD does not depend on the target logit.
    const g = nck(student).grad;
    for (let n = 0; n < B; n++) expect(g[n * K + labels[n]]).toBe(0);
  });
});
