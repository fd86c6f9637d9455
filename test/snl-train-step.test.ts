// One training step of an SNL network on the device: the masks' gradients (and every other
// parameter's) against the reference backward, the L1 penalty in the mask gradient, and frozen
// masks that a step leaves as they are.

import { openTrainer } from '../src/launch/train.js';
import { describe, expect, it } from 'vitest';
import type { LayerGraph } from '../src/ir/graph.js';
import { backwardGraph, forwardGraph } from '../src/reference/backward.js';
import { tensor } from '../src/reference/ops.js';
import { softmaxCrossEntropy } from '../src/train/losses.js';
import { Rng, type Weights } from '../src/weights/index.js';
import { inputFor, relError, useGpu, weightsFor } from './gpu-fixtures.js';
import { copyWeights } from './numeric.js';
import { maskedGraph } from './snl-fixtures.js';

const gpu = useGpu();
const labelsFor = (batch: number, classes: number) => Array.from({ length: batch }, (_, i) => (i * 7 + 3) % classes);


function maskedWeights(g: LayerGraph): Weights {
  const w = weightsFor(g, 3);
  const rng = new Rng(4);
  for (const name of ['r1.mask', 'r2.mask']) {
    const m = w.get(name)!.data;
    rng.fillUniform(m, 0, 1);
    m[0] = 0;
    m[1] = 1;
  }
  return w;
}

describe('a training step of an SNL network on the device', () => {
  for (const reuse of [true, false]) {
    it(`every gradient, the masks' included, matches the reference backward (buffer sharing ${reuse ? 'on' : 'off'})`, async () => {
      const g = maskedGraph();
      const w = maskedWeights(g);
      const batch = 3;
      const x = inputFor(g, batch, 8);
      const labels = labelsFor(batch, g.classes);
      const t = await openTrainer(gpu(), g, w, { batch, reuse });
      try {
        await t.step(x, labels, 0);
        await t.flush();
        const got = await t.readGrads();
        const s = g.nodes[0].shape;
        const tape = forwardGraph(g, copyWeights(w), tensor(batch, s.c, s.h, s.w, x), { training: true });
        const ref = backwardGraph(g, w, tape, Float32Array.from(softmaxCrossEntropy(tape.acts[g.output].data, labels, g.classes).grad));
        expect([...ref.grads.keys()]).toContain('r1.mask');
        expect([...ref.grads.keys()]).toContain('r2.mask');
        for (const [name, r] of ref.grads) expect(relError(got.get(name)!, r), name).toBeLessThan(2e-4);
      } finally {
        t.dispose();
      }
    });
  }

  it('the L1 penalty adds its weight to the gradient of every positive mask entry; frozen masks do not move', async () => {
    const g = maskedGraph();
    const w = maskedWeights(g);
    w.get('r2.mask')!.data[2] = -0.5;
    const batch = 2;
    const x = inputFor(g, batch, 9);
    const labels = labelsFor(batch, g.classes);
    const t = await openTrainer(gpu(), g, w, { batch });
    try {
      await t.step(x, labels, 0);
      const plain = await t.readGrads();
      await t.step(x, labels, 0, { maskPenalty: 0.5 });
      const penalized = await t.readGrads();
      for (const name of ['r1.mask', 'r2.mask']) {
        const m = w.get(name)!.data;
        const want = Array.from(plain.get(name)!, (v, i) => v + (m[i] > 0 ? 0.5 : 0));
        expect(relError(penalized.get(name)!, want), name).toBeLessThan(1e-5);
      }
      // Freezing: the masks' momentum is cleared once (as the loop does at binarization), then frozen steps leave them.
      const mom = await t.readMomentum();
      for (const name of ['r1.mask', 'r2.mask']) mom.get(name)!.data.fill(0);
      t.setMomentum(mom);
      await t.step(x, labels, 0.1, { maskPenalty: 0.5, masksFrozen: true });
      await t.step(x, labels, 0.1, { masksFrozen: true });
      const after = await t.readWeights();
      for (const name of ['r1.mask', 'r2.mask']) expect(Array.from(after.get(name)!.data), name).toEqual(Array.from(w.get(name)!.data));
      expect(relError(after.get('c1.weight')!.data, w.get('c1.weight')!.data), 'the rest trains').toBeGreaterThan(1e-6);
    } finally {
      t.dispose();
    }
  });
});
