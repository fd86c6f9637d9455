// Kernel warm-up runs each new pipeline once on scratch buffers, and only on CPU drivers (which
// compile a shader when it first runs). On a GPU driver createComputePipelineAsync compiles it, so
// creation submits nothing and reports progress as pipelines are created. A GPU is stood in for by
// the lavapipe device behind a context whose adapter says it is one.

import { openTrainer } from '../src/launch/train.js';
import { openExecutor } from '../src/launch/infer.js';
import { describe, expect, it, vi } from 'vitest';
import { residualNetwork } from '../src/ir/factory.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { isCpuDriver } from '../src/runtime/gpu-context.js';
import { openDevice, type GpuContext } from '../src/runtime/index.js';
import { initWeights } from '../src/weights/index.js';
import { errorVsReference } from './gpu-fixtures.js';

const graph = lowerToGraph(residualNetwork({ name: 'warm', depths: [1, 1], channels: [4, 8], input: { c: 3, h: 8, w: 8 }, classes: 5 }));

/** The same device, described as a discrete GPU. */
const asGpu = (ctx: GpuContext): GpuContext => ({ ...ctx, adapterInfo: 'nvidia / hopper / NVIDIA H100 80GB HBM3', cpuDriver: false, openCompileHelper: undefined });

/** Each call's [done, total], and whether creation submitted any work (the dummy dispatches). */
async function creating<T>(ctx: GpuContext, create: (onCompile: (done: number, total: number) => void) => Promise<T>) {
  const progress: [number, number][] = [];
  const submit = vi.spyOn(ctx.device.queue, 'submit');
  try {
    const made = await create((done, total) => progress.push([done, total]));
    return { made, progress, submits: submit.mock.calls.length };
  } finally {
    submit.mockRestore();
  }
}

describe('kernel warm-up', () => {
  it('records whether the adapter is a CPU driver', async () => {
    const ctx = await openDevice();
    try {
      expect(ctx.cpuDriver).toBe(true);
    } finally {
      ctx.close();
    }
    expect(isCpuDriver({ vendor: 'mesa', architecture: 'software', device: 'llvmpipe-llvm-15', description: '' })).toBe(true);
    expect(isCpuDriver({ vendor: 'google', architecture: '', device: 'SwiftShader Device (Subzero)', description: '' })).toBe(true);
    expect(isCpuDriver({ vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H100 80GB HBM3', description: '' })).toBe(false);
  });

  it('on a GPU driver: no dummy dispatches, progress over the new pipelines, correct results', async () => {
    // A device of its own: no pipeline of this network is compiled or warmed on it yet.
    const ctx = await openDevice();
    try {
      const gpu = asGpu(ctx);
      let kernels = 0;
      const err = await errorVsReference(graph, 2, 5, async (w) => {
        const r = await creating(gpu, (onCompile) => openExecutor(gpu, graph, w, { batch: 2 }, onCompile));
        kernels = r.made.program.kernels.length;
        expect(r.submits).toBe(0);
        expect(r.progress[0]).toEqual([0, kernels]);
        expect(r.progress[r.progress.length - 1]).toEqual([kernels, kernels]);
        expect(r.progress.map((p) => p[0])).toEqual([...Array(kernels + 1).keys()]);
        return r.made;
      });
      expect(kernels).toBeGreaterThan(3);
      expect(err).toBeLessThan(1e-5);

      const t = await creating(gpu, (onCompile) => openTrainer(gpu, graph, initWeights(graph, 0), { batch: 2, onCompile }));
      expect(t.submits).toBe(0);
      const total = t.progress[0][1];
      expect(total).toBeGreaterThan(0);
      expect(t.progress[t.progress.length - 1]).toEqual([total, total]);
      t.made.dispose();

      // The same pipelines through the CPU driver's own context: never run yet, so warmed now.
      const again = await creating(ctx, (onCompile) => openExecutor(ctx, graph, initWeights(graph, 0), { batch: 2 }, onCompile));
      expect(again.submits).toBe(again.made.program.kernels.length);
      again.made.dispose();
    } finally {
      ctx.close();
    }
  });
});
