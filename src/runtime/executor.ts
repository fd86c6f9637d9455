// Inference over the program runner (runner.ts): the weights uploaded through the program's
// transforms (batch norm folded, weights packed), then one command buffer per batch: upload, all
// dispatches, read-back. Runs are serialized, so callers may overlap them.

import type { Program, ProgramKernel } from '../program/types.js';
import { weightContents } from '../program/uploads.js';
import type { Weights } from '../weights/weights.js';
import type { GpuContext } from './gpu-context.js';
import { cachedPipeline, KernelCompileError, type CachedPipeline } from './pipelines.js';
import { ProgramRunner } from './runner.js';
import type { CompileProgress } from './warm-up.js';

export { KernelCompileError, type CompileProgress };

/**
 * Compiles a kernel (or returns the cached pipeline for the same source on this device). Shader
 * compilation messages of type error are raised as KernelCompileError with line and column.
 */
export function getPipeline(device: GPUDevice, k: ProgramKernel, layers: string[] = []): Promise<CachedPipeline> {
  return cachedPipeline(device, k, k.layout, layers);
}

export interface Classification {
  logits: Float32Array;
  probs: Float32Array;
  classes: Uint32Array;
}

export class Executor {
  private chain: Promise<unknown> = Promise.resolve();
  readonly perImage: number;

  private constructor(private readonly runner: ProgramRunner<Program>) {
    this.perImage = runner.program.io.images.elements / runner.program.batch;
  }

  /** The program it runs. */
  get program(): Program {
    return this.runner.program;
  }

  /**
   * Builds an executor for an inference program: creates every buffer, uploads the parameters from
   * `weights` (which must fit the graph the program was compiled from), compiles all pipelines
   * (reporting to `onCompile`: see warm-up.ts).
   */
  static async create(target: GPUDevice | GpuContext, program: Program, weights: Weights, onCompile?: CompileProgress): Promise<Executor> {
    if (program.kind !== 'inference') throw new Error(`${program.name}: an executor runs inference programs, this one is for ${program.kind}`);
    const { logits, probs, argmax } = program.io;
    const keep = [logits.view.buffer, ...(probs !== undefined ? [probs] : []), ...(argmax !== undefined ? [argmax] : [])];
    const runner = await ProgramRunner.create(target, program, { ...(onCompile ? { onCompile } : {}), keep });
    const ex = new Executor(runner);
    try {
      ex.setWeights(weights);
    } catch (e) {
      runner.dispose();
      throw e;
    }
    return ex;
  }

  /** Uploads new weights (batch norm folded, packed by the program's transforms); runs already submitted to the GPU see the old ones. */
  setWeights(weights: Weights): void {
    this.runner.checkOpen();
    for (const [id, data] of weightContents(this.program, weights)) this.runner.write(id, data);
  }

  /** The GPU buffer of a program buffer (for tests and tools). */
  buffer(id: number): GPUBuffer {
    return this.runner.buffer(id);
  }

  /** Records every dispatch of the program into one compute pass. */
  encode(encoder: GPUCommandEncoder, repeat = 1): void {
    this.runner.encode(encoder, undefined, repeat);
  }

  private images(input: Float32Array): number {
    const n = input.length / this.perImage;
    const { images } = this.program.io;
    if (!Number.isInteger(n) || n < 1 || n > this.program.batch) {
      const s = images.shape;
      throw new Error(
        `${this.program.name}: input has ${input.length} values; want 1..${this.program.batch} images of ${s.c}x${s.h}x${s.w} (${this.perImage} values each)`,
      );
    }
    return n;
  }

  private async execute(input: Float32Array, read: number[]): Promise<{ n: number; data: Map<number, ArrayBuffer> }> {
    this.runner.checkOpen();
    const n = this.images(input);
    this.runner.write(this.program.io.images.buffer, input as Float32Array<ArrayBuffer>);
    const data = await this.runner.submit(read, (enc) => this.encode(enc));
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
    const { logits } = this.program.io;
    return this.serialized(async () => {
      const { n, data } = await this.execute(input, [logits.view.buffer]);
      return new Float32Array(data.get(logits.view.buffer)!, 0, n * logits.classes);
    });
  }

  /** Logits, softmax probabilities and argmax classes, all from one command buffer. */
  classify(input: Float32Array): Promise<Classification> {
    const { logits, probs, argmax } = this.program.io;
    if (probs === undefined || argmax === undefined) {
      return Promise.reject(new Error(`${this.program.name}: the plan was compiled without the softmax/argmax head`));
    }
    const classes = logits.classes;
    return this.serialized(async () => {
      const { n, data } = await this.execute(input, [logits.view.buffer, probs, argmax]);
      return {
        logits: new Float32Array(data.get(logits.view.buffer)!, 0, n * classes),
        probs: new Float32Array(data.get(probs)!, 0, n * classes),
        classes: new Uint32Array(data.get(argmax)!, 0, n),
      };
    });
  }

  /** Runs the whole program `repeat` times in one command buffer and waits; returns milliseconds. */
  async time(repeat = 1): Promise<number> {
    return this.serialized(async () => {
      const device = this.runner.device;
      const enc = device.createCommandEncoder();
      this.encode(enc, repeat);
      const t0 = performance.now();
      this.runner.checkOpen();
      device.queue.submit([enc.finish()]);
      await this.runner.guard(device.queue.onSubmittedWorkDone());
      return performance.now() - t0;
    });
  }

  /** Frees every buffer; the device stays open (pipelines stay cached on it). */
  dispose(): void {
    this.runner.dispose();
  }
}
