// What a plan needs from the device, checked while planning: every buffer and every binding within
// the device's buffer limits, every dispatch within its workgroup limits. Crossing one is the
// user's configuration (a batch too large, a layer too wide for this device), so it is a
// DeviceLimitError, which the CLI prints as a one-line error; the plan compilers add the largest
// batch that does fit, found by planning again (`largestBatch`).

import { formatMiB } from '../util/bytes.js';

/** The limits checked here (plan-types.ts's PlanLimits has them; stated apart so the kernels can use this module). */
interface BufferLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupsPerDimension: number;
}

/** How far over: `needed` of something the device allows `limit` of (bytes, or workgroups). */
export interface LimitHit {
  needed: number;
  limit: number;
}

/** What a plan compiler found out about the batch, once the first error was met. */
export interface BatchAdvice {
  network: string;
  mode: 'training' | 'inference';
  /** The batch asked for. */
  batch: number;
  /** The largest batch that plans on this device; 0 when not even batch 1 does. */
  largest: number;
  /** The limit that was crossed, as first reported. */
  reason: string;
}

export class DeviceLimitError extends Error {
  override name = 'DeviceLimitError';
  constructor(
    message: string,
    /** Set where the need grows with the batch: a hint at the largest batch that would fit. */
    readonly hit?: LimitHit,
    readonly advice?: BatchAdvice,
  ) {
    super(message);
  }
}

/** The smaller of the two buffer limits and its name, for a buffer bound whole as storage. */
function bindingLimit(limits: BufferLimits): { bytes: number; name: string } {
  return limits.maxBufferSize < limits.maxStorageBufferBindingSize
    ? { bytes: limits.maxBufferSize, name: 'maxBufferSize' }
    : { bytes: limits.maxStorageBufferBindingSize, name: 'maxStorageBufferBindingSize' };
}

/**
 * Fails when `bytes` of `what` exceed the binding limit; `growsWithBatch` marks a buffer whose size
 * is proportional to the batch (an activation, not a parameter).
 */
export function checkBinding(what: string, bytes: number, limits: BufferLimits, growsWithBatch = false): void {
  const lim = bindingLimit(limits);
  if (bytes <= lim.bytes) return;
  throw new DeviceLimitError(`${what} needs ${formatMiB(bytes)}, above the device's ${lim.name} (${formatMiB(lim.bytes)})`, growsWithBatch ? { needed: bytes, limit: lim.bytes } : undefined);
}

interface SizedBuffer {
  name: string;
  bytes: number;
}

interface SizedDispatch {
  label: string;
  workgroups: readonly [number, number, number];
  bindings: readonly { buffer: number; offset?: number; size?: number; type?: string }[];
}

/**
 * The last check of a plan: every buffer within maxBufferSize, every storage binding within
 * maxStorageBufferBindingSize, every dispatch within maxComputeWorkgroupsPerDimension. The passes
 * check most of this where they can name the layer; this catches whatever they do not.
 * `perBatch` says which buffers grow with the batch (for the hint).
 */
export function checkPlanFits<B extends SizedBuffer>(buffers: readonly B[], dispatches: readonly SizedDispatch[], limits: BufferLimits, perBatch: (b: B) => boolean): void {
  for (const b of buffers) {
    if (b.bytes > limits.maxBufferSize) {
      const grows = perBatch(b);
      throw new DeviceLimitError(
        `buffer ${b.name} needs ${formatMiB(b.bytes)}, above the device's maxBufferSize (${formatMiB(limits.maxBufferSize)})`,
        grows ? { needed: b.bytes, limit: limits.maxBufferSize } : undefined,
      );
    }
  }
  for (const d of dispatches) {
    const most = Math.max(...d.workgroups);
    if (most > limits.maxComputeWorkgroupsPerDimension) {
      throw new DeviceLimitError(`${d.label}: ${most} workgroups along one dimension, above the device's maxComputeWorkgroupsPerDimension (${limits.maxComputeWorkgroupsPerDimension})`, {
        needed: most,
        limit: limits.maxComputeWorkgroupsPerDimension,
      });
    }
    for (const b of d.bindings) {
      if (b.type === 'uniform') continue;
      const buf = buffers[b.buffer];
      const size = b.size ?? buf.bytes - (b.offset ?? 0);
      if (size > limits.maxStorageBufferBindingSize) {
        const grows = perBatch(buf);
        throw new DeviceLimitError(
          `${d.label}: binds ${formatMiB(size)} of buffer ${buf.name}, above the device's maxStorageBufferBindingSize (${formatMiB(limits.maxStorageBufferBindingSize)})`,
          grows ? { needed: size, limit: limits.maxStorageBufferBindingSize } : undefined,
        );
      }
    }
  }
}

/**
 * The largest batch at which `attempt` plans without a DeviceLimitError (it returns the error, or
 * undefined on success), given that `failed` did not: 0 when not even batch 1 does. Assumes what a
 * plan needs grows with the batch. A limit that grows in proportion to the batch gives its own
 * answer in one try (its hint); otherwise the search halves the interval.
 */
export function largestBatch(attempt: (batch: number) => DeviceLimitError | undefined, failed: number, first: DeviceLimitError): number {
  let lo = 0;
  let hi = failed;
  const hintOf = (batch: number, e: DeviceLimitError) => (e.hit === undefined ? undefined : Math.floor((batch * e.hit.limit) / e.hit.needed));
  let hint = hintOf(failed, first);
  const fits = (batch: number): boolean => {
    const e = attempt(batch);
    if (e === undefined) lo = batch;
    else {
      hi = batch;
      hint = hintOf(batch, e);
    }
    return e === undefined;
  };
  // Batch 1 first: a network too large for the device at any batch is told so at once.
  if (hi > 1 && !fits(1)) return 0;
  while (hi - lo > 1) {
    const h = hint;
    hint = undefined;
    if (h !== undefined && h > lo && h < hi) {
      // When the hint is exact, the next batch up fails and the search ends.
      if (fits(h) && h + 1 < hi) fits(h + 1);
      continue;
    }
    fits(lo + Math.floor((hi - lo) / 2));
  }
  return lo;
}

/**
 * Runs `compile(batch)`; on a DeviceLimitError, plans again (with `attempt`) to find the largest
 * batch that fits, and throws an error that says both what was crossed and that batch.
 */
export function withBatchAdvice<T>(network: string, mode: BatchAdvice['mode'], batch: number, compile: () => T, attempt: (batch: number) => void): T {
  try {
    return compile();
  } catch (e) {
    if (!(e instanceof DeviceLimitError) || e.advice !== undefined) throw e;
    const largest = largestBatch(
      (b) => {
        try {
          attempt(b);
          return undefined;
        } catch (err) {
          if (err instanceof DeviceLimitError) return err;
          throw err;
        }
      },
      batch,
      e,
    );
    const advice: BatchAdvice = { network, mode, batch, largest, reason: e.message };
    const tail = largest > 0 ? `the largest ${mode} batch that fits this device is ${largest}` : 'it does not fit this device even at batch 1';
    throw new DeviceLimitError(`${network} at ${mode} batch ${batch}: ${e.message}; ${tail}`, e.hit, advice);
  }
}
