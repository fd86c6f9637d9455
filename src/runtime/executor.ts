// Runs a compiled plan on a WebGPU device: pipelines created once (pipelines.ts caches them per
// device), parameters uploaded once (batch norm folded, weights packed), every buffer and bind
// group created up front, and one command buffer per batch: upload, all dispatches, read-back.

import type { LayerGraph } from '../ir/graph.js';
import { packParams } from '../codegen/pack.js';
import type { BindingType } from '../codegen/kernels/index.js';
import { compilePlan, type Plan, type PlanKernel, type PlanOptions } from '../codegen/plan.js';
import { checkWeights, type Weights } from '../weights/weights.js';
import { type GpuContext, withDeviceProfile } from './gpu-context.js';
import { checkGpu, guardGpu } from './device-watch.js';
import { cachedPipeline, KernelCompileError, type CachedPipeline } from './pipelines.js';
import { type CompileKernelsOptions, type CompileProgress, compileKernels } from './warm-up.js';

export { KernelCompileError, type CompileProgress };

/**
 * Compiles a kernel (or returns the cached pipeline for the same source on this device). Shader
 * compilation messages of type error are raised as KernelCompileError with line and column.
 */
export function getPipeline(device: GPUDevice, k: PlanKernel, layers: string[] = []): Promise<CachedPipeline> {
  return cachedPipeline(device, k, bindingTypes(k), layers);
}

function bindingTypes(k: PlanKernel): BindingType[] {
  return k.bindings.map((b) => (b.write ? 'storage' : 'read-only-storage'));
}

export interface Classification {
  logits: Float32Array;
  probs: Float32Array;
  classes: Uint32Array;
}

export class Executor {
  private buffers: GPUBuffer[] = [];
  private pipelines: GPUComputePipeline[] = [];
  private bindGroups: GPUBindGroup[] = [];
  private staging: Map<number, GPUBuffer> = new Map();
  private chain: Promise<unknown> = Promise.resolve();
  private disposed = false;
  readonly perImage: number;

  private constructor(readonly device: GPUDevice, readonly plan: Plan) {
    this.perImage = plan.input.elements / plan.batch;
  }

  /**
   * Builds an executor for a plan: creates every buffer, uploads the parameters from `weights`
   * (which must fit the graph the plan was compiled from), compiles all pipelines (reporting to
   * `onCompile`: see warm-up.ts).
   */
  static async create(device: GPUDevice | GpuContext, plan: Plan, weights: Weights, onCompile?: CompileProgress): Promise<Executor> {
    const dev = 'device' in device ? device.device : device;
    if (plan.subgroupSize > 0) {
      // a plan generated for subgroup width W runs on any device whose smallest subgroup is >= W
      const has = 'device' in device ? device.subgroupSize : dev.features.has('subgroups') ? plan.subgroupSize : 0;
      if (has < plan.subgroupSize) {
        throw new Error(
          `${plan.graph}: the plan was compiled for subgroup width ${plan.subgroupSize} but the device has ` +
            `${has === 0 ? 'no subgroups' : `subgroups of ${has}`}; compile with subgroupSize: ctx.subgroupSize`,
        );
      }
    }
    const ex = new Executor(dev, plan);
    // A bare device says nothing of its driver: warm up as a CPU driver needs, which any driver runs.
    const compile = 'device' in device ? { cpuDriver: device.cpuDriver, openHelper: device.openCompileHelper } : { cpuDriver: true };
    try {
      await ex.init(weights, { ...compile, onProgress: onCompile });
    } catch (e) {
      ex.dispose();
      throw e;
    }
    return ex;
  }

  /**
   * Compiles a plan for the graph with this device's subgroup size, limits and (unless `options`
   * name one) schedule profile, then builds the executor.
   */
  static async forGraph(ctx: GpuContext, graph: LayerGraph, weights: Weights, options: PlanOptions, onCompile?: CompileProgress): Promise<Executor> {
    checkWeights(graph, weights);
    const plan = compilePlan(graph, {
      subgroupSize: ctx.subgroupSize,
      ...withDeviceProfile(ctx, options),
      limits: { ...ctx.limits, ...options.limits },
    });
    return Executor.create(ctx, plan, weights, onCompile);
  }

