// Trains a layer graph on a WebGPU device by running its training program (runner.ts).
//
// Everything stays on the GPU: parameters, gradients, momentum, running statistics, activations.
// A step uploads the batch (images, labels) and an 8-float uniform (learning rate, DKD warm-up),
// then records ONE command buffer: [teacher forward], forward in training mode, loss, backward,
// optimizer. Nothing is read back per step; the loss kernel adds the batch's loss and correct
// count to running sums that `readSums` fetches every few steps. Weights and momentum are read
// back (and unpacked to weights.ts's PyTorch layout by the program's transforms) only for
// checkpoints and evaluation.

import type { LayerGraph } from '../ir/graph.js';
import { LOSS_SUMS, type Program } from '../program/types.js';
import { flatLayout, flatTensors, tensorsFromFlat, weightContents, weightsFromContents } from '../program/uploads.js';
import { checkWeights, type Weights } from '../weights/weights.js';
import type { GpuContext } from './gpu-context.js';
import type { Executor } from './executor.js';
import { GpuTimer } from './gpu-timer.js';
import { ProgramRunner } from './runner.js';
import { denseValue, valueLocation } from './trainer-state.js';

export type { DispatchProfile, LossSums, StepOptions, TrainerParts } from './trainer-types.js';
import type { DispatchProfile, LossSums, StepOptions, TrainerParts } from './trainer-types.js';

export class Trainer {
  private readonly hyper = new Float32Array(4);
  private inFlight: Promise<void> | undefined;
  /** Steps submitted so far. */
  steps = 0;

  private constructor(
    readonly graph: LayerGraph,
    private readonly runner: ProgramRunner<Program>,
    private readonly teacher: Executor | undefined,
  ) {}

  /** The program it runs. */
  get program(): Program {
    return this.runner.program;
  }

  /**
   * Builds everything for a training program of `graph`, uploads `weights` (and `momentum` when
   * resuming). A distillation program needs `teacher`, an executor at the same batch, which the
   * trainer then owns.
   */
  static async create(ctx: GpuContext, graph: LayerGraph, program: Program, weights: Weights, o: TrainerParts = {}): Promise<Trainer> {
    let t: Trainer | undefined;
    try {
      if (program.kind !== 'training') throw new Error(`${program.name}: a trainer runs training programs, this one is for ${program.kind}`);
      checkWeights(graph, weights);
      const teacher = o.teacher?.program;
      checkTeacher(program, teacher && { name: teacher.name, images: teacher.io.images.shape, classes: teacher.io.logits.classes, batch: teacher.batch });
      const runner = await ProgramRunner.create(ctx, program, { ...(o.onCompile ? { onCompile: o.onCompile } : {}), keep: program.io.sums !== undefined ? [program.io.sums] : [] });
      t = new Trainer(graph, runner, o.teacher);
      t.setWeights(weights);
      if (o.momentum) t.setMomentum(o.momentum);
      return t;
    } catch (e) {
      // The teacher is the trainer's from the call on, so a refusal frees it too.
      if (t) t.dispose();
      else o.teacher?.dispose();
      throw e;
    }
  }

  private get device(): GPUDevice {
    return this.runner.device;
  }

  /** Uploads parameters and running statistics (weights.ts layout). */
  setWeights(weights: Weights): void {
    this.runner.checkOpen();
    checkWeights(this.graph, weights);
    for (const [id, data] of weightContents(this.program, weights)) this.runner.write(id, data);
  }

  /** Uploads SGD momentum (one tensor per trainable parameter, weights.ts layout), e.g. from a checkpoint. */
  setMomentum(momentum: Weights): void {
    this.runner.checkOpen();
    this.runner.write(this.program.io.momentum!, flatTensors(flatLayout(this.program), momentum, 'optimizer state', 'momentum buffer'));
  }

