// Dispatch arguments in the training plan: kernels that differ only in a layer's sizes and offsets
// are one kernel, and each dispatch finds its own values in its slot of the arguments uniform.
import { describe, expect, it } from 'vitest';
import { compileTrainPlan } from '../src/codegen/train-plan.js';
import type { TrainPlan } from '../src/codegen/train/types.js';
import { residualNetwork } from '../src/ir/factory.js';
import { lowerToGraph } from '../src/ir/lower.js';

const graph = lowerToGraph(residualNetwork({ name: 'HRN-2x5x3x(m=4)', m: 4, factors: [2, 5, 3], depths: [2, 2, 2, 2], criticality: ['S3', 'S2', 'S4', 'S1'] }));
const plan = compileTrainPlan(graph, { batch: 128 });

/** The named arguments a dispatch's kernel reads, decoded from the plan's arguments buffer. */
function argsOf(p: TrainPlan, index: number): Record<string, number> {
  const d = p.dispatches[index];
  const k = p.kernels[d.kernel];
  const fields = /struct Args \{([^}]*)\}/.exec(k.wgsl)![1].trim().split(/,\s*/).filter(Boolean).map((f) => f.split(':').map((s) => s.trim()));
  const binding = d.bindings.find((b) => b.type === 'uniform' && p.buffers[b.buffer].kind === 'args')!;
  const init = p.buffers[binding.buffer].init!;
  const words = init.subarray(binding.offset! / 4, binding.offset! / 4 + binding.size! / 4);
  const floats = new Float32Array(words.buffer, words.byteOffset, words.length);
  return Object.fromEntries(fields.map(([name, type], i) => [name, type === 'f32' ? floats[i] : words[i]]));
}

const byTemplate = (t: string) => plan.dispatches.filter((d) => plan.kernels[d.kernel].template === t);

describe('dispatch arguments', () => {
  it('all batch norms share one statistics-merge kernel and one backward-merge kernel', () => {
    for (const t of ['train/bn_finalize', 'train/chain_bwd_finalize']) {
      const ds = byTemplate(t);
      expect(ds.length, t).toBe(graph.nodes.filter((n) => n.op === 'bn').length);
      expect(new Set(ds.map((d) => d.kernel)).size, t).toBe(1);
    }
    expect(new Set(byTemplate('train/bn_stats').map((d) => d.kernel)).size).toBeLessThanOrEqual(2);
  });

  it("each dispatch reads its own layer's channels and offsets from a 256-byte aligned slot", () => {
    const ds = byTemplate('train/bn_finalize');
    const seen = new Set<number>();
    for (const d of ds) {
      const bn = graph.nodes.find((n) => d.label === `${n.name} batch statistics (merge)`)!;
      expect(bn, d.label).toBeDefined();
      const a = argsOf(plan, d.index);
      expect(a.C, d.label).toBe(bn.shape.c);
      expect(a.COUNT, d.label).toBe(128 * bn.shape.h * bn.shape.w);
      expect(a.MOMENTUM).toBeCloseTo(0.1, 7);
      const running = plan.running.find((r) => r.bn === bn.name)!;
      expect([a.RM_OFF, a.RV_OFF]).toEqual([running.mean, running.variance]);
      const off = d.bindings.find((b) => b.type === 'uniform')!.offset!;
      expect(off % 256).toBe(0);
      expect(seen.has(off)).toBe(false);
      seen.add(off);
    }
  });
});