  private async init(weights: Weights, compile: CompileKernelsOptions): Promise<void> {
    const { device, plan } = this;
    device.pushErrorScope('validation');
    device.pushErrorScope('out-of-memory');
    const params = packParams(plan, weights);
    for (const b of plan.buffers) {
      const size = Math.max(16, Math.ceil(b.bytes / 4) * 4);
      const buf = device.createBuffer({
        label: b.name,
        size,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
      });
      this.buffers.push(buf);
      const data = params.get(b.id);
      if (data) device.queue.writeBuffer(buf, 0, data.buffer, data.byteOffset, data.byteLength);
    }
    const layersOf = (k: number) => plan.dispatches.filter((d) => d.kernel === k).flatMap((d) => d.nodes);
    const compiled = await compileKernels(device, plan.kernels.map((k) => ({ source: k, types: bindingTypes(k), layers: layersOf(k.id) })), compile);
    this.pipelines = compiled.map((c) => c.pipeline);
    for (const d of plan.dispatches) {
      this.bindGroups.push(
        device.createBindGroup({
          label: d.nodes.join('+'),
          layout: compiled[d.kernel].layout,
          entries: d.bindings.map((b) => ({ binding: b.binding, resource: { buffer: this.buffers[b.buffer] } })),
        }),
      );
    }
    const outs = [plan.output.logits, plan.output.probs, plan.output.argmax].filter((b): b is number => b !== undefined);
    for (const id of outs) {
      this.staging.set(
        id,
        device.createBuffer({ label: `${plan.buffers[id].name}.readback`, size: Math.max(16, plan.buffers[id].bytes), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
      );
    }
    const oom = await guardGpu(device, device.popErrorScope());
    const invalid = await guardGpu(device, device.popErrorScope());
    if (oom) throw new Error(`executor for ${plan.graph}: out of GPU memory: ${oom.message}`);
    if (invalid) throw new Error(`executor for ${plan.graph}: ${invalid.message}`);
  }

  /** The GPU buffer of a plan buffer (for tests and tools). */
  buffer(id: number): GPUBuffer {
    return this.buffers[id];
  }

  /** Records every dispatch of the plan into one compute pass. */
  encode(encoder: GPUCommandEncoder, repeat = 1): void {
    const pass = encoder.beginComputePass({ label: this.plan.graph });
    for (let r = 0; r < repeat; r++) {
      this.plan.dispatches.forEach((d, i) => {
        pass.setPipeline(this.pipelines[d.kernel]);
        pass.setBindGroup(0, this.bindGroups[i]);
        pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
      });
    }
    pass.end();
  }

  private images(input: Float32Array): number {
    const n = input.length / this.perImage;
    if (!Number.isInteger(n) || n < 1 || n > this.plan.batch) {
      const s = this.plan.input.shape;
      throw new Error(
        `${this.plan.graph}: input has ${input.length} values; want 1..${this.plan.batch} images of ${s.c}x${s.h}x${s.w} (${this.perImage} values each)`,
      );
    }
    return n;
  }

  private async execute(input: Float32Array, read: number[]): Promise<{ n: number; data: Map<number, ArrayBuffer> }> {
    if (this.disposed) throw new Error(`${this.plan.graph}: executor was disposed`);
    const n = this.images(input);
    const { device, plan } = this;
    checkGpu(device);
    device.queue.writeBuffer(this.buffers[plan.input.buffer], 0, input.buffer, input.byteOffset, input.byteLength);
    const enc = device.createCommandEncoder({ label: plan.graph });
    this.encode(enc);
    for (const id of read) enc.copyBufferToBuffer(this.buffers[id], 0, this.staging.get(id)!, 0, plan.buffers[id].bytes);
    device.queue.submit([enc.finish()]);
    // A submission that failed validation ran nothing: the staging buffers hold an earlier batch's results.
    checkGpu(device);
    const data = new Map<number, ArrayBuffer>();
    await Promise.all(
      read.map(async (id) => {
        const st = this.staging.get(id)!;
        await guardGpu(device, st.mapAsync(GPUMapMode.READ, 0, plan.buffers[id].bytes));
        data.set(id, st.getMappedRange(0, plan.buffers[id].bytes).slice(0));
        st.unmap();
      }),
    );
    return { n, data };
  }

  private serialized<T>(f: () => Promise<T>): Promise<T> {
    const next = this.chain.then(f, f);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /**
   * Logits for up to `batch` images (NCHW, densely packed): [images, classes]. Images past the
   * given ones are computed on stale data and discarded (images are independent at inference).
   */
  run(input: Float32Array): Promise<Float32Array> {
    return this.serialized(async () => {
      const { n, data } = await this.execute(input, [this.plan.output.logits]);
      return new Float32Array(data.get(this.plan.output.logits)!, 0, n * this.plan.output.classes);
    });
  }

  /** Logits, softmax probabilities and argmax classes, all from one command buffer. */
  classify(input: Float32Array): Promise<Classification> {
    const { logits, probs, argmax, classes } = this.plan.output;
    if (probs === undefined || argmax === undefined) {
      return Promise.reject(new Error(`${this.plan.graph}: the plan was compiled without the softmax/argmax head`));
    }
    return this.serialized(async () => {
      const { n, data } = await this.execute(input, [logits, probs, argmax]);
      return {
        logits: new Float32Array(data.get(logits)!, 0, n * classes),
        probs: new Float32Array(data.get(probs)!, 0, n * classes),
        classes: new Uint32Array(data.get(argmax)!, 0, n),
      };
    });
  }

  /** Runs the whole plan `repeat` times in one command buffer and waits; returns milliseconds. */
  async time(repeat = 1): Promise<number> {
    return this.serialized(async () => {
      const enc = this.device.createCommandEncoder();
      this.encode(enc, repeat);
      const t0 = performance.now();
      checkGpu(this.device);
      this.device.queue.submit([enc.finish()]);
      await guardGpu(this.device, this.device.queue.onSubmittedWorkDone());
      return performance.now() - t0;
    });
  }

  /** Frees every buffer; the device stays open (pipelines stay cached on it). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of this.buffers) b.destroy();
    for (const b of this.staging.values()) b.destroy();
    this.buffers = [];
    this.staging.clear();
    this.bindGroups = [];
    this.pipelines = [];
  }
}