  /** Records every dispatch of a step (forward, loss, backward, optimizer) into `enc`. */
  encode(enc: GPUCommandEncoder, phases?: ReadonlySet<string>): void {
    const { io } = this.program;
    if (this.teacher) {
      this.teacher.encode(enc);
      const t = this.teacher.program.io.logits;
      enc.copyBufferToBuffer(this.teacher.buffer(t.view.buffer), 0, this.runner.buffer(io.teacher!), 0, this.program.batch * t.classes * 4);
    }
    this.runner.encode(enc, phases);
  }

  /**
   * Submits one training step on a full batch (exactly `batch` images, NCHW). Returns at once; at
   * most one earlier step is left running (the call waits for the one before).
   */
  async step(images: Float32Array, labels: ArrayLike<number>, lr: number, o: StepOptions = {}): Promise<void> {
    this.runner.checkOpen();
    const { program, device } = this;
    const { io, batch } = program;
    const classes = io.logits.classes;
    if (images.length !== io.images.elements) {
      const s = io.images.shape;
      throw new Error(`${program.name}: a step takes exactly ${batch} images of ${s.c}x${s.h}x${s.w} (${io.images.elements} values), got ${images.length}`);
    }
    if (labels.length !== batch) throw new Error(`${program.name}: ${labels.length} labels for a batch of ${batch}`);
    const lab = new Uint32Array(batch);
    for (let n = 0; n < batch; n++) {
      const y = labels[n];
      if (!Number.isInteger(y) || y < 0 || y >= classes) throw new Error(`label ${y} of image ${n} is outside 0..${classes - 1}`);
      lab[n] = y;
    }
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new Error(`learning rate must be a finite non-negative number, got ${lr}`);
    this.hyper[0] = lr;
    this.hyper[1] = o.warm ?? 1;
    this.hyper[2] = o.maskPenalty ?? 0;
    this.hyper[3] = o.masksFrozen === true ? 1 : 0;
    const batchImages = images as Float32Array<ArrayBuffer>;
    this.runner.write(io.images.buffer, batchImages);
    this.runner.write(io.labels!, lab);
    this.runner.write(io.step!, this.hyper);
    if (this.teacher) this.device.queue.writeBuffer(this.teacher.buffer(this.teacher.program.io.images.buffer), 0, batchImages.buffer, batchImages.byteOffset, batchImages.byteLength);
    const enc = device.createCommandEncoder({ label: `${program.name} step` });
    this.encode(enc);
    device.queue.submit([enc.finish()]);
    this.steps++;
    this.runner.checkOpen();
    const done = this.runner.guard(device.queue.onSubmittedWorkDone());
    // Waited on below, by the next step or by flush; until then its failure is not unhandled.
    done.catch(() => undefined);
    const prev = this.inFlight;
    this.inFlight = done;
    if (prev) await prev;
  }

  /** Waits until every submitted step has finished. */
  async flush(): Promise<void> {
    this.runner.checkOpen();
    await this.runner.guard(this.device.queue.onSubmittedWorkDone());
    this.inFlight = undefined;
  }

  private async read(id: number, after?: (enc: GPUCommandEncoder) => void): Promise<ArrayBuffer> {
    return (await this.runner.submit([id], undefined, after)).get(id)!;
  }

  /** The running loss sums since the last reset (a small read-back); `reset` zeroes them after reading. */
  async readSums(reset = false): Promise<LossSums> {
    const id = this.program.io.sums!;
    const data = new Float32Array(await this.read(id, reset ? (enc) => enc.clearBuffer(this.runner.buffer(id)) : undefined));
    const out = {} as LossSums;
    LOSS_SUMS.forEach((k, i) => (out[k] = data[i]));
    return out;
  }

  /** Zeroes the loss sums. */
  resetSums(): void {
    this.runner.checkOpen();
    const enc = this.device.createCommandEncoder();
    enc.clearBuffer(this.runner.buffer(this.program.io.sums!));
    this.device.queue.submit([enc.finish()]);
  }

