// The HE model's latency constants: how bench/he-primitives.ts turns measured primitive times into
// the two constants, how `hrn stats --he-measured` reads them back, and that the cost model prices
// with whichever it is given. No timing here: measurements belong to bench/.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadNetworksFromText, lowerNetwork } from '../src/driver.js';
import { FITTED_HE_CONSTANTS, heConstantsFromPrimitives, parseMeasuredHeConstants, type HeConstants } from '../src/ir/he-constants.js';
import { heCost } from '../src/ir/he-cost.js';
import { piCost } from '../src/ir/cost.js';
import { UserError } from '../src/errors.js';

const graphOf = (file: string) => lowerNetwork(loadNetworksFromText(file, readFileSync(file, 'utf8'), new Map(), { set: [] }).networks[0]);

describe('constants from primitive times', () => {
  it('a multiplication is a plaintext multiply plus the add that sums it; a rotation is one key switch', () => {
    const c = heConstantsFromPrimitives({ multiplyPlainMs: 3, addMs: 0.25, rotateMs: 6 });
    // (3 ms + 0.25 ms) per multiplication and 6 ms per rotation, in seconds.
    expect(c.secondsPerMultiplication).toBeCloseTo(0.00325, 12);
    expect(c.secondsPerRotation).toBeCloseTo(0.006, 12);
  });

  it('the add counts only toward multiplications', () => {
    const a = heConstantsFromPrimitives({ multiplyPlainMs: 1, addMs: 0, rotateMs: 2 });
    const b = heConstantsFromPrimitives({ multiplyPlainMs: 1, addMs: 0.5, rotateMs: 2 });
    expect(b.secondsPerMultiplication - a.secondsPerMultiplication).toBeCloseTo(0.0005, 12);
    expect(b.secondsPerRotation).toBe(a.secondsPerRotation);
  });
});

describe('reading measured constants', () => {
  it("the bench's JSON line: both constants, where they came from and what was measured", () => {
    const text = JSON.stringify({ secondsPerMultiplication: 0.003, secondsPerRotation: 0.006, setting: 'node-seal, N = 8192', rounds: 5 });
    expect(parseMeasuredHeConstants(text, 'm.json')).toEqual({
      secondsPerMultiplication: 0.003,
      secondsPerRotation: 0.006,
      source: 'measured',
      file: 'm.json',
      setting: 'node-seal, N = 8192',
    });
  });

  it.each([
    ['not JSON', '{"secondsPerMultiplication": 0.003,', /^m\.json: not JSON; expected the object bench\/he-primitives\.ts writes/],
    ['an array', '[0.003, 0.006]', /^m\.json: expected a JSON object with secondsPerMultiplication and secondsPerRotation$/],
    ['a constant missing', '{"secondsPerMultiplication": 0.003}', /^m\.json: 'secondsPerRotation' must be a positive number of seconds, got nothing$/],
    ['a string', '{"secondsPerMultiplication": "3ms", "secondsPerRotation": 0.006}', /^m\.json: 'secondsPerMultiplication' must be a positive number of seconds, got "3ms"$/],
    ['zero', '{"secondsPerMultiplication": 0, "secondsPerRotation": 0.006}', /'secondsPerMultiplication' must be a positive number of seconds, got 0$/],
    ['negative', '{"secondsPerMultiplication": 0.003, "secondsPerRotation": -1}', /'secondsPerRotation' must be a positive number of seconds, got -1$/],
    ['milliseconds written as seconds', '{"secondsPerMultiplication": 3128, "secondsPerRotation": 5864}', /'secondsPerMultiplication' is 3128 s, not seconds per HE operation/],
  ])('%s is a one-line user error naming the file', (_, text, message) => {
    let caught: unknown;
    try {
      parseMeasuredHeConstants(text, 'm.json');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UserError);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).not.toContain('\n');
  });
});

describe('the cost model with given constants', () => {
  const graph = graphOf('examples/hrn-2x5x3x.hrn');
  const measured: HeConstants = { secondsPerMultiplication: 0.003, secondsPerRotation: 0.006, source: 'measured', file: 'm.json' };

  it('prices the same operation counts with the constants given, and says which', () => {
    const fitted = heCost(graph);
    const m = heCost(graph, measured);
    expect([m.multiplications, m.rotations, m.ciphertexts]).toEqual([fitted.multiplications, fitted.rotations, fitted.ciphertexts]);
    expect(m.latencySeconds).toBeCloseTo(m.multiplications * 0.003 + m.rotations * 0.006, 9);
    expect(m.constants).toEqual(measured);
    expect(fitted.constants).toEqual(FITTED_HE_CONSTANTS);
    expect(fitted.latencySeconds).toBeCloseTo(fitted.multiplications * FITTED_HE_CONSTANTS.secondsPerMultiplication + fitted.rotations * FITTED_HE_CONSTANTS.secondsPerRotation, 9);
  });

  it('the total latency follows: GC unchanged, HE from the measured constants', () => {
    const fitted = piCost(1000, graph);
    const m = piCost(1000, graph, measured);
    expect(m.gcLatencySeconds).toBe(fitted.gcLatencySeconds);
    expect(m.heLatencySeconds).toBe(heCost(graph, measured).latencySeconds);
    expect(m.totalLatencySeconds).toBeCloseTo(m.heLatencySeconds + m.gcLatencySeconds, 9);
  });
});
