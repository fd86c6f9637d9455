// Trains a layer graph on a WebGPU device from a compiled training plan (codegen/train-plan.ts).
//
// Everything stays on the GPU: parameters, gradients, momentum, running statistics, activations.
// A step uploads the batch (images, labels) and an 8-float uniform (learning rate, DKD warm-up),
// then records ONE command buffer: [teacher forward], forward in training mode, loss, backward,
// optimizer. Nothing is read back per step; the loss kernel adds the batch's loss and correct
// count to running sums that `readSums` fetches every few steps. Weights and momentum are read
// back (and unpacked to weights.ts's PyTorch layout by trainer-state.ts) only for checkpoints and
// evaluation.

import type { LayerGraph } from '../ir/graph.js';
import { compileTrainPlan, type TrainPlan } from '../codegen/train-plan.js';
import { LOSS_SUMS } from '../codegen/kernels/index.js';
import type { TunedSchedules } from '../codegen/schedule/tuned.js';
import { checkWeights, type Weights } from '../weights/weights.js';
import { type GpuContext, withDeviceProfile } from './gpu-context.js';
import { Executor } from './executor.js';
import { checkGpu, guardGpu } from './device-watch.js';
import { GpuTimer } from './gpu-timer.js';
import { denseValue, flatMomentum, flatParams, flatRunning, tensorsFromFlat, valueLocation, weightsFromFlat } from './trainer-state.js';
import { type CompileProgress, compileKernels } from './warm-up.js';

export type { DispatchProfile, LossSums, StepOptions, TeacherSource, TrainerOptions } from './trainer-types.js';
import type { DispatchProfile, LossSums, StepOptions, TeacherSource, TrainerOptions } from './trainer-types.js';


export class Trainer {
  /** The GPU buffer of each of the plan's buffers (buffers that share an allocation share one). */
  private buffers: GPUBuffer[] = [];
  private allocations: GPUBuffer[] = [];
  private pipelines: GPUComputePipeline[] = [];
  private bindGroups: GPUBindGroup[] = [];
  private teacherEx: Executor | undefined;
  private disposed = false;
  private readonly hyper = new Float32Array(4);
  private inFlight: Promise<void> | undefined;
  /** Steps submitted so far. */
  steps = 0;

  private constructor(
    readonly ctx: GpuContext,
    readonly graph: LayerGraph,
    readonly plan: TrainPlan,
  ) {}

  /** Compiles the plan for `graph`, uploads `weights` (and `momentum` when resuming), builds everything. */
  static async create(ctx: GpuContext, graph: LayerGraph, weights: Weights, o: TrainerOptions & { momentum?: Weights }): Promise<Trainer> {
    checkWeights(graph, weights);
    if (o.subgroupWidth !== undefined && !(o.subgroupWidth <= ctx.subgroupSize)) {
      throw new Error(`subgroup width ${o.subgroupWidth} is above the device's smallest subgroup size ${ctx.subgroupSize}`);
    }
    // the device's schedule profile unless `o` names one
    const plan = compileTrainPlan(graph, { ...withDeviceProfile(ctx, o), subgroupSize: o.subgroups === false ? 0 : (o.subgroupWidth ?? ctx.subgroupSize), limits: ctx.limits });
    const t = new Trainer(ctx, graph, plan);
    try {
      await t.init(o.teacher, o.onCompile, o.tuned);
      t.setWeights(weights);
      if (o.momentum) t.setMomentum(o.momentum);
    } catch (e) {
      t.dispose();
      throw e;
    }
    return t;
  }

  private get device(): GPUDevice {
    return this.ctx.device;
  }

