// Validates `--json` documents against the schemas in docs/schemas/ (what users are told to rely on).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';

const SCHEMA_DIR = join(import.meta.dirname, '..', 'docs', 'schemas');

const ajv = new Ajv({ allErrors: true, strict: true });
for (const f of readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json'))) {
  ajv.addSchema(JSON.parse(readFileSync(join(SCHEMA_DIR, f), 'utf8')) as object);
}

/** The schema violations of `doc` as `path: message` lines; empty when it is valid. */
export function validateJson(command: string, doc: unknown): string[] {
  const validate = ajv.getSchema(`${command}.schema.json`);
  if (!validate) throw new Error(`no schema docs/schemas/${command}.schema.json`);
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? ''}`);
}
