// Runs a program (src/program/types.ts) on a WebGPU device, the one runner under inference and
// training: one GPU buffer per allocation, every pipeline compiled up front (warm-up.ts), one bind
// group per dispatch, and command buffers that clear, dispatch and copy to the host. It knows
// nothing of how the program was planned, and it neither compiles plans nor packs weights.

import type { ProgramCore } from '../program/types.js';
import type { GpuContext } from './gpu-context.js';
import { checkGpu, guardGpu } from './device-watch.js';
import { compileKernels, type CompileProgress } from './warm-up.js';

const LABEL_MAX = 200;

const copyBytes = (bytes: number) => Math.max(4, Math.ceil(bytes / 4) * 4);

/** The subgroup width the device guarantees: a program generated for width W runs where every subgroup is at least W wide. */
function checkSubgroups(target: RunTarget, program: ProgramCore): void {
  if (program.subgroupSize === 0) return;
  const has = 'device' in target ? target.subgroupSize : target.features.has('subgroups') ? program.subgroupSize : 0;
  if (has < program.subgroupSize) {
    throw new Error(
      `${program.name}: the program was compiled for subgroup width ${program.subgroupSize} but the device has ` +
        `${has === 0 ? 'no subgroups' : `subgroups of ${has}`}; compile with subgroupSize: ctx.subgroupSize`,
    );
  }
}

/** What the runner needs of a device: a bare GPUDevice, or the context hrn opened it with. */
export type RunTarget = GPUDevice | (Pick<GpuContext, 'device' | 'subgroupSize' | 'cpuDriver'> & Partial<Pick<GpuContext, 'openCompileHelper'>>);

export interface RunnerOptions {
  /** Progress of the kernel compilation (see warm-up.ts). */
  onCompile?: CompileProgress;
  /** Buffers read back on every run: their staging buffers are kept, the rest made for each read. */
  keep?: readonly number[];
}

const what = (p: ProgramCore) => (p.kind === 'training' ? 'trainer' : p.kind === 'inference' ? 'executor' : 'program');

export class ProgramRunner<P extends ProgramCore = ProgramCore> {
  private allocations: GPUBuffer[] = [];
  /** The GPU buffer of each of the program's buffers (buffers that share an allocation share one). */
  private buffers: GPUBuffer[] = [];
  private pipelines: GPUComputePipeline[] = [];
  private bindGroups: GPUBindGroup[] = [];
  private staging = new Map<number, GPUBuffer>();
  private disposed = false;

  private constructor(
    readonly device: GPUDevice,
    readonly program: P,
    private readonly keep: ReadonlySet<number>,
  ) {}

  /**
   * Creates every buffer (writing the dispatch arguments), compiles every pipeline (reporting to
   * `onCompile`) and binds every dispatch. A bare device says nothing of its driver, so it warms
   * up as a CPU driver needs, which any driver runs.
   */
  static async create<P extends ProgramCore>(target: RunTarget, program: P, o: RunnerOptions = {}): Promise<ProgramRunner<P>> {
    checkSubgroups(target, program);
    const device = 'device' in target ? target.device : target;
    const compile = 'device' in target ? { cpuDriver: target.cpuDriver, openHelper: target.openCompileHelper } : { cpuDriver: true };
    const r = new ProgramRunner(device, program, new Set(o.keep ?? []));
    try {
      await r.init({ ...compile, onProgress: o.onCompile });
    } catch (e) {
      r.dispose();
      throw e;
    }
    return r;
  }

  /** Builds everything inside error scopes, popped whatever happens, so a failure leaves none behind on the device. */
  private async init(compile: Parameters<typeof compileKernels>[2]): Promise<void> {
    const { device, program } = this;
    checkGpu(device);
    device.pushErrorScope('validation');
    device.pushErrorScope('out-of-memory');
    let failure: unknown;
    try {
      await this.build(compile);
    } catch (e) {
      failure = e;
    }
    const oom = await guardGpu(device, device.popErrorScope());
    const invalid = await guardGpu(device, device.popErrorScope());
    if (failure !== undefined) throw failure;
    if (oom) throw new Error(`${what(program)} for ${program.name}: out of GPU memory: ${oom.message}`);
    if (invalid) throw new Error(`${what(program)} for ${program.name}: ${invalid.message}`);
  }

