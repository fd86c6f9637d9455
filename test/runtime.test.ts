// Whole networks on the device vs the reference executor, executor behaviour, and a compile check
// of every kernel the paper's networks need.

import { openExecutor } from '../src/launch/infer.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchIR } from '../src/ir/arch.js';
import { residualNetwork } from '../src/ir/factory.js';
import type { LayerGraph } from '../src/ir/graph.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { compilePlan, planFlops } from '../src/codegen/index.js';
import type { ProgramCore, ProgramKernel } from '../src/program/types.js';
import { ProgramRunner } from '../src/runtime/runner.js';
import { runReference } from '../src/reference/index.js';
import { Executor, getPipeline, KernelCompileError, openDevice } from '../src/runtime/index.js';
import { Rng, type Weights } from '../src/weights/index.js';
import { errorVsReference, relError, useGpu, weightsFor } from './gpu-fixtures.js';

const gpu = useGpu();

// Networks are small and share one batch size: every distinct kernel costs lavapipe a JIT
// compile (about a second) on a cold shader cache.
const BATCH = 2;
const small = (edit?: (a: ArchIR) => void): LayerGraph => {
  const arch = residualNetwork({ name: 'small', m: 8, factors: [2, 2], depths: [2, 1, 1], input: { c: 3, h: 16, w: 16 }, classes: 10 });
  edit?.(arch);
  return lowerToGraph(arch);
};

const compare = (graph: LayerGraph, batch: number, seed = 1): Promise<number> =>
  errorVsReference(graph, batch, seed, (w) => openExecutor(gpu(), graph, w, { batch }));

describe('whole networks, GPU vs reference', () => {
  it('a ResNet (basic blocks, projection shortcuts)', async () => {
    expect(await compare(small(), BATCH)).toBeLessThan(1e-4);
  });

  it('culled and thinned stages (adds without ReLU, bare conv-bn)', async () => {
    const g = small((a) => {
      a.stages[0].relu.culled = true;
      a.stages[1].relu.thinned = true;
      a.stages[2].relu.thinned = true;
    });
    expect(await compare(g, BATCH)).toBeLessThan(1e-4);
  });

  it('ReLU-reuse units (slices, grouped branches, partial ReLUs, concatenations)', async () => {
    const g = lowerToGraph(
      (() => {
        const a = residualNetwork({ name: 'reuse', m: 16, factors: [2], depths: [1, 1], input: { c: 3, h: 8, w: 8 }, classes: 7 });
        a.stages[0].relu.reuse = 4;
        a.stages[1].relu.reuse = 8;
        a.stages[1].relu.thinned = true;
        return a;
      })(),
    );
    expect(g.nodes.some((n) => n.op === 'concat')).toBe(true);
    expect(await compare(g, BATCH)).toBeLessThan(1e-4);
  });

  it('bottleneck blocks', async () => {
    const arch = residualNetwork({ name: 'bneck', m: 8, factors: [], depths: [1], input: { c: 3, h: 8, w: 8 }, classes: 5, block: 'bottleneck' });
    expect(await compare(lowerToGraph(arch), BATCH)).toBeLessThan(1e-4);
  });
});

describe('executor', () => {
  const g = small();
  let w: Weights;
  let ex: Executor;
  const batch = BATCH;
  const per = 3 * 16 * 16;
  beforeAll(async () => {
    w = weightsFor(g, 7);
    ex = await openExecutor(gpu(), g, w, { batch });
  });
  afterAll(() => ex?.dispose());

  it('runs partial batches and gives each image the same logits', async () => {
    const x = new Rng(1).fillNormal(new Float32Array(batch * per), 1);
    const full = await ex.run(x);
    expect(full.length).toBe(batch * 10);
    const one = await ex.run(x.subarray(0, per));
    expect(one.length).toBe(10);
    expect(relError(one, full.subarray(0, 10))).toBe(0);
  });

  it('serializes concurrent runs', async () => {
    const xs = [1, 2, 3].map((s) => new Rng(s).fillNormal(new Float32Array(batch * per), 1));
    const outs = await Promise.all(xs.map((x) => ex.run(x)));
    for (let i = 0; i < 3; i++) expect(relError(outs[i], runReference(g, w, xs[i], batch))).toBeLessThan(1e-4);
  });

  it('classifies: logits, probabilities and classes from one submission', async () => {
    const x = new Rng(4).fillNormal(new Float32Array(batch * per), 1);
    const c = await ex.classify(x);
    expect(c.probs.length).toBe(batch * 10);
    expect(c.classes.length).toBe(batch);
    for (let n = 0; n < batch; n++) {
      const row = Array.from(c.logits.subarray(n * 10, n * 10 + 10));
      expect(c.classes[n]).toBe(row.indexOf(Math.max(...row)));
    }
  });

  it('rejects an input of the wrong size, naming the expected shape', async () => {
    await expect(ex.run(new Float32Array(per + 1))).rejects.toThrow(/want 1\.\.2 images of 3x16x16 \(768 values each\)/);
  });

  it('times whole runs', async () => {
    const ms = await ex.time(2);
    expect(ms).toBeGreaterThan(0);
    expect(planFlops(ex.program)).toBeGreaterThan(0);
  });

  it('refuses to run after dispose', async () => {
    const e2 = await openExecutor(gpu(), g, w, { batch });
    e2.dispose();
    await expect(e2.run(new Float32Array(per))).rejects.toThrow(/disposed/);
  });

  it('refuses a plan compiled for a subgroup width above the device\'s smallest subgroup', async () => {
    const plan = compilePlan(g, { batch, subgroupSize: Math.max(16, 2 * gpu().subgroupSize) });
    await expect(Executor.create(gpu(), plan.program, w)).rejects.toThrow(/compiled for subgroup width \d+ but the device has/);
  });

  it('caches pipelines per device by WGSL source', async () => {
    const k = ex.program.kernels[0];
    const a = await getPipeline(gpu().device, k);
    const b = await getPipeline(gpu().device, { ...k, name: 'other-name' });
    expect(a).toBe(b);
  });
});

