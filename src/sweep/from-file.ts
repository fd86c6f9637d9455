// The sweep blocks of a .hrn file, as sweep specs.

import type { SweepSpec } from './spec.js';

/** The sweep named `name` of `file` (or its only one); undefined when the file declares none and none was asked for. */
export function sweepFromFile(_file: string, _name: string | undefined, _sources: Map<string, string>): SweepSpec | undefined {
  return undefined;
}
