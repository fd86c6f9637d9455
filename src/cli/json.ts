// The machine-readable output of `--json`: every command prints one document of one shape,
//
//   { "schemaVersion": 1, "command": "stats", "networks": [ ... ] }
//
// with one entry per network even when there is only one; commands whose results are not per
// network (sweep, report, train, check, export) put their own fields beside schemaVersion and
// command instead. A command that fails under --json prints an error document of the same kind,
//
//   { "schemaVersion": 1, "command": "train", "error": { "message": ..., "exitCode": 1, ... } }
//
// (docs/schemas/error.schema.json), so a script always finds one JSON document on stdout.
// docs/schemas/ holds a JSON Schema per command (test/json-output.test.ts validates real output
// against them); a change of shape that can break a reader bumps JSON_SCHEMA_VERSION.

import type { Diagnostic } from '../diagnostics.js';
import type { ParsedCommand } from './args.js';

export const JSON_SCHEMA_VERSION = 1;

export const JSON_OPTION = {
  json: { type: 'boolean', help: `print JSON on stdout (schema: docs/schemas/COMMAND.schema.json); everything else goes to stderr` },
} as const;

export function wantsJson(p: ParsedCommand): boolean {
  return p.values.json === true;
}

export function jsonDocument(command: string, networks: readonly unknown[]): string {
  return jsonObject(command, { networks });
}

/** A document whose results are not one entry per network. */
export function jsonObject(command: string, fields: Record<string, unknown>): string {
  return JSON.stringify({ schemaVersion: JSON_SCHEMA_VERSION, command, ...fields }, null, 2);
}

/** What went wrong, as the error document carries it. */
export interface JsonErrorDetails {
  message: string;
  exitCode: number;
  /** Source diagnostics (a .hrn file, a --pipeline or --set text): every one, errors and warnings. */
  diagnostics?: readonly Diagnostic[];
}

/** The error document; file, line and col are the first error's when it points into a source. */
export function jsonErrorDocument(command: string, e: JsonErrorDetails): string {
  const diags = e.diagnostics ?? [];
  const first = diags.find((d) => d.severity === 'error') ?? diags[0];
  const at = first ? { file: first.span.file, line: first.span.line, col: first.span.col } : {};
  const listed = diags.map((d) => ({ severity: d.severity, message: d.message, file: d.span.file, line: d.span.line, col: d.span.col, length: d.span.length }));
  return jsonObject(command, { error: { message: e.message, exitCode: e.exitCode, ...at, ...(diags.length > 0 ? { diagnostics: listed } : {}) } });
}

/**
 * Whether an invocation asked for JSON: read from the raw arguments, since the error may be that
 * they do not parse. Only a command that declares --json qualifies; `--` ends the options.
 */
export function argvWantsJson(args: readonly string[], declaresJson: boolean): boolean {
  if (!declaresJson) return false;
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).includes('--json');
}