describe('shader compilation', () => {
  it('every kernel of ResNet18 and HRN-5x5x3x compiles (batch 1 and 128)', async () => {
    const nets = [
      residualNetwork({ name: 'ResNet18', m: 64, factors: [2, 2, 2], depths: [2, 2, 2, 2] }),
      residualNetwork({ name: 'HRN-5x5x3x', m: 16, factors: [5, 5, 3], depths: [2, 2, 2, 2] }),
    ];
    const ctx = gpu();
    let kernels = 0;
    for (const arch of nets) {
      const graph = lowerToGraph(arch);
      for (const batch of [1, 128]) {
        const plan = compilePlan(graph, { batch, subgroupSize: ctx.subgroupSize, limits: ctx.limits });
        for (const k of plan.program.kernels) {
          const info = await ctx.device.createShaderModule({ code: k.wgsl }).getCompilationInfo();
          expect(info.messages.filter((m) => m.type === 'error'), `${arch.name} ${k.name}`).toEqual([]);
          await getPipeline(ctx.device, k);
          kernels++;
        }
      }
    }
    expect(kernels).toBeGreaterThan(40);
  });

  it('reports WGSL errors with the kernel name, the layers and the line', async () => {
    const bad: ProgramKernel = {
      id: 0, name: 'k99_broken', template: 'conv', entryPoint: 'main', workgroupSize: 1, layout: [],
      wgsl: '@compute @workgroup_size(1)\nfn main() {\n  let x: u32 = 1.5;\n}\n',
    };
    const err = await getPipeline(gpu().device, bad, ['S1.b1.conv1']).catch((e) => e);
    expect(err).toBeInstanceOf(KernelCompileError);
    expect(err.message).toMatch(/kernel k99_broken \(S1\.b1\.conv1\): WGSL does not compile:\nk99_broken\.wgsl:3:\d+: error: /);
  });

  it('a program whose kernel does not compile is refused, and leaves no error scope behind on the device', async () => {
    const part: ProgramCore = {
      name: 'broken part', kind: 'part', subgroupSize: 0,
      buffers: [{ id: 0, name: 'b', bytes: 16, usage: 'storage' }], allocations: [{ id: 0, bytes: 16, buffers: [0] }],
      kernels: [{ id: 0, name: 'k98_broken', template: 'ewise', entryPoint: 'main', workgroupSize: 1, layout: [], wgsl: '@compute @workgroup_size(1)\nfn main() {\n  let x: u32 = 2.5;\n}\n' }],
      dispatches: [{ index: 0, kernel: 0, label: 'the broken one', phase: 'inference', bindings: [], workgroups: [1, 1, 1], flops: 0 }],
      clears: [],
    };
    const err = await ProgramRunner.create(gpu().device, part).catch((e) => e);
    expect(err).toBeInstanceOf(KernelCompileError);
    expect(err.message).toMatch(/^kernel k98_broken \(the broken one\): WGSL does not compile/);
    // Every scope the runner pushed was popped: one more pop finds none.
    await expect(gpu().device.popErrorScope()).rejects.toThrow();
  });
});

describe('openDevice', () => {
  it('names the available adapters when the requested one does not exist', async () => {
    await expect(openDevice({ adapter: 'no-such-adapter' })).rejects.toThrow(/adapter "no-such-adapter" was not found/);
  });
});
