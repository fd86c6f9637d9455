// Reading a .hrn file into resolved networks for the commands: file errors, syntax and semantic
// diagnostics, --set overrides and --network selection all end here as CLI errors.

import { readFileSync, statSync } from 'node:fs';
import { DiagnosticError, hasErrors, type Diagnostic } from '../diagnostics.js';
import type { ArchIR } from '../ir/arch.js';
import { parseHrn, parseOverride, resolveNetwork, type HrnFile, type Override } from '../parser/index.js';
import { UserError } from './errors.js';
import { formatLimit, LIMITS } from '../parser/limits.js';

export interface LoadedSource {
  path: string;
  file: HrnFile;
  networks: ArchIR[];
}

export interface LoadOptions {
  set: string[];
  /** Only this network of the file; all of them when absent. */
  network?: string;
}

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

/** Fails with every diagnostic at once when any is an error. */
export function failOnErrors(diags: readonly Diagnostic[]): void {
  if (hasErrors(diags)) throw new DiagnosticError(diags);
}

/** `sources` receives every text read, for diagnostics to quote. */
export function loadNetworks(path: string, sources: Map<string, string>, opts: LoadOptions): LoadedSource {
  const text = readSource(path);
  sources.set(path, text);
  const { file, diagnostics } = parseHrn(text, path);
  const all: Diagnostic[] = [...diagnostics];

  const overrides: Override[] = [];
  opts.set.forEach((s, i) => {
    // Each --set gets its own pseudo file, so a caret can point into the right one.
    const origin = opts.set.length === 1 ? '<--set>' : `<--set #${i + 1}>`;
    sources.set(origin, s);
    const r = parseOverride(s, origin);
    all.push(...r.diagnostics);
    if (r.override) overrides.push(r.override);
  });
  failOnErrors(all);

  let decls = file.networks;
  if (opts.network !== undefined) {
    decls = decls.filter((n) => n.name === opts.network);
    if (decls.length === 0) {
      const names = file.networks.map((n) => n.name).join(', ') || 'none';
      throw new UserError(`${path}: no network named '${opts.network}' (the file defines: ${names})`);
    }
  }
  if (decls.length === 0) throw new UserError(`${path}: the file defines no network`);

  const networks: ArchIR[] = [];
  for (const decl of decls) {
    const r = resolveNetwork(decl, overrides, sources);
    all.push(...r.diagnostics);
    if (r.arch) networks.push(r.arch);
  }
  failOnErrors(all);
  return { path, file, networks };
}