  private async init(teacher: TeacherSource | undefined, onCompile: CompileProgress | undefined, tuned: TunedSchedules | undefined): Promise<void> {
    const { device, plan } = this;
    device.pushErrorScope('validation');
    device.pushErrorScope('out-of-memory');
    // One GPU buffer per allocation; the plan's buffers that share it (never live at the same
    // time, see codegen/train/allocate.ts) all start at its byte 0. Uniform buffers never share.
    for (const a of plan.memory.allocations) {
      const first = plan.buffers[a.buffers[0]];
      const uniform = first.kind === 'uniform' || first.kind === 'args';
      const usage = uniform ? GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST : GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
      const label = a.buffers.length === 1 ? first.name : `shared: ${a.buffers.map((id) => plan.buffers[id].name).join(', ')}`;
      const buffer = device.createBuffer({ label: label.length > 200 ? `${label.slice(0, 197)}...` : label, size: a.bytes, usage });
      if (first.init) device.queue.writeBuffer(buffer, 0, first.init);
      this.allocations.push(buffer);
    }
    this.buffers = plan.buffers.map((b) => this.allocations[plan.memory.allocationOf[b.id]]);
    const layersOf = (k: number) => plan.dispatches.filter((d) => d.kernel === k).map((d) => d.label);
    const compiled = await compileKernels(
      device,
      plan.kernels.map((k) => ({ source: k, types: k.layout, layers: layersOf(k.id) })),
      { cpuDriver: this.ctx.cpuDriver, onProgress: onCompile, openHelper: this.ctx.openCompileHelper },
    );
    this.pipelines = compiled.map((c) => c.pipeline);
    for (const d of plan.dispatches) {
      this.bindGroups.push(
        device.createBindGroup({
          label: d.label,
          layout: compiled[d.kernel].layout,
          entries: d.bindings.map((b) => ({
            binding: b.binding,
            resource: { buffer: this.buffers[b.buffer], ...(b.offset !== undefined ? { offset: b.offset } : {}), ...(b.size !== undefined ? { size: b.size } : {}) },
          })),
        }),
      );
    }
    if (teacher) {
      if (plan.teacher === undefined) throw new Error('a teacher was given but the loss is not a distillation loss');
      const ti = teacher.graph.nodes[0].shape;
      const si = plan.input.shape;
      if (ti.c !== si.c || ti.h !== si.h || ti.w !== si.w) throw new Error(`teacher ${teacher.graph.name} takes ${ti.c}x${ti.h}x${ti.w} images, the student ${si.c}x${si.h}x${si.w}`);
      if (teacher.graph.classes !== plan.classes) throw new Error(`teacher ${teacher.graph.name} has ${teacher.graph.classes} classes, the student ${plan.classes}`);
      const profile = { profile: plan.profile.name, profileFrom: plan.profile.from, ...(tuned ? { tuned } : {}) };
      this.teacherEx = await Executor.forGraph(this.ctx, teacher.graph, teacher.weights, { batch: plan.batch, head: false, ...profile }, onCompile);
    } else if (plan.teacher !== undefined) {
      throw new Error(`the ${plan.loss.kind} loss needs a teacher`);
    }
    const oom = await guardGpu(device, device.popErrorScope());
    const invalid = await guardGpu(device, device.popErrorScope());
    if (oom) throw new Error(`trainer for ${plan.graph}: out of GPU memory: ${oom.message}`);
    if (invalid) throw new Error(`trainer for ${plan.graph}: ${invalid.message}`);
  }

  /** Refuses work after dispose, and after the device was lost or reported an uncaptured error. */
  private checkOpen(): void {
    if (this.disposed) throw new Error(`${this.plan.graph}: trainer was disposed`);
    checkGpu(this.device);
  }

  /** `p`, or the device's loss or uncaptured error if that comes first: a lost device may never settle it. */
  private guard<T>(p: Promise<T>): Promise<T> {
    return guardGpu(this.device, p);
  }

  /** Uploads parameters and running statistics (weights.ts layout). */
  setWeights(weights: Weights): void {
    this.checkOpen();
    checkWeights(this.graph, weights);
    const { plan } = this;
    this.device.queue.writeBuffer(this.buffers[plan.bufferIds.params], 0, flatParams(plan, weights));
    this.device.queue.writeBuffer(this.buffers[plan.bufferIds.running], 0, flatRunning(plan, weights));
  }

  /** Uploads SGD momentum (one tensor per trainable parameter, weights.ts layout), e.g. from a checkpoint. */
  setMomentum(momentum: Weights): void {
    this.checkOpen();
    this.device.queue.writeBuffer(this.buffers[this.plan.bufferIds.momentum], 0, flatMomentum(this.plan, momentum));
  }

  /** Records every dispatch of a step (forward, loss, backward, optimizer) into `enc`. */
  encode(enc: GPUCommandEncoder, phases?: ReadonlySet<string>): void {
    const { plan } = this;
    if (this.teacherEx) {
      this.teacherEx.encode(enc);
      const tp = this.teacherEx.plan;
      enc.copyBufferToBuffer(this.teacherEx.buffer(tp.output.logits), 0, this.buffers[plan.teacher!], 0, plan.batch * plan.classes * 4);
    }
    // A cleared gradient is the first buffer of the step in its allocation, so zeroing the whole
    // allocation here wipes nothing a dispatch of this step still needs.
    for (const id of plan.clears) enc.clearBuffer(this.buffers[id]);
    const pass = enc.beginComputePass({ label: `${plan.graph} training step` });
    plan.dispatches.forEach((d, i) => {
      if (phases && !phases.has(d.phase)) return;
      pass.setPipeline(this.pipelines[d.kernel]);
      pass.setBindGroup(0, this.bindGroups[i]);
      pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
    });
    pass.end();
  }

