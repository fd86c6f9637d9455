// Device loss and uncaptured WebGPU errors. WebGPU reports both out of band: a lost device resolves
// `device.lost` and then may leave a mapAsync or onSubmittedWorkDone unsettled for good, and an
// error outside every error scope is only an `uncapturederror` event, after which the work it
// concerned did not happen and a read-back returns stale data. The watch records the first such
// failure of a device; the runtime races every wait on the device against it (`guardGpu`) and
// refuses new work once it has happened (`checkGpu`), so a run ends with the failure instead of
// hanging or returning a wrong result.

/**
 * The device was lost: the GPU driver reset or removed it, or it was destroyed other than through
 * GpuContext.close(). `reason` is WebGPU's (`destroyed`, `unknown`).
 */
export class GpuDeviceLostError extends Error {
  override name = 'GpuDeviceLostError';
  constructor(
    readonly reason: string,
    readonly detail: string,
    /** What a caller knows about the state it leaves (a training run: its last checkpoint). */
    readonly aftermath?: string,
  ) {
    super(`the GPU device was lost (${reason})${detail ? `: ${detail}` : ''}${aftermath ? `; ${aftermath}` : ''}`);
  }

  /** The same loss, with what the caller knows about what survives it. */
  withAftermath(aftermath: string): GpuDeviceLostError {
    return new GpuDeviceLostError(this.reason, this.detail, aftermath);
  }
}

/** The device ran out of memory outside an error scope: the work that needed it did not happen. */
export class GpuOutOfMemoryError extends Error {
  override name = 'GpuOutOfMemoryError';
}

/**
 * A WebGPU validation or internal error no error scope captured. hrn scopes everything it expects
 * could fail, so this is a bug in hrn (or, for an internal error, in the WebGPU implementation).
 */
export class GpuUncapturedError extends Error {
  override name = 'GpuUncapturedError';
  constructor(
    readonly kind: 'validation' | 'internal',
    readonly detail: string,
  ) {
    super(`uncaptured WebGPU ${kind} error: ${detail}`);
  }
}

/** WebGPU's messages run over several lines (the error, then "While calling ..." context): one line. */
function oneLine(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim().replace(/^- /, ''))
    .filter((l) => l !== '')
    .join(' ');
}

interface Waiter {
  fail(e: Error): void;
}

/**
 * How long a wait outlives its device's failure. A lost device usually settles its pending maps
 * at once, and waiting for that keeps callers from freeing buffers while Dawn is still completing
 * their maps (which, with a Dawn instance dropped as well, once crashed the next device opened;
 * see device.ts). A wait that never settles ends with the failure after this long.
 */
const SETTLE_GRACE_MS = 1000;

class DeviceWatch {
  failure: Error | undefined;
  private readonly waiters = new Set<Waiter>();

  constructor(device: GPUDevice, closing: () => boolean) {
    void device.lost.then((info) => {
      if (!closing()) this.fail(new GpuDeviceLostError(info.reason ?? 'unknown', oneLine(info.message ?? '')));
    });
    device.addEventListener('uncapturederror', (event) => {
      if (closing()) return;
      const error = (event as GPUUncapturedErrorEvent).error;
      const detail = oneLine(error.message);
      // By class name: the error classes are globals a host may not have installed.
      const type = error.constructor.name;
      if (type === 'GPUOutOfMemoryError') this.fail(new GpuOutOfMemoryError(`the GPU ran out of memory: ${detail}`));
      else this.fail(new GpuUncapturedError(type === 'GPUInternalError' ? 'internal' : 'validation', detail));
    });
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    for (const w of this.waiters) w.fail(e);
    this.waiters.clear();
  }

  guard<T>(p: Promise<T>): Promise<T> {
    // One waiter per call, dropped when p settles: a race against a shared promise would pin a
    // reaction per call for as long as the device lives.
    return new Promise<T>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter: Waiter = { fail: (e) => (timer = setTimeout(() => reject(e), SETTLE_GRACE_MS)) };
      if (this.failure) waiter.fail(this.failure);
      else this.waiters.add(waiter);
      const settled = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      p.then(
        (v) => {
          settled();
          // An error event may arrive before the wait it spoiled settles: the result is not to be trusted.
          if (this.failure) reject(this.failure);
          else resolve(v);
        },
        (e: unknown) => {
          settled();
          // A lost device rejects pending maps with little to say; the loss says more.
          reject(this.failure ?? e);
        },
      );
    });
  }
}

const watches = new WeakMap<GPUDevice, DeviceWatch>();

/**
 * Watches `device` for loss and uncaptured errors from now on. `closing` says whether the owner
 * is closing it on purpose (its own destroy() is not a loss).
 */
export function watchDevice(device: GPUDevice, closing: () => boolean): void {
  if (!watches.has(device)) watches.set(device, new DeviceWatch(device, closing));
}

/** The loss or uncaptured error seen on `device` so far, if any (always none for an unwatched device). */
export function gpuFailure(device: GPUDevice): Error | undefined {
  return watches.get(device)?.failure;
}

/** Throws the device's failure, if it has had one: no point recording work for a lost device. */
export function checkGpu(device: GPUDevice): void {
  const failure = gpuFailure(device);
  if (failure) throw failure;
}

/** `p`, or the device's failure when that comes first or came before. */
export function guardGpu<T>(device: GPUDevice, p: Promise<T>): Promise<T> {
  const watch = watches.get(device);
  return watch ? watch.guard(p) : p;
}
