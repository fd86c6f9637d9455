// Inference with f16 weights (plan option f16Weights): the conv and fc weights are stored in half
// the bytes, the kernels read them into f32 and accumulate in f32, and the logits stay within f16's
// rounding of the reference; the default plans keep f32 weights.

import { describe, expect, it } from 'vitest';
import '../src/codegen/template-files.js';
import { residualNetwork } from '../src/ir/factory.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { inferencePlanFor } from '../src/launch/infer.js';
import { Executor } from '../src/runtime/executor.js';
import { errorVsReference, useGpu } from './gpu-fixtures.js';

const gpu = useGpu();
// Channel counts that are not multiples of 4 (5, 15), a stride-2 stage, and an fc with an odd number
// of weights (15 features x 5 classes).
const graph = lowerToGraph(residualNetwork({ name: 'r', m: 5, factors: [3], depths: [1, 1], input: { c: 3, h: 10, w: 10 }, classes: 5 }));

describe('f16 weights', () => {
  it('halve the conv and fc weight buffers, and nothing else', () => {
    const f32 = inferencePlanFor(gpu(), graph, { batch: 2 });
    const f16 = inferencePlanFor(gpu(), graph, { batch: 2, f16Weights: true });
    const bytes = (p: typeof f32, kind: string) => p.buffers.filter((b) => b.param?.kind === kind).map((b) => b.bytes);
    expect(bytes(f16, 'conv-weight')).toEqual(bytes(f32, 'conv-weight').map((b) => b / 2));
    // An fc weight of an odd count is padded to whole 4-byte words.
    expect(bytes(f16, 'fc-weight')).toEqual(bytes(f32, 'fc-weight').map((b) => Math.ceil(b / 8) * 4));
    expect(bytes(f16, 'conv-bias')).toEqual(bytes(f32, 'conv-bias'));
    const convs = f16.kernels.filter((k) => k.template === 'conv' || k.template === 'fc');
    expect(convs.length).toBeGreaterThan(0);
    for (const k of convs) expect(k.wgsl, k.name).toMatch(/^enable f16;$/m);
    for (const k of f32.kernels) expect(k.wgsl, k.name).not.toContain('f16');
  });

  it('give the reference logits within f16 rounding, with and without subgroups', async () => {
    for (const subgroupSize of [0, gpu().subgroupSize]) {
      const plan = inferencePlanFor({ ...gpu(), subgroupSize }, graph, { batch: 3, f16Weights: true });
      const err = await errorVsReference(graph, 3, 4, (w) => Executor.create(gpu(), plan.program, w));
      // f16 keeps 11 significant bits: a relative rounding of at most 2^-11 per weight.
      expect(err, `subgroups of ${subgroupSize}`).toBeLessThan(5e-3);
      // ...and the rounding is there: the f32 plan is far closer.
      const exact = await errorVsReference(graph, 3, 4, (w) => Executor.create(gpu(), inferencePlanFor({ ...gpu(), subgroupSize }, graph, { batch: 3 }).program, w));
      expect(exact).toBeLessThan(1e-5);
      expect(err).toBeGreaterThan(exact);
    }
  });

  it('are refused on a device without shader-f16, naming it', () => {
    expect(() => inferencePlanFor({ ...gpu(), f16: false }, graph, { batch: 1, f16Weights: true })).toThrow(/^f16 weights need the shader-f16 feature, which .+ does not offer$/);
  });
});
