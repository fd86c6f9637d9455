// Only Dawn's two known lavapipe warnings are dropped; everything else is kept, in order, whole or
// split across reads however the pipe happens to deliver it.

import { describe, expect, it } from 'vitest';
import { DawnWarningFilter, dropHarmlessDawnWarnings } from '../src/util/dawn-warnings.js';

const UNIFORM = 'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.';
const STORAGE = 'Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.';
const OTHER = [
  'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit something else.',
  'Error: device lost',
  `note: ${UNIFORM}`,
];

describe('Dawn warning filter', () => {
  it('drops the two known warnings', () => {
    expect(dropHarmlessDawnWarnings(`${UNIFORM}\n${STORAGE}\n`)).toBe('');
  });

  it('keeps every other line, including other warnings and partial matches', () => {
    expect(dropHarmlessDawnWarnings(`${UNIFORM}\n${OTHER[0]}\n${STORAGE}\n${OTHER[1]}\n${OTHER[2]}\n`)).toBe(`${OTHER.join('\n')}\n`);
  });

  it('gives the same result on a stream cut at every possible place', () => {
    const text = `${UNIFORM}\n${OTHER[0]}\r\n${STORAGE}\n${OTHER[1]}\n${OTHER[2]}`;
    const want = `${OTHER[0]}\r\n${OTHER[1]}\n${OTHER[2]}`;
    for (let a = 0; a <= text.length; a += 7) {
      for (let b = a; b <= text.length; b += 13) {
        const f = new DawnWarningFilter();
        const got = f.push(text.slice(0, a)) + f.push(text.slice(a, b)) + f.push(text.slice(b)) + f.end();
        expect(got).toBe(want);
      }
    }
  });

  it('a warning with no newline at the very end is still dropped', () => {
    const f = new DawnWarningFilter();
    expect(f.push(`x\n${STORAGE}`) + f.end()).toBe('x\n');
  });
});
