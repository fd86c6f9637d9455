// Runs a dispatch group (group.ts) on its own through the runtime's program runner: its buffers
// created and filled, its pipelines compiled, then run once with the written ranges read back
// (what a candidate is checked on), or many times for a timing.

import { gpuFailure, guardGpu } from '../../runtime/device-watch.js';
import { type GpuClock, GpuTimer } from '../../runtime/gpu-timer.js';
import { ProgramRunner, type RunTarget } from '../../runtime/runner.js';
import type { DispatchGroup, GroupContents } from './group.js';

/** The bytes a buffer starts with, from its contents' description and size. */
export type ContentsSource = (contents: GroupContents, bytes: number) => Float32Array | Uint32Array | Uint16Array | undefined;

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
  private timer?: GpuTimer;

  private constructor(
    private readonly runner: ProgramRunner,
    private readonly group: DispatchGroup,
    private readonly timing: GroupTiming,
  ) {}

  /**
   * Creates the group's buffers (filled from `contents`), pipelines and bind groups. A kernel that
   * does not compile, or anything WebGPU refuses, is a GroupError; a lost device stays what it is.
   */
  static async create(target: RunTarget, group: DispatchGroup, contents: ContentsSource, timing: GroupTiming = { timestamps: true, seen: new Set() }): Promise<GroupRun> {
    const device = 'device' in target ? target.device : target;
    let runner: ProgramRunner;
    try {
      runner = await ProgramRunner.create(target, group.program);
    } catch (e) {
      if (e === gpuFailure(device)) throw e;
      throw new GroupError((e instanceof Error ? e.message : String(e)).split('\n')[0]);
    }
    // Filled inside error scopes of its own: what WebGPU refuses here is the group's failure too.
    device.pushErrorScope('validation');
    let failure: unknown;
    try {
      group.program.buffers.forEach((b, i) => {
        const data = contents(group.contents[i], b.bytes);
        if (!data) return;
        // Noise is made in whole floats: never more than the buffer holds.
        const bytes = Math.min(data.byteLength, runner.buffer(i).size);
        runner.write(i, new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, bytes));
      });
    } catch (e) {
      failure = e;
    }
    const refused = await guardGpu(device, device.popErrorScope());
    if (failure !== undefined || refused) {
      runner.dispose();
      if (failure !== undefined && failure === gpuFailure(device)) throw failure;
      throw new GroupError((failure instanceof Error ? failure.message : (refused?.message ?? String(failure))).split('\n')[0]);
    }
    return new GroupRun(runner, group, timing);
  }

  /** Runs the group once and reads back every range it writes. */
  async outputs(): Promise<Float32Array[]> {
    const ids = [...new Set(this.group.outputs.map((o) => o.buffer))];
    const data = await this.runner.submit(ids, (enc) => this.runner.encode(enc));
    return this.group.outputs.map((o) => new Float32Array(data.get(o.buffer)!.slice(o.offset, o.offset + o.bytes)));
  }

  /** Runs the group `times` times in one pass, submitted alone, and waits: milliseconds per run (gpu-timer.ts says by which clock). */
  async time(times: number): Promise<number> {
    this.runner.checkOpen();
    this.timer ??= new GpuTimer(this.runner.device, { timestamps: this.timing.timestamps });
    const dispatches = this.group.program.dispatches.length;
    const t = await this.timer.time((pass) => {
      for (let r = 0; r < times; r++) for (let i = 0; i < dispatches; i++) this.runner.dispatch(pass, i);
    });
    this.timing.seen.add(t.clock);
    return t.ms / times;
  }

  dispose(): void {
    this.runner.dispose();
    this.timer?.dispose();
  }
}
