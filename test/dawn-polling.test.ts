// The throttled setImmediate that stops dawn.node's poll of Dawn from spinning the main thread
// (src/runtime/dawn-polling.ts), on a fake clock.
import { describe, expect, it } from 'vitest';
import { IMMEDIATE_POLL_MS, isNativeCallback, throttledSetImmediate, type PollClock } from '../src/runtime/dawn-polling.js';

/** A fake clock whose immediates and timers are queued, to be run by the test. */
function fakeClock() {
  const log: string[] = [];
  const queue: (() => void)[] = [];
  const clock: PollClock & { t: number } = {
    t: 0,
    now: () => clock.t,
    setImmediate: (cb, ...args) => {
      log.push('immediate');
      queue.push(() => cb(...args));
      return cb;
    },
    setTimeout: (cb, ms) => {
      log.push(`timer ${ms} ms`);
      queue.push(cb);
    },
  };
  const runNext = () => queue.shift()!();
  return { clock, log, runNext };
}

describe('throttled setImmediate', () => {
  it("tells dawn.node's poll (a native function of no parameters) from other callbacks", () => {
    expect(isNativeCallback(Math.random)).toBe(true);
    expect(isNativeCallback(() => 0)).toBe(false);
    expect(isNativeCallback(function named() {}.bind(null))).toBe(false);
    let resolve: unknown;
    void new Promise((r) => (resolve = r));
    expect(isNativeCallback(resolve), "a promise's resolve function").toBe(false);
    expect(isNativeCallback('not a function')).toBe(false);
  });

  it('passes other callbacks straight through, with their arguments', () => {
    const { clock, log } = fakeClock();
    const cb = (x: unknown) => x;
    expect(throttledSetImmediate(clock)(cb, 7)).toBe(cb);
    expect(log).toEqual(['immediate']);
  });

  it('polls at once early in a wait, then through a 1 ms timer; a new wait polls at once again', () => {
    const { clock, log, runNext } = fakeClock();
    let polls = 0;
    let remaining = 0;
    const isPoll = (fn: unknown) => fn === poll;
    // Dawn's poll: re-arms itself while the wait is not over.
    const poll = () => {
      polls++;
      clock.t += IMMEDIATE_POLL_MS / 3;
      if (--remaining > 0) set(poll);
    };
    const set = throttledSetImmediate(clock, isPoll);
    remaining = 5;
    set(poll);
    while (polls < 5) runNext();
    // 3 polls within the first millisecond, then the timer for the rest
    expect(log).toEqual(['immediate', 'immediate', 'immediate', 'immediate', 'timer 1 ms', 'immediate', 'timer 1 ms']);
    log.length = 0;
    // The next wait starts right away (a tight submit-and-wait loop): its first poll is at once.
    remaining = 1;
    set(poll);
    runNext();
    expect([log, polls]).toEqual([['immediate'], 6]);
  });
});
