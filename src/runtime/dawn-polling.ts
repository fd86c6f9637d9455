// How often dawn.node polls Dawn while a GPU promise is pending.
//
// dawn.node settles onSubmittedWorkDone, mapAsync and the like by calling Dawn's ProcessEvents from
// a native setImmediate callback that schedules itself again after every poll. setImmediate runs on
// every turn of Node's event loop, so while the GPU works the main thread spins a whole core. On a
// CPU driver that core is one lavapipe's threads need: on 2 cores the spin halved the throughput
// of HRN-2x5x3x's training step (docs/results.md, "Runs of 4 elements in the elementwise kernels,
// and the main thread stops spinning").
//
// So on a CPU driver hrn replaces the global setImmediate with one that passes other callbacks
// straight through and lets Dawn's poll run at once only in the first millisecond of a wait; after
// that each poll waits a 1 ms timer. A wait starts when the poll is scheduled from outside a poll
// (a new GPU promise); a poll scheduling itself again continues its wait. A short wait settles as
// fast as before, a long one at most about a millisecond later, and the thread sleeps in between.

type Immediate = (callback: (...args: unknown[]) => void, ...args: unknown[]) => unknown;

export interface PollClock {
  now(): number;
  setImmediate: Immediate;
  setTimeout(callback: () => void, ms: number): unknown;
}

/** Polls run at once this long into a wait, then wait a timer each. */
export const IMMEDIATE_POLL_MS = 1;
const POLL_TIMER_MS = 1;

/**
 * Whether `fn` looks like dawn.node's poll: a native function of no parameters that is not a bound
 * JavaScript one (a bound function also prints as native code, but its name says bound; a
 * promise's resolve function takes one parameter).
 */
export function isNativeCallback(fn: unknown): boolean {
  return typeof fn === 'function' && fn.length === 0 && !fn.name.startsWith('bound ') && Function.prototype.toString.call(fn).includes('[native code]');
}

/**
 * A setImmediate that throttles Dawn's poll past the first IMMEDIATE_POLL_MS of a wait. It returns
 * the clock's own immediate: clearImmediate cancels a throttled poll only until its timer is set
 * (Dawn never cancels one).
 */
export function throttledSetImmediate(clock: PollClock, isPoll: (fn: unknown) => boolean = isNativeCallback): Immediate {
  let waitStart = -Infinity;
  let polling = false;
  const poll = (callback: (...args: unknown[]) => void, args: unknown[]) => {
    polling = true;
    try {
      callback(...args);
    } finally {
      polling = false;
    }
  };
  return (callback, ...args) => {
    if (!isPoll(callback)) return clock.setImmediate(callback, ...args);
    const t = clock.now();
    if (!polling) waitStart = t;
    if (t - waitStart < IMMEDIATE_POLL_MS) return clock.setImmediate(() => poll(callback, args));
    return clock.setImmediate(() => {
      clock.setTimeout(() => poll(callback, args), POLL_TIMER_MS);
    });
  };
}

let installed = false;

/**
 * Installs the throttled setImmediate for the process (once; nothing where there is no
 * setImmediate, as in a browser). openDevice calls it for CPU drivers unless told not to.
 */
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
