// Compiling kernels ahead of the first step. A CPU driver (Mesa's lavapipe) compiles a compute
// shader to machine code only when it first runs, on the device's one queue thread; left alone, the
// first training step would silently carry every compilation. warmPipelines runs each new pipeline
// once, reports progress, and when compiling turns out to be slow (a cold shader cache) shares the
// work with a second device on the same GPU driver: its queue thread compiles on another core, and the
// driver's on-disk shader cache hands the results to the first device. A GPU driver compiles in
// createComputePipelineAsync, so there compileKernels only counts pipelines as they are created.

import type { BindingType } from '../program/types.js';
import { guardGpu } from './device-watch.js';
import { cachedPipeline, hasPipeline, pipelineKey, type CachedPipeline, type PipelineSource } from './pipelines.js';

/** Called as kernels finish compiling: `done` of `total` new kernels. */
export type CompileProgress = (done: number, total: number) => void;

/** A pipeline to warm up: its source, the buffer type of each binding, and what it was built into. */
export interface WarmItem {
  source: PipelineSource;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  types: readonly BindingType[];
}

/** Opens a second device on the same GPU driver, or gives undefined when there is none to use. */
export type OpenHelper = () => Promise<{ device: GPUDevice; close(): void } | undefined>;

const warmedByDevice = new WeakMap<GPUDevice, WeakSet<GPUComputePipeline>>();
const DUMMY_BYTES = 256;
/** A first compilation slower than this means a cold cache: worth a helper device. */
const SLOW_MS = 300;
/** Fewer kernels left than this are not worth opening a device for. */
const MIN_FOR_HELPER = 6;

/** Scratch buffers for the dummy dispatches: a storage and a uniform buffer per binding. */
class Dummies {
  private readonly storage: GPUBuffer[];
  private readonly uniform: GPUBuffer[];

  constructor(private readonly device: GPUDevice, bindings: number) {
    const make = (usage: number) => Array.from({ length: bindings }, () => device.createBuffer({ label: 'warm-up', size: DUMMY_BYTES, usage }));
    this.storage = make(GPUBufferUsage.STORAGE);
    this.uniform = make(GPUBufferUsage.UNIFORM);
  }

  /**
   * Runs one workgroup of the pipeline on the scratch buffers and waits. Out-of-range accesses
   * are clamped by WebGPU's robust buffer access; the results are thrown away.
   */
  async runOnce(pipeline: GPUComputePipeline, layout: GPUBindGroupLayout, types: readonly BindingType[]): Promise<void> {
    const { device } = this;
    const entries = types.map((t, binding) => ({ binding, resource: { buffer: t === 'uniform' ? this.uniform[binding] : this.storage[binding] } }));
    const enc = device.createCommandEncoder({ label: 'warm-up' });
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, device.createBindGroup({ layout, entries }));
    pass.dispatchWorkgroups(1);
    pass.end();
    device.queue.submit([enc.finish()]);
    await guardGpu(device, device.queue.onSubmittedWorkDone());
  }

  destroy(): void {
    for (const b of [...this.storage, ...this.uniform]) b.destroy();
  }
}

/**
 * Compiles each new pipeline now (pipelines warmed before on this device are skipped) and reports
 * progress. The main device takes kernels from the front of the list; once one took long, a
 * helper device (from `openHelper`) compiles from the back, and the main device then runs those
 * from the GPU driver's cache. The helper is best-effort: whatever it fails on, the main device
 * compiles itself.
 */
