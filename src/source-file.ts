// The driver's side in Node: a .hrn file read from disk and handed to the driver (src/driver.ts),
// which is browser-safe and so takes text, not paths. File errors and a request the file cannot
// satisfy (no such network) end here as one-line UserErrors; diagnostics in the text stay
// DiagnosticErrors, with their carets.

import { readFileSync, statSync } from 'node:fs';
import { DriverError, loadNetworksFromText, parseSource, type LoadedNetworks, type SourceOptions } from './driver.js';
import { UserError } from './errors.js';
import type { HrnFile } from './parser/index.js';
import { formatLimit, LIMITS } from './parser/limits.js';

/** The text of the .hrn file at `path`; anything that is not a readable regular file of bounded size is a UserError. */
export function readSource(path: string): string {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new UserError(`${path}: no such file`);
  }
  if (st.isDirectory()) throw new UserError(`${path}: is a directory, expected a .hrn file`);
  // A device or a pipe (/dev/zero, /dev/stdin) may never end: refuse it before reading a byte.
  if (!st.isFile()) throw new UserError(`${path}: not a regular file, expected a .hrn file`);
  if (st.size > LIMITS.fileBytes) {
    throw new UserError(`${path}: ${st.size.toLocaleString('en-US')} bytes, above the limit of ${formatLimit(LIMITS.fileBytes)} for a .hrn file`);
  }
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** The networks of the file at `path`. `sources` receives every text read, for diagnostics to quote. */
export function loadNetworks(path: string, sources: Map<string, string>, opts: SourceOptions): LoadedNetworks {
  const text = readSource(path);
  try {
    return loadNetworksFromText(path, text, sources, opts);
  } catch (e) {
    if (e instanceof DriverError) throw new UserError(e.message);
    throw e;
  }
}

/** The file at `path` parsed (its networks unresolved), for what reads more of it than networks: sweep blocks. */
export function parseSourceFile(path: string, sources: Map<string, string>): HrnFile {
  return parseSource(path, readSource(path), sources);
}
