// Sharing GPU memory between training buffers (and recomputing chain outputs) changes where values
// live, never what is computed: two steps with sharing on and off must agree bit for bit on the
// losses, the logits, the parameter gradients, the updated parameters, momentum and running
// statistics (on lavapipe in CI).

import { openTrainer } from '../src/launch/train.js';
import { describe, expect, it } from 'vitest';
import { residualNetwork } from '../src/ir/factory.js';
import type { LayerGraph } from '../src/ir/graph.js';
import { lowerToGraph } from '../src/ir/lower.js';
import type { Weights } from '../src/weights/weights.js';
import { inputFor, useGpu, weightsFor } from './gpu-fixtures.js';
import { maskedGraph } from './snl-fixtures.js';
import { clearedGradientGraph, reluReuseGraph } from './train-memory-fixtures.js';

const gpu = useGpu();

/** The bits of a float array, so that -0 vs 0 and NaN payloads count as differences. */
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

interface StepRecord {
  losses: number[];
  logits: number[];
  grads: Map<string, number[]>;
  weights: Map<string, number[]>;
  momentum: Map<string, number[]>;
  allocations: number;
  buffers: number;
  recomputed: string[];
}

const byName = (w: Weights) => new Map([...w].map(([k, t]) => [k, bits(t.data)]));

async function twoSteps(g: LayerGraph, reuse: boolean, batch: number): Promise<StepRecord> {
  const tr = await openTrainer(gpu(), g, weightsFor(g, 5), { batch, reuse });
  try {
    const losses: number[] = [];
    for (let s = 0; s < 2; s++) {
      const labels = Array.from({ length: batch }, (_, i) => (i * 3 + s) % g.classes);
      await tr.step(inputFor(g, batch, 10 + s), labels, 0.1);
      losses.push(...bits(Float32Array.of((await tr.readSums(true)).loss)));
    }
    const grads = new Map([...(await tr.readGrads())].map(([k, v]) => [k, bits(v)]));
    const { program } = tr;
    return {
      losses,
      logits: bits(await tr.readValue(g.nodes[g.output].name, 'forward')),
      grads,
      weights: byName(await tr.readWeights()),
      momentum: byName(await tr.readMomentum()),
      allocations: program.allocations.length,
      buffers: program.buffers.length,
      recomputed: program.dispatches.filter((d) => d.label.endsWith(' recompute')).map((d) => d.label),
    };
  } finally {
    tr.dispose();
  }
}

/** What each case is, its graph and batch, and the chains its sharing plan must recompute (by their recomputation's label). */
const cases: [string, () => LayerGraph, number, string[]][] = [
  ['a small residual network (1x12x12, downsampling stage)', () => lowerToGraph(residualNetwork({ name: 'small', depths: [2, 1], channels: [4, 8], input: { c: 1, h: 12, w: 12 }, classes: 10 })), 3, []],
  ['ReLU-reuse units (slices and concatenations)', reluReuseGraph, 2, []],
  ['a gradient cleared every step, its memory taken over by a later one', clearedGradientGraph, 2, []],
  // The masked ReLU's mask gradient reads its input, the batch norm's output: recomputed like any value the backward half reads.
  ['SNL-masked ReLUs (per pixel and per channel)', maskedGraph, 2, ['bn1 recompute']],
];

describe('two training steps with buffer sharing on and off', () => {
  for (const [what, graph, batch, recomputes] of cases) {
    it(`${what}: identical bits`, async () => {
      const g = graph();
      const off = await twoSteps(g, false, batch);
      const on = await twoSteps(g, true, batch);
      expect(off.allocations).toBe(off.buffers);
      expect(on.allocations).toBeLessThan(on.buffers);
      expect(on.losses).toEqual(off.losses);
      expect(on.logits).toEqual(off.logits);
      for (const [k, v] of off.grads) expect(on.grads.get(k), `gradient ${k}`).toEqual(v);
      for (const [k, v] of off.weights) expect(on.weights.get(k), k).toEqual(v);
      for (const [k, v] of off.momentum) expect(on.momentum.get(k), `momentum ${k}`).toEqual(v);
      if (what.startsWith('a small')) expect(on.recomputed.length).toBeGreaterThan(0);
      for (const label of recomputes) expect(on.recomputed).toContain(label);
      expect(off.recomputed).toEqual([]);
    });
  }
});

describe('reading values back', () => {
  it('a value whose memory a later buffer of the step reuses is refused with a way out', async () => {
    const g = clearedGradientGraph();
    const tr = await openTrainer(gpu(), g, weightsFor(g, 5), { batch: 2 });
    try {
      await tr.step(inputFor(g, 2, 1), [0, 1], 0.1);
      // r0's memory is reused by its recomputation and later gradients in the backward half
      await expect(tr.readValue('r0', 'forward')).rejects.toThrow("cleared: r0's value shares GPU memory with a buffer the step uses later, so it is gone after the step; create the trainer with reuse: false to read it");
      expect((await tr.readValue(g.nodes[g.output].name, 'grad')).length).toBe(2 * 3);
    } finally {
      tr.dispose();
    }
  });
});
