// The import-direction and cycle check (.dependency-cruiser.cjs) over src/, and a small project
// with wrong-way imports to show the check fails on them.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'node_modules', '.bin', 'depcruise');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

// Under CI=true the tool colours its output whatever the terminal; the checks read plain text.
const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');

function cruise(cwd: string): { code: number; out: string } {
  try {
    const out = execFileSync(BIN, ['src', '--config', CONFIG], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, out: plain(out) };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, out: plain(`${err.stdout}${err.stderr}`) };
  }
}

describe('import direction', () => {
  it('src/ has no wrong-way import and no cycle', () => {
    const r = cruise(ROOT);
    expect(r.out).toContain('no dependency violations found');
    expect(r.code).toBe(0);
  });

  it('reports a cycle, an import of the test oracle and an IR module importing codegen', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrn-imports-'));
    try {
      const files: Record<string, string> = {
        'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true }, include: ['src/**/*.ts'] }),
        'src/ir/a.ts': "import { b } from './b.js';\nimport { plan } from '../codegen/plan.js';\nexport const a = () => b() + plan;\n",
        'src/ir/b.ts': "import { a } from './a.js';\nexport const b = (): number => (a ? 1 : 0);\n",
        'src/codegen/plan.ts': "import { oracle } from '../reference/ops.js';\nexport const plan = oracle;\n",
        'src/reference/ops.ts': 'export const oracle = 1;\n',
      };
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      const r = cruise(dir);
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/no-circular: src\/ir\/(a|b)\.ts/);
      expect(r.out).toContain('reference-is-for-tests: src/codegen/plan.ts → src/reference/ops.ts');
      expect(r.out).toContain('ir-below-everything: src/ir/a.ts → src/codegen/plan.ts');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
