// Times compute passes: by the GPU's own timestamps where the device has the `timestamp-query`
// feature (the time the pass ran on the GPU, without submission, scheduling and read-back), by the
// host's wall clock from submission to completion otherwise. Each measurement says which clock
// gave it. Shared by the profiler (Trainer.profile) and the tuner (launch/tune/run-group.ts).

import { guardGpu } from './device-watch.js';

/** `timestamp`: the GPU's timestamps around the pass; `wall`: the host's clock around submit and completion. */
export type GpuClock = 'timestamp' | 'wall';

export interface PassTiming {
  /** Milliseconds the pass took. */
  ms: number;
  clock: GpuClock;
  /** Wall-clock milliseconds from submission to completion (what `wall` reports), measured either way. */
  wallMs: number;
}

/** The clock a device times with: timestamps when it was opened with the feature. */
export const deviceClock = (device: GPUDevice): GpuClock => (device.features.has('timestamp-query') ? 'timestamp' : 'wall');

/** Two timestamps (begin and end of the pass), 8 bytes each. */
const QUERY_BYTES = 16;

export class GpuTimer {
  readonly clock: GpuClock;
  private querySet?: GPUQuerySet;
  private resolved?: GPUBuffer;
  private readBack?: GPUBuffer;

  /** `timestamps: false` times by wall clock even where the device has timestamps (tests, comparisons). */
  constructor(
    private readonly device: GPUDevice,
    o: { timestamps?: boolean } = {},
  ) {
    this.clock = o.timestamps === false ? 'wall' : deviceClock(device);
    if (this.clock === 'timestamp') {
      this.querySet = device.createQuerySet({ type: 'timestamp', count: 2 });
      this.resolved = device.createBuffer({ size: QUERY_BYTES, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
      this.readBack = device.createBuffer({ size: QUERY_BYTES, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    }
  }

  /**
   * Encodes one compute pass with `encode`, submits it alone and waits for it: the pass's time. A
   * timestamp pair that is not a positive, finite interval (a driver may clamp or reset its
   * counter) gives the wall clock's figure instead, and says so.
   */
  async time(encode: (pass: GPUComputePassEncoder) => void): Promise<PassTiming> {
    const { device, querySet } = this;
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass(querySet ? { timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : {});
    encode(pass);
    pass.end();
    if (querySet) {
      enc.resolveQuerySet(querySet, 0, 2, this.resolved!, 0);
      enc.copyBufferToBuffer(this.resolved!, 0, this.readBack!, 0, QUERY_BYTES);
    }
    const cmd = enc.finish();
    const t0 = performance.now();
    device.queue.submit([cmd]);
    await guardGpu(device, device.queue.onSubmittedWorkDone());
    const wallMs = performance.now() - t0;
    if (!querySet) return { ms: wallMs, clock: 'wall', wallMs };
    await guardGpu(device, this.readBack!.mapAsync(GPUMapMode.READ, 0, QUERY_BYTES));
    const [begin, end] = new BigUint64Array(this.readBack!.getMappedRange(0, QUERY_BYTES).slice(0));
    this.readBack!.unmap();
    // nanoseconds (WebGPU's unit); the difference is small enough for a double
    const ms = Number(end - begin) / 1e6;
    return end > begin && Number.isFinite(ms) ? { ms, clock: 'timestamp', wallMs } : { ms: wallMs, clock: 'wall', wallMs };
  }

  dispose(): void {
    this.querySet?.destroy();
    this.resolved?.destroy();
    this.readBack?.destroy();
    this.querySet = this.resolved = this.readBack = undefined;
  }
}
