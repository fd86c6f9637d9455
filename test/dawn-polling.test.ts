// The throttled setImmediate that stops dawn.node's poll of Dawn from spinning the main thread
// (src/runtime/dawn-polling.ts), on a fake clock.
import { describe, expect, it } from 'vitest';
import { IMMEDIATE_POLL_MS, isNativeCallback, throttledSetImmediate, type PollClock } from '../src/runtime/dawn-polling.js';

function fakeClock() {
  const calls: string[] = [];
  const clock: PollClock & { t: number } = {
    t: 0,
    now: () => clock.t,
    setImmediate: (cb, ...args) => {
      calls.push(cb === native ? 'immediate: the poll' : 'immediate: a wrapper');
      return { cb, args };
    },
    setTimeout: (_cb, ms) => calls.push(`timer ${ms} ms`),
  };
  return { clock, calls };
}

// A native function, as Dawn's poll is (Math.random takes no arguments and changes nothing).
const native = Math.random;

describe('throttled setImmediate', () => {
  it('tells native callbacks from JavaScript ones, bound functions included', () => {
    expect(isNativeCallback(native)).toBe(true);
    expect(isNativeCallback(() => 0)).toBe(false);
    expect(isNativeCallback(function named() {}.bind(null))).toBe(false);
    expect(isNativeCallback('not a function')).toBe(false);
  });

  it('passes JavaScript callbacks straight through, with their arguments', () => {
    const { clock } = fakeClock();
    const cb = (x: unknown) => x;
    expect(throttledSetImmediate(clock)(cb, 7)).toEqual({ cb, args: [7] });
  });

  it('polls at once early in a burst, then through a 1 ms timer, and at once again after a pause', () => {
    const { clock, calls } = fakeClock();
    const set = throttledSetImmediate(clock);
    set(native);
    clock.t = IMMEDIATE_POLL_MS / 2;
    set(native);
    clock.t = IMMEDIATE_POLL_MS + 0.1;
    const late = set(native) as { cb: () => void };
    expect(calls).toEqual(['immediate: the poll', 'immediate: the poll', 'immediate: a wrapper']);
    late.cb();
    expect(calls.at(-1)).toBe('timer 1 ms');
    clock.t += 100;
    set(native);
    expect(calls.at(-1)).toBe('immediate: the poll');
  });
});
