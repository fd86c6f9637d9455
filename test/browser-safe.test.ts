// The browser-safe core (see .dependency-cruiser.cjs, which checks everything its imports reach)
// also never reads `process`, which a browser does not have.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The same lists the import check uses.
const config = createRequire(import.meta.url)('../.dependency-cruiser.cjs') as { forbidden: Rule[] };

interface Rule {
  name: string;
  from: { path: string; pathNot?: string };
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('browser-safe core', () => {
  const rule = config.forbidden.find((r) => r.name === 'core-reaches-no-node')!;
  const core = files('src').filter((f) => new RegExp(rule.from.path).test(f) && !new RegExp(rule.from.pathNot!).test(f));

  it("covers the front end, passes, codegen, the executor and the language server's logic", () => {
    for (const f of ['src/parser/parser.ts', 'src/passes/manager.ts', 'src/codegen/plan.ts', 'src/codegen/template.ts', 'src/runtime/executor.ts', 'src/index.ts', 'src/lsp/server.ts']) {
      expect(core).toContain(f);
    }
    expect(core).not.toContain('src/runtime/device.ts');
  });

  it('never uses process', () => {
    const uses = core.filter((f) => /\bprocess\s*[.[]|globalThis\.process/.test(readFileSync(f, 'utf8').replace(/\/\/.*$/gm, '')));
    expect(uses).toEqual([]);
  });
});