  private async build(compile: Parameters<typeof compileKernels>[2]): Promise<void> {
    const { device, program } = this;
    for (const a of program.allocations) {
      const held = a.buffers.map((id) => program.buffers[id]);
      const label = held.length === 1 ? held[0].name : `shared: ${held.map((b) => b.name).join(', ')}`;
      const buffer = device.createBuffer({
        label: label.length > LABEL_MAX ? `${label.slice(0, LABEL_MAX - 3)}...` : label,
        size: a.bytes,
        // WebGPU's globals exist only once a device module has been loaded, so read them here.
        usage: held[0].usage === 'uniform' ? GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST : GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
      });
      this.allocations.push(buffer);
    }
    this.buffers = [];
    program.allocations.forEach((a, i) => {
      for (const id of a.buffers) this.buffers[id] = this.allocations[i];
    });
    for (const b of program.buffers) if (b.init) device.queue.writeBuffer(this.buffers[b.id], 0, b.init);
    const layersOf = (k: number) => program.dispatches.filter((d) => d.kernel === k).map((d) => d.label);
    const compiled = await compileKernels(
      device,
      program.kernels.map((k) => ({ source: k, types: k.layout, layers: layersOf(k.id) })),
      compile,
    );
    this.pipelines = compiled.map((c) => c.pipeline);
    for (const d of program.dispatches) {
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
  }

  /** Refuses work after dispose, and after the device was lost or reported an uncaptured error. */
  checkOpen(): void {
    if (this.disposed) throw new Error(`${this.program.name}: ${what(this.program)} was disposed`);
    checkGpu(this.device);
  }

  /** `p`, or the device's loss or uncaptured error if that comes first: a lost device may never settle it. */
  guard<T>(p: Promise<T>): Promise<T> {
    return guardGpu(this.device, p);
  }

  /** The GPU buffer a program buffer lives in. */
  buffer(id: number): GPUBuffer {
    return this.buffers[id];
  }

  /** Queues a write of `data` to the start of a program buffer. */
  write(id: number, data: ArrayBufferView<ArrayBuffer>): void {
    this.device.queue.writeBuffer(this.buffers[id], 0, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Records one dispatch into a compute pass (profiles time them one by one). */
  dispatch(pass: GPUComputePassEncoder, index: number): void {
    const d = this.program.dispatches[index];
    pass.setPipeline(this.pipelines[d.kernel]);
    pass.setBindGroup(0, this.bindGroups[index]);
    pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
  }

  /**
   * Records a run into `enc`: the program's clears, then its dispatches (those of `phases` only,
   * when given) `repeat` times in one compute pass. A cleared buffer is the first of its allocation
   * that a run uses, so clearing the whole allocation wipes nothing a dispatch still needs.
   */
  encode(enc: GPUCommandEncoder, phases?: ReadonlySet<string>, repeat = 1): void {
    for (const id of this.program.clears) enc.clearBuffer(this.buffers[id]);
    const pass = enc.beginComputePass({ label: `${this.program.name} ${this.program.kind}` });
    for (let r = 0; r < repeat; r++) {
      this.program.dispatches.forEach((d, i) => {
        if (!phases || phases.has(d.phase)) this.dispatch(pass, i);
      });
    }
    pass.end();
  }

  /** Staging for a read-back: kept for the buffers a run reads every time, made fresh for the rest. */
  private stagingFor(id: number): { buffer: GPUBuffer; kept: boolean } {
    // A kept buffer still mapped by a read in flight is not reused: that read gets a fresh one.
    const held = this.staging.get(id);
    const kept = this.keep.has(id) && (held === undefined || held.mapState === 'unmapped');
    let st = kept ? held : undefined;
    if (!st) {
      const b = this.program.buffers[id];
      st = this.device.createBuffer({ label: `${b.name}.readback`, size: copyBytes(b.bytes), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      if (kept) this.staging.set(id, st);
    }
    return { buffer: st, kept };
  }

  /**
   * Submits one command buffer: `record` (a run, or nothing), copies of the `read` buffers to the
   * host, then `after`; waits, and gives each read buffer's contents by id.
   */
  async submit(read: readonly number[], record?: (enc: GPUCommandEncoder) => void, after?: (enc: GPUCommandEncoder) => void): Promise<Map<number, ArrayBuffer>> {
    this.checkOpen();
    const { device, program } = this;
    const enc = device.createCommandEncoder({ label: program.name });
    record?.(enc);
    const staging = read.map((id) => this.stagingFor(id));
    read.forEach((id, i) => enc.copyBufferToBuffer(this.buffers[id], 0, staging[i].buffer, 0, copyBytes(program.buffers[id].bytes)));
    after?.(enc);
    device.queue.submit([enc.finish()]);
    const out = new Map<number, ArrayBuffer>();
    try {
      // A submission that failed validation ran nothing: the staging buffers hold an earlier run's results.
      checkGpu(device);
      await Promise.all(
        read.map(async (id, i) => {
          const st = staging[i].buffer;
          await this.guard(st.mapAsync(GPUMapMode.READ));
          out.set(id, st.getMappedRange().slice(0, program.buffers[id].bytes));
          st.unmap();
        }),
      );
    } finally {
      for (const st of staging) if (!st.kept) st.buffer.destroy();
    }
    return out;
  }

  /** Frees every buffer; the device stays open (pipelines stay cached on it). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of this.allocations) b.destroy();
    for (const b of this.staging.values()) b.destroy();
    this.allocations = [];
    this.buffers = [];
    this.staging.clear();
    this.bindGroups = [];
    this.pipelines = [];
  }
}
