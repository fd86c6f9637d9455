// The machine-readable output of `--json`: every command prints one document of one shape,
//
//   { "schemaVersion": 1, "command": "stats", "networks": [ ... ] }
//
// with one entry per network even when there is only one. docs/schemas/ holds a JSON Schema per
// command (test/json-output.test.ts validates real output against them); a change of shape that
// can break a reader bumps JSON_SCHEMA_VERSION.

import type { ParsedCommand } from './args.js';

export const JSON_SCHEMA_VERSION = 1;

export const JSON_OPTION = {
  json: { type: 'boolean', help: `print JSON on stdout (schema: docs/schemas/COMMAND.schema.json); everything else goes to stderr` },
} as const;

export function wantsJson(p: ParsedCommand): boolean {
  return p.values.json === true;
}

export function jsonDocument(command: string, networks: readonly unknown[]): string {
  return JSON.stringify({ schemaVersion: JSON_SCHEMA_VERSION, command, networks }, null, 2);
}
