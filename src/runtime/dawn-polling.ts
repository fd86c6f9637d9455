// How often dawn.node polls Dawn while a GPU promise is pending.
//
// dawn.node settles onSubmittedWorkDone, mapAsync and the like by calling Dawn's ProcessEvents from
// a native setImmediate callback that schedules itself again after every poll. setImmediate runs on
// every turn of Node's event loop, so while the GPU works the main thread spins a whole core. On a
// CPU driver that core is one lavapipe's threads need: on 2 cores the spin halved the throughput
// of HRN-2x5x3x's training step (docs/results.md, "The main thread stops spinning").
//
// So hrn replaces the global setImmediate with one that passes JavaScript callbacks straight
// through and lets a native callback (Dawn's poll) run at once only in the first millisecond of a
// burst of polls; after that each poll waits a 1 ms timer. A short GPU wait settles as fast as
// before, a long one costs at most about a millisecond more, and the thread sleeps in between.

type Immediate = (callback: (...args: unknown[]) => void, ...args: unknown[]) => unknown;

export interface PollClock {
  now(): number;
  setImmediate: Immediate;
  setTimeout(callback: () => void, ms: number): unknown;
}

/** Polls run at once this long into a burst, then wait a timer each. */
export const IMMEDIATE_POLL_MS = 1;
/** A native callback this long after the last one starts a new burst. */
const BURST_GAP_MS = 5;
const POLL_TIMER_MS = 1;

/**
 * Whether `fn` is a native function that is not a bound JavaScript one: how dawn.node's poll
 * reaches setImmediate (a bound function also prints as native code, but its name says bound).
 */
export function isNativeCallback(fn: unknown): boolean {
  return typeof fn === 'function' && !fn.name.startsWith('bound ') && Function.prototype.toString.call(fn).includes('[native code]');
}

/**
 * A setImmediate that throttles native callbacks past the first IMMEDIATE_POLL_MS of a burst. It
 * always returns the clock's own immediate, so clearImmediate works on it as on any other.
 */
export function throttledSetImmediate(clock: PollClock): Immediate {
  let burstStart = -Infinity;
  let last = -Infinity;
  return (callback, ...args) => {
    if (!isNativeCallback(callback)) return clock.setImmediate(callback, ...args);
    const t = clock.now();
    if (t - last > BURST_GAP_MS) burstStart = t;
    last = t;
    if (t - burstStart < IMMEDIATE_POLL_MS) return clock.setImmediate(callback, ...args);
    return clock.setImmediate(() => {
      clock.setTimeout(() => callback(...args), POLL_TIMER_MS);
    });
  };
}

let installed = false;

/** Installs the throttled setImmediate for the process (once; nothing where there is no setImmediate, as in a browser). */
export function quietDawnPolling(): void {
  if (installed || typeof globalThis.setImmediate !== 'function') return;
  installed = true;
  const own = globalThis.setImmediate;
  const clock: PollClock = {
    now: () => performance.now(),
    setImmediate: own as unknown as Immediate,
    setTimeout: (callback, ms) => setTimeout(callback, ms),
  };
  globalThis.setImmediate = Object.assign(throttledSetImmediate(clock), own) as unknown as typeof setImmediate;
}