  /** Parameters and running statistics, in weights.ts layout (a copy). */
  async readWeights(): Promise<Weights> {
    const ids = this.program.uploads.map((u) => u.buffer);
    const data = await this.runner.submit(ids);
    return weightsFromContents(this.program, this.graph, new Map([...data].map(([id, bytes]) => [id, new Float32Array(bytes)])));
  }

  private async readFlat(id: number): Promise<Weights> {
    return tensorsFromFlat(flatLayout(this.program).params, new Float32Array(await this.read(id)));
  }

  /** SGD momentum, one tensor per trainable parameter (the checkpoint's optimizer file). */
  async readMomentum(): Promise<Weights> {
    return this.readFlat(this.program.io.momentum!);
  }

  /** The last step's parameter gradients, by tensor name (tests and tools). */
  async readGrads(): Promise<Map<string, Float32Array>> {
    const grads = await this.readFlat(this.program.io.grads!);
    return new Map([...grads].map(([name, t]) => [name, t.data]));
  }

  /** A node's value (`forward`) or gradient (`grad`) from the last step, dense [batch, C, H, W]. */
  async readValue(node: string, which: 'forward' | 'grad'): Promise<Float32Array> {
    const at = valueLocation(this.program, node, which);
    return denseValue(this.program, at, new Float32Array(await this.read(at.view.buffer)));
  }

  /** Runs `repeat` steps on whatever batch is loaded, in one command buffer each, and waits; ms per step. */
  async time(repeat = 1, phases?: ReadonlySet<string>): Promise<number> {
    this.runner.checkOpen();
    await this.flush();
    const t0 = performance.now();
    for (let r = 0; r < repeat; r++) {
      const enc = this.device.createCommandEncoder();
      this.encode(enc, phases);
      this.device.queue.submit([enc.finish()]);
    }
    await this.runner.guard(this.device.queue.onSubmittedWorkDone());
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
    this.runner.checkOpen();
    await this.flush();
    const { program } = this;
    const out: DispatchProfile[] = [];
    const timer = new GpuTimer(this.device, { timestamps });
    try {
      for (let i = 0; i < program.dispatches.length; i++) {
        const d = program.dispatches[i];
        const template = program.kernels[d.kernel].template;
        if (only && !only({ label: d.label, template })) continue;
        const run = async () => {
          const c0 = cpuClockMs();
          const t = await timer.time((pass) => {
            for (let r = 0; r < repeat; r++) {
              this.runner.dispatch(pass, i);
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

  /** Frees every buffer, the teacher's too (the device stays open; pipelines stay cached on it). */
  dispose(): void {
    this.runner.dispose();
    this.teacher?.dispose();
  }
}

/** What a student's training program needs to know of its teacher. */
export interface TeacherFit {
  name: string;
  images: { c: number; h: number; w: number };
  classes: number;
  /** The batch its program was compiled for; absent before it is compiled. */
  batch?: number;
}

/**
 * A distillation program needs a teacher that takes the student's images and gives its classes, at
 * its batch; any other program takes none. `loss` names the loss in the message.
 */
export function checkTeacher(program: Program, teacher: TeacherFit | undefined, loss = 'distillation'): void {
  const { io } = program;
  if (!teacher) {
    if (io.teacher !== undefined) throw new Error(`the ${loss} loss needs a teacher`);
    return;
  }
  if (io.teacher === undefined) throw new Error('a teacher was given but the loss is not a distillation loss');
  const [ti, si] = [teacher.images, io.images.shape];
  if (ti.c !== si.c || ti.h !== si.h || ti.w !== si.w) throw new Error(`teacher ${teacher.name} takes ${ti.c}x${ti.h}x${ti.w} images, the student ${si.c}x${si.h}x${si.w}`);
  if (teacher.classes !== io.logits.classes) throw new Error(`teacher ${teacher.name} has ${teacher.classes} classes, the student ${io.logits.classes}`);
  if (teacher.batch !== undefined && teacher.batch !== program.batch) throw new Error(`teacher ${teacher.name} was compiled for batch ${teacher.batch}, the student for ${program.batch}`);
}
