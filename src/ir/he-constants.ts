// The two latency constants of the HE model (he-cost.ts): the ones fitted to the paper's tables, or
// ones measured on a machine by bench/he-primitives.ts. The model prices a linear layer as
// multiplications x (seconds per multiplication) + rotations x (seconds per rotation); a
// measurement gives the time of each HE primitive, and this module says how those times become
// the two constants, so that the bench and `hrn stats --he-measured` agree on it.

import { UserError } from '../errors.js';

/** Seconds per plaintext-ciphertext multiplication (fitted to Tables 7 and 8). */
export const HE_SECONDS_PER_MULT = 0.00246858;
/** Seconds per ciphertext rotation, i.e. key switching (fitted to Tables 7 and 8). */
export const HE_SECONDS_PER_ROTATION = 0.01237218;

export interface HeConstants {
  secondsPerMultiplication: number;
  secondsPerRotation: number;
  /** `fitted`: to the paper's Tables 7 and 8; `measured`: read from a file the HE bench wrote. */
  source: 'fitted' | 'measured';
  /** The file the measured constants came from. */
  file?: string;
  /** What was measured, in words (library, parameters, machine), as the bench recorded it. */
  setting?: string;
}

export const FITTED_HE_CONSTANTS: HeConstants = {
  secondsPerMultiplication: HE_SECONDS_PER_MULT,
  secondsPerRotation: HE_SECONDS_PER_ROTATION,
  source: 'fitted',
};

/** Median milliseconds of one call of each HE primitive, as bench/he-primitives.ts measures them. */
export interface HePrimitiveTimes {
  /** Plaintext-ciphertext multiplication (BFV, ciphertext in coefficient form). */
  multiplyPlainMs: number;
  /** Ciphertext-ciphertext addition. */
  addMs: number;
  /** One slot rotation with a Galois key of that step: one key switch. */
  rotateMs: number;
}

/**
 * The model's two constants from primitive times. In the packed convolution every plaintext
 * product is summed into an output ciphertext, so a multiplication costs a multiply and an add.
 * A rotation costs one key switch: the input rotations feed the multiplications (whose adds are
 * already counted), and the few adds of the channel sums are left out, as small against either.
 */
export function heConstantsFromPrimitives(t: HePrimitiveTimes): { secondsPerMultiplication: number; secondsPerRotation: number } {
  return {
    secondsPerMultiplication: (t.multiplyPlainMs + t.addMs) / 1000,
    secondsPerRotation: t.rotateMs / 1000,
  };
}

function positiveSeconds(doc: Record<string, unknown>, key: string, file: string): number {
  const v = doc[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new UserError(`${file}: '${key}' must be a positive number of seconds, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
  }
  // Above a minute per primitive is not a measurement of one HE operation but a unit mistake.
  if (v > 60) throw new UserError(`${file}: '${key}' is ${v} s, not seconds per HE operation (milliseconds written as seconds?)`);
  return v;
}

/**
 * Measured constants from the text of a file the HE bench wrote (its last line, a JSON object
 * with `secondsPerMultiplication` and `secondsPerRotation`). Anything else is a one-line UserError
 * naming `file`.
 */
export function parseMeasuredHeConstants(text: string, file: string): HeConstants {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new UserError(`${file}: not JSON; expected the object bench/he-primitives.ts writes ({"secondsPerMultiplication": ..., "secondsPerRotation": ...})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new UserError(`${file}: expected a JSON object with secondsPerMultiplication and secondsPerRotation`);
  }
  const d = doc as Record<string, unknown>;
  const constants: HeConstants = {
    secondsPerMultiplication: positiveSeconds(d, 'secondsPerMultiplication', file),
    secondsPerRotation: positiveSeconds(d, 'secondsPerRotation', file),
    source: 'measured',
    file,
  };
  if (typeof d.setting === 'string' && d.setting !== '') constants.setting = d.setting;
  return constants;
}