export async function warmPipelines(device: GPUDevice, items: readonly WarmItem[], onProgress?: CompileProgress, openHelper?: OpenHelper): Promise<void> {
  let warmed = warmedByDevice.get(device);
  if (!warmed) {
    warmed = new WeakSet();
    warmedByDevice.set(device, warmed);
  }
  const seen = new Set<GPUComputePipeline>();
  const todo = items.filter((it) => !warmed.has(it.pipeline) && !seen.has(it.pipeline) && seen.add(it.pipeline));
  if (todo.length === 0) return;
  const bindings = Math.max(...todo.map((it) => it.types.length));
  const done = new Set<number>();
  const finished = (i: number) => {
    if (done.has(i)) return;
    done.add(i);
    onProgress?.(done.size, todo.length);
  };
  // The main device works on [next, last], the helper from last down; both claim an index before
  // they await, so they never take the same one.
  const range = { next: 0, last: todo.length - 1 };
  const dummies = new Dummies(device, bindings);
  try {
    onProgress?.(0, todo.length);
    let helper: Promise<void> | undefined;
    while (range.next <= range.last) {
      const i = range.next++;
      const t0 = performance.now();
      await dummies.runOnce(todo[i].pipeline, todo[i].layout, todo[i].types);
      warmed.add(todo[i].pipeline);
      finished(i);
      if (!helper && openHelper && performance.now() - t0 > SLOW_MS && range.last - range.next >= MIN_FOR_HELPER) {
        helper = helpOut(openHelper, todo, range, bindings, finished);
      }
    }
    await helper;
    // The helper's share: in the GPU driver's shader cache now, so quick here.
    for (let i = range.last + 1; i < todo.length; i++) {
      await dummies.runOnce(todo[i].pipeline, todo[i].layout, todo[i].types);
      warmed.add(todo[i].pipeline);
      finished(i);
    }
  } finally {
    dummies.destroy();
  }
}

/** The helper's loop: compiles kernels from the back of `todo` while the main device has not reached them. */
async function helpOut(openHelper: OpenHelper, todo: readonly WarmItem[], range: { next: number; last: number }, bindings: number, finished: (i: number) => void): Promise<void> {
  const h = await openHelper().catch(() => undefined);
  if (!h) return;
  const dummies = new Dummies(h.device, bindings);
  try {
    while (range.last >= range.next) {
      const i = range.last--;
      const it = todo[i];
      h.device.pushErrorScope('validation');
      const ok = await cachedPipeline(h.device, it.source, it.types)
        .then((c) => dummies.runOnce(c.pipeline, c.layout, it.types))
        .then(
          () => true,
          () => false,
        );
      const invalid = await h.device.popErrorScope();
      if (ok && !invalid) finished(i);
    }
  } finally {
    dummies.destroy();
    h.close();
  }
}

/** A kernel to compile: its source, the buffer type of each binding, and the layers using it (for errors). */
export interface KernelToCompile {
  source: PipelineSource;
  types: readonly BindingType[];
  layers: string[];
}

export interface CompileKernelsOptions {
  /** The device's adapter is a CPU driver (GpuContext.cpuDriver): compile by running each new pipeline once. */
  cpuDriver: boolean;
  onProgress?: CompileProgress;
  openHelper?: OpenHelper;
}

/**
 * The pipelines of `kernels` on `device`, compiled now, with progress over the ones new to the
 * device. On a CPU driver each new pipeline also runs once on scratch buffers (warmPipelines); on a
 * GPU driver the pipeline's creation is its compilation, and progress counts creations as they end.
 */
export async function compileKernels(device: GPUDevice, kernels: readonly KernelToCompile[], o: CompileKernelsOptions): Promise<CachedPipeline[]> {
  if (o.cpuDriver) {
    const compiled = await Promise.all(kernels.map((k) => cachedPipeline(device, k.source, k.types, k.layers)));
    await warmPipelines(device, compiled.map((c, i) => ({ ...c, source: kernels[i].source, types: kernels[i].types })), o.onProgress, o.openHelper);
    return compiled;
  }
  const fresh = new Set(kernels.map((k) => pipelineKey(k.source, k.types)).filter((key) => !hasPipeline(device, key)));
  let done = 0;
  if (fresh.size > 0) o.onProgress?.(0, fresh.size);
  const counted = new Set<string>();
  return Promise.all(
    kernels.map(async (k) => {
      const key = pipelineKey(k.source, k.types);
      const c = await cachedPipeline(device, k.source, k.types, k.layers);
      if (fresh.has(key) && !counted.has(key)) {
        counted.add(key);
        o.onProgress?.(++done, fresh.size);
      }
      return c;
    }),
  );
}