  /**
   * Submits one training step on a full batch (exactly `plan.batch` images, NCHW). Returns at
   * once; at most one earlier step is left running (the call waits for the one before).
   */
  async step(images: Float32Array, labels: ArrayLike<number>, lr: number, o: StepOptions = {}): Promise<void> {
    this.checkOpen();
    const { plan, device } = this;
    if (images.length !== plan.input.elements) {
      const s = plan.input.shape;
      throw new Error(`${plan.graph}: a step takes exactly ${plan.batch} images of ${s.c}x${s.h}x${s.w} (${plan.input.elements} values), got ${images.length}`);
    }
    if (labels.length !== plan.batch) throw new Error(`${plan.graph}: ${labels.length} labels for a batch of ${plan.batch}`);
    const lab = new Uint32Array(plan.batch);
    for (let n = 0; n < plan.batch; n++) {
      const y = labels[n];
      if (!Number.isInteger(y) || y < 0 || y >= plan.classes) throw new Error(`label ${y} of image ${n} is outside 0..${plan.classes - 1}`);
      lab[n] = y;
    }
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new Error(`learning rate must be a finite non-negative number, got ${lr}`);
    this.hyper[0] = lr;
    this.hyper[1] = o.warm ?? 1;
    this.hyper[2] = o.maskPenalty ?? 0;
    this.hyper[3] = o.masksFrozen === true ? 1 : 0;
    device.queue.writeBuffer(this.buffers[plan.input.buffer], 0, images.buffer, images.byteOffset, images.byteLength);
    device.queue.writeBuffer(this.buffers[plan.labels], 0, lab);
    device.queue.writeBuffer(this.buffers[plan.uniform], 0, this.hyper);
    if (this.teacherEx) {
      const tin = this.teacherEx.buffer(this.teacherEx.plan.input.buffer);
      device.queue.writeBuffer(tin, 0, images.buffer, images.byteOffset, images.byteLength);
    }
    const enc = device.createCommandEncoder({ label: `${plan.graph} step` });
    this.encode(enc);
    device.queue.submit([enc.finish()]);
    this.steps++;
    checkGpu(device);
    const done = this.guard(device.queue.onSubmittedWorkDone());
    // Waited on below, by the next step or by flush; until then its failure is not unhandled.
    done.catch(() => undefined);
    const prev = this.inFlight;
    this.inFlight = done;
    if (prev) await prev;
  }

  /** Waits until every submitted step has finished. */
  async flush(): Promise<void> {
    checkGpu(this.device);
    await this.guard(this.device.queue.onSubmittedWorkDone());
    this.inFlight = undefined;
  }

