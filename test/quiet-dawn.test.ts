// Only Dawn's two known lavapipe warnings are dropped; everything else Dawn (or anything) prints
// to stderr while the adapter is requested is kept. (test/train-log-tty.test.ts checks a real run.)

import { describe, expect, it } from 'vitest';
import { dropHarmlessDawnWarnings } from '../src/runtime/quiet-dawn.js';

const UNIFORM = 'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.';
const STORAGE = 'Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.';

describe('Dawn warning filter', () => {
  it('drops the two known warnings', () => {
    expect(dropHarmlessDawnWarnings(`${UNIFORM}\n${STORAGE}\n`)).toBe('');
  });

  it('keeps every other line, including other warnings and partial matches', () => {
    const other = [
      'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit something else.',
      'Error: device lost',
      `note: ${UNIFORM}`,
    ];
    expect(dropHarmlessDawnWarnings(`${UNIFORM}\n${other[0]}\n${STORAGE}\n${other[1]}\n${other[2]}\n`)).toBe(`${other.join('\n')}\n`);
  });
});
