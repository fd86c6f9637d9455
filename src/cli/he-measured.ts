// `hrn stats --he-measured FILE`: the HE latency constants a run of bench/he-primitives.ts measured
// and wrote to FILE. The file is required rather than looked up in a default place: measured
// constants describe one machine, and a cost silently priced with an old or foreign measurement
// would read as if it were this one's.

import { readFileSync, statSync } from 'node:fs';
import { UserError } from '../errors.js';
import { parseMeasuredHeConstants, type HeConstants } from '../ir/he-constants.js';
import { stringOption, type ParsedCommand } from './args.js';

/** The bench writes a few hundred bytes; a larger file is not one of its outputs. */
const MAX_BYTES = 1 << 20;

/** The constants of `--he-measured FILE`, or undefined (the fitted ones) when it is not given. */
export function heMeasuredOption(p: ParsedCommand): HeConstants | undefined {
  const file = stringOption(p, 'he-measured');
  if (file === undefined) return undefined;
  let size: number;
  try {
    const st = statSync(file);
    // A device or a pipe may never end: refuse it before reading a byte.
    if (!st.isFile()) throw new UserError(`${file}: not a regular file, expected the JSON that bench/he-primitives.ts writes`);
    size = st.size;
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${file}: no such file`);
  }
  if (size > MAX_BYTES) throw new UserError(`${file}: ${size} bytes, too large for the constants bench/he-primitives.ts writes`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseMeasuredHeConstants(text, file);
}