  private async readBuffer(id: number, bytes = this.plan.buffers[id].bytes, after?: (enc: GPUCommandEncoder) => void): Promise<ArrayBuffer> {
    this.checkOpen();
    const { device } = this;
    const staging = device.createBuffer({ label: `${this.plan.buffers[id].name}.readback`, size: Math.ceil(bytes / 4) * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      const enc = device.createCommandEncoder();
      enc.copyBufferToBuffer(this.buffers[id], 0, staging, 0, Math.ceil(bytes / 4) * 4);
      after?.(enc);
      device.queue.submit([enc.finish()]);
      checkGpu(device);
      await this.guard(staging.mapAsync(GPUMapMode.READ));
      return staging.getMappedRange().slice(0, bytes);
    } finally {
      staging.destroy();
    }
  }

  /** The running loss sums since the last reset (a small read-back); `reset` zeroes them after reading. */
  async readSums(reset = false): Promise<LossSums> {
    const id = this.plan.sums;
    const data = new Float32Array(await this.readBuffer(id, LOSS_SUMS.length * 4, reset ? (enc) => enc.clearBuffer(this.buffers[id]) : undefined));
    const out = {} as LossSums;
    LOSS_SUMS.forEach((k, i) => (out[k] = data[i]));
    return out;
  }

  /** Zeroes the loss sums. */
  resetSums(): void {
    this.checkOpen();
    const enc = this.device.createCommandEncoder();
    enc.clearBuffer(this.buffers[this.plan.sums]);
    this.device.queue.submit([enc.finish()]);
  }

  private async readFlat(id: number): Promise<Float32Array> {
    return new Float32Array(await this.readBuffer(id, this.plan.paramFloats * 4));
  }

  /** Parameters and running statistics, in weights.ts layout (a copy). */
  async readWeights(): Promise<Weights> {
    const flat = await this.readFlat(this.plan.bufferIds.params);
    const run = new Float32Array(await this.readBuffer(this.plan.bufferIds.running));
    return weightsFromFlat(this.plan, this.graph, flat, run);
  }

  /** SGD momentum, one tensor per trainable parameter (the checkpoint's optimizer file). */
  async readMomentum(): Promise<Weights> {
    return tensorsFromFlat(this.plan, await this.readFlat(this.plan.bufferIds.momentum));
  }

  /** The last step's parameter gradients, by tensor name (tests and tools). */
  async readGrads(): Promise<Map<string, Float32Array>> {
    const grads = tensorsFromFlat(this.plan, await this.readFlat(this.plan.bufferIds.grads));
    return new Map([...grads].map(([name, t]) => [name, t.data]));
  }

  /** A node's value (`forward`) or gradient (`grad`) from the last step, dense [batch, C, H, W]. */
  async readValue(node: string, which: 'forward' | 'grad'): Promise<Float32Array> {
    const at = valueLocation(this.plan, node, which);
    return denseValue(this.plan, at, new Float32Array(await this.readBuffer(at.view.buffer)));
  }

  /** Runs `repeat` steps on whatever batch is loaded, in one command buffer each, and waits; ms per step. */
  async time(repeat = 1, phases?: ReadonlySet<string>): Promise<number> {
    this.checkOpen();
    await this.flush();
    const t0 = performance.now();
    for (let r = 0; r < repeat; r++) {
      const enc = this.device.createCommandEncoder();
      this.encode(enc, phases);
      this.device.queue.submit([enc.finish()]);
    }
    await this.guard(this.device.queue.onSubmittedWorkDone());
    return (performance.now() - t0) / repeat;
  }

  /**
   * Times every dispatch of a step on its own (its own command buffer, `repeat` times, best of
   * two): where a step's time goes. Uses whatever batch is loaded; updates the weights like steps.
   * `cpuClockMs` reads the host process's CPU time in ms (in Node, the process's cpuUsage); the core cannot
   * read it itself, since it also runs in a browser. Without it the CPU figures are NaN. Passes are
   * timed by the GPU's timestamps where the device has them, unless `timestamps` is false.
   */
  async profile(repeat = 3, only?: (d: { label: string; template: string }) => boolean, cpuClockMs: () => number = () => NaN, timestamps = true): Promise<DispatchProfile[]> {
    this.checkOpen();
    await this.flush();
    const { plan } = this;
    const out: DispatchProfile[] = [];
    const timer = new GpuTimer(this.device, { timestamps });
    try {
      for (let i = 0; i < plan.dispatches.length; i++) {
        const d = plan.dispatches[i];
        const template = plan.kernels[d.kernel].template;
        if (only && !only({ label: d.label, template })) continue;
        const run = async () => {
          const c0 = cpuClockMs();
          const t = await timer.time((pass) => {
            for (let r = 0; r < repeat; r++) {
              pass.setPipeline(this.pipelines[d.kernel]);
              pass.setBindGroup(0, this.bindGroups[i]);
              pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
            }
          });
          return { ms: t.ms / repeat, clock: t.clock, cpuMs: (cpuClockMs() - c0) / repeat };
        };
        const c0 = cpuClockMs();
        await run();
        const firstCpuMs = cpuClockMs() - c0;
        const [a, b] = [await run(), await run()];
        const best = a.ms <= b.ms ? a : b;
        out.push({ label: d.label, template, phase: d.phase, ms: best.ms, clock: best.clock, cpuMs: Math.min(a.cpuMs, b.cpuMs), firstCpuMs, flops: d.flops });
      }
    } finally {
      timer.dispose();
    }
    return out;
  }

  /** Frees every buffer (the device stays open; pipelines stay cached on it). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of this.allocations) b.destroy();
    this.allocations = [];
    this.buffers = [];
    this.bindGroups = [];
    this.pipelines = [];
    this.teacherEx?.dispose();
    this.teacherEx = undefined;
  }
}
