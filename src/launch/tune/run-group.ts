// Runs a dispatch group (group.ts) on its own: its buffers created and filled, its pipelines
// compiled, then run once with the written ranges read back (what a candidate is checked on), or
// many times for a timing.

import { checkGpu, gpuFailure, guardGpu } from '../../runtime/device-watch.js';
import { type GpuClock, GpuTimer } from '../../runtime/gpu-timer.js';
import { cachedPipeline, type CachedPipeline } from '../../runtime/pipelines.js';
import type { DispatchGroup, GroupBuffer } from './group.js';

/** The bytes a buffer starts with, by its contents' description. */
export type ContentsSource = (b: GroupBuffer) => Float32Array | Uint32Array | undefined;

/** How a group's runs are timed: by timestamps where the device has them (unless `timestamps` is false); each clock used joins `seen`. */
export interface GroupTiming {
  timestamps: boolean;
  seen: Set<GpuClock>;
}

/** A failure of the group itself (its kernel does not compile, a binding is refused), not of the device. */
export class GroupError extends Error {
  override name = 'GroupError';
}

export class GroupRun {
  private constructor(
    private readonly device: GPUDevice,
    private readonly group: DispatchGroup,
    private readonly buffers: GPUBuffer[],
    private readonly pipelines: GPUComputePipeline[],
    private readonly bindGroups: GPUBindGroup[],
    private readonly timing: GroupTiming,
  ) {}

  private timer?: GpuTimer;

  /**
   * Creates the group's buffers (filled from `contents`), pipelines and bind groups. A kernel that
   * does not compile, or anything WebGPU refuses, is a GroupError; a lost device stays what it is.
   */
  static async create(device: GPUDevice, group: DispatchGroup, contents: ContentsSource, timing: GroupTiming = { timestamps: true, seen: new Set() }): Promise<GroupRun> {
    checkGpu(device);
    const buffers: GPUBuffer[] = [];
    device.pushErrorScope('validation');
    device.pushErrorScope('out-of-memory');
    let run: GroupRun | undefined;
    let failure: unknown;
    try {
      for (const b of group.buffers) {
        const usage = b.uniform ? GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST : GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
        const buf = device.createBuffer({ size: Math.max(16, Math.ceil(b.bytes / 16) * 16), usage });
        buffers.push(buf);
        const data = contents(b);
        if (data) device.queue.writeBuffer(buf, 0, data.buffer, data.byteOffset, Math.min(data.byteLength, buf.size));
      }
      // One at a time: each compilation opens and closes an error scope of its own.
      const compiled: CachedPipeline[] = [];
      for (const d of group.dispatches) compiled.push(await cachedPipeline(device, d.kernel, d.kernel.types, [group.label]));
      const bindGroups = group.dispatches.map((d, i) =>
        device.createBindGroup({
          layout: compiled[i].layout,
          entries: d.bindings.map((b) => ({ binding: b.binding, resource: { buffer: buffers[b.buffer], ...(b.offset !== undefined ? { offset: b.offset } : {}), ...(b.size !== undefined ? { size: b.size } : {}) } })),
        }),
      );
      run = new GroupRun(device, group, buffers, compiled.map((c) => c.pipeline), bindGroups, timing);
    } catch (e) {
      failure = e;
    }
    const oom = await guardGpu(device, device.popErrorScope());
    const invalid = await guardGpu(device, device.popErrorScope());
    if (failure !== undefined || oom || invalid) {
      for (const b of buffers) b.destroy();
      if (failure !== undefined && failure === gpuFailure(device)) throw failure;
      const why = failure instanceof Error ? failure.message : (oom ?? invalid)?.message ?? String(failure);
      throw new GroupError(why.split('\n')[0]);
    }
    return run!;
  }

  private encodePass(pass: GPUComputePassEncoder, times: number): void {
    for (let t = 0; t < times; t++) {
      this.group.dispatches.forEach((d, i) => {
        pass.setPipeline(this.pipelines[i]);
        pass.setBindGroup(0, this.bindGroups[i]);
        pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
      });
    }
  }

  private encode(enc: GPUCommandEncoder, times: number): void {
    const pass = enc.beginComputePass();
    this.encodePass(pass, times);
    pass.end();
  }

  /** Runs the group once (on a CPU driver this also compiles its kernels) and reads back every range it writes. */
  async outputs(): Promise<Float32Array[]> {
    const { device, group } = this;
    checkGpu(device);
    const staging = group.outputs.map((o) => device.createBuffer({ size: Math.max(16, Math.ceil(o.bytes / 16) * 16), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }));
    try {
      const enc = device.createCommandEncoder();
      this.encode(enc, 1);
      group.outputs.forEach((o, i) => enc.copyBufferToBuffer(this.buffers[o.buffer], o.offset, staging[i], 0, o.bytes));
      device.queue.submit([enc.finish()]);
      checkGpu(device);
      return await Promise.all(
        staging.map(async (s, i) => {
          await guardGpu(device, s.mapAsync(GPUMapMode.READ, 0, group.outputs[i].bytes));
          const copy = new Float32Array(s.getMappedRange(0, group.outputs[i].bytes).slice(0));
          s.unmap();
          return copy;
        }),
      );
    } finally {
      for (const s of staging) s.destroy();
    }
  }

  /** Runs the group `times` times in one pass, submitted alone, and waits: milliseconds per run (gpu-timer.ts says by which clock). */
  async time(times: number): Promise<number> {
    checkGpu(this.device);
    this.timer ??= new GpuTimer(this.device, { timestamps: this.timing.timestamps });
    const t = await this.timer.time((pass) => this.encodePass(pass, times));
    this.timing.seen.add(t.clock);
    return t.ms / times;
  }

  dispose(): void {
    for (const b of this.buffers) b.destroy();
    this.timer?.dispose();
  }
}
