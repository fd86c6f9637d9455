// The program both plans lower to, and its weight transforms, checked on the host (the GPU tests
// run the same programs through the runtime against the reference).

import { describe, expect, it } from 'vitest';
import '../src/codegen/template-files.js';
import { compilePlan } from '../src/codegen/plan.js';
import { compileTrainPlan } from '../src/codegen/train-plan.js';
import { residualNetwork } from '../src/ir/factory.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { flatLayout, flatTensors, tensorsFromFlat, weightContents, weightsFromContents } from '../src/program/uploads.js';
import { initWeights, perturbWeights } from '../src/weights/weights.js';

// Two stages whose widths are not multiples of the packing's channel block, so packing pads.
const graph = lowerToGraph(residualNetwork({ name: 'r', m: 6, factors: [2], depths: [1, 1], input: { c: 3, h: 8, w: 8 }, classes: 10 }));
const weights = perturbWeights(initWeights(graph, 3), 4);

describe('the inference program', () => {
  const plan = compilePlan(graph, { batch: 2, subgroupSize: 8 });
  const program = plan.program;

  it('has a weight upload for every parameter buffer, and the plan buffers and dispatches as they are', () => {
    const params = plan.buffers.filter((b) => b.kind === 'param').map((b) => b.id);
    expect(program.uploads.map((u) => u.buffer)).toEqual(params);
    expect(program.buffers.map((b) => [b.name, b.bytes])).toEqual(plan.buffers.map((b) => [b.name, b.bytes]));
    expect(program.allocations.every((a, i) => a.buffers.length === 1 && a.buffers[0] === i && a.bytes >= plan.buffers[i].bytes)).toBe(true);
    program.dispatches.forEach((d, i) => {
      const p = plan.dispatches[i];
      expect(d.workgroups).toEqual(p.workgroups);
      // Each binding's layout says whether the dispatch writes it.
      expect(d.bindings.map((b) => program.kernels[d.kernel].layout[b.binding] === 'storage')).toEqual(p.bindings.map((b) => b.write));
    });
    expect(program.io.logits.classes).toBe(10);
    expect(program.io.probs).toBe(plan.output.probs);
  });

  it('folds batch norm into the convolution it follows', () => {
    const contents = weightContents(program, weights);
    const stem = program.uploads.find((u) => u.transform.kind === 'fold-pack' && u.transform.source.kind === 'conv-bias' && u.transform.source.conv === 'stem.conv1')!;
    const bn = (k: string) => weights.get(`stem.bn1.${k}`)!.data;
    // With no conv bias, the folded bias of channel 0 is beta - gamma * mean / sqrt(var + eps).
    const expected = bn('beta')[0] - (bn('gamma')[0] * bn('running_mean')[0]) / Math.sqrt(bn('running_var')[0] + 1e-5);
    expect(contents.get(stem.buffer)![0]).toBeCloseTo(expected, 5);
  });
});

describe('the training program', () => {
  const plan = compileTrainPlan(graph, { batch: 2 });
  const program = plan.program;

  it('uploads the parameters flat and the running statistics, and reads them back as they were', () => {
    expect(program.uploads.map((u) => u.transform.kind)).toEqual(['flat-params', 'flat-running']);
    // Training uploads are f32: read the buffers back as such.
    const contents = new Map([...weightContents(program, weights)].map(([id, data]) => [id, new Float32Array(data.buffer)]));
    const back = weightsFromContents(program, graph, contents);
    expect([...back.keys()].sort()).toEqual([...weights.keys()].sort());
    for (const [name, t] of weights) expect(Array.from(back.get(name)!.data), name).toEqual(Array.from(t.data));
  });

  it('lays momentum out like the parameters, and refuses optimizer state that misses a tensor', () => {
    const layout = flatLayout(program);
    const momentum = new Map(layout.params.map((p, i) => [p.name, { shape: p.shape, data: Float32Array.from(weights.get(p.name)!.data, (v) => v * (i + 1)) }]));
    const back = tensorsFromFlat(layout.params, flatTensors(layout, momentum));
    for (const [name, t] of momentum) expect(Array.from(back.get(name)!.data), name).toEqual(Array.from(t.data));
    momentum.delete(layout.params[0].name);
    expect(() => flatTensors(layout, momentum, 'optimizer state', 'momentum buffer')).toThrow(`optimizer state has no momentum buffer for ${layout.params[0].name}`);
  });

  it('shares the allocations and clears the buffers the training plan chose', () => {
    expect(program.allocations.map((a) => a.buffers)).toEqual(plan.memory.allocations.map((a) => a.buffers));
    expect(program.clears).toEqual(plan.clears);
    expect(program.buffers.filter((b) => b.usage === 'uniform').map((b) => b.name).sort()).toEqual(
      plan.buffers.filter((b) => b.kind === 'uniform' || b.kind === 'args').map((b) => b.name).sort(),
    );
  });
});
