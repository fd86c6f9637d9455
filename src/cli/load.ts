// Reading a .hrn file into resolved networks for the commands (the driver does the work): file
// errors, syntax and semantic diagnostics, --set overrides and --network selection all end here
// as CLI errors.

import { readFileSync, statSync } from 'node:fs';
import { DriverError, failOnErrors, loadNetworksFromText, type LoadedNetworks, type SourceOptions } from '../driver.js';
import { UserError } from './errors.js';
import { formatLimit, LIMITS } from '../parser/limits.js';

export type LoadedSource = LoadedNetworks;
export type LoadOptions = SourceOptions;

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

export { failOnErrors };

/** `sources` receives every text read, for diagnostics to quote. */
export function loadNetworks(path: string, sources: Map<string, string>, opts: LoadOptions): LoadedSource {
  const text = readSource(path);
  try {
    return loadNetworksFromText(path, text, sources, opts);
  } catch (e) {
    if (e instanceof DriverError) throw new UserError(e.message);
    throw e;
  }
}
