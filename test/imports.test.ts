// The import-direction and cycle check (.dependency-cruiser.cjs) over src/, a small project with
// wrong-way imports to show the check fails on them, and test/fixtures/deps/, where each rule of
// the configuration is broken at least once.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'node_modules', '.bin', 'depcruise');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'deps');
const config = createRequire(import.meta.url)(CONFIG) as { forbidden: { name: string; from: { path?: string; pathNot?: string } }[] };

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

  it('fires every rule on the fixture that breaks it, and no rule on what it allows', () => {
    const r = cruise(FIXTURES);
    expect(r.code).not.toBe(0);
    const fired = new Set([...r.out.matchAll(/^\s*error ([a-z-]+):/gm)].map((m) => m[1]));
    expect([...fired].sort()).toEqual(config.forbidden.map((rule) => rule.name).sort());
    // Each unit's layer rule, on the module that breaks it.
    for (const line of [
      'util-is-a-leaf: src/util/up.ts → src/ir/t.ts',
      'ir-below-everything: src/ir/up.ts → src/parser/t.ts',
      'parser-produces-ir: src/parser/up.ts → src/passes/t.ts',
      'program-below-codegen: src/program/up.ts → src/codegen/t.ts',
      'codegen-below-launch: src/codegen/up.ts → src/passes/t.ts',
      'runtime-runs-programs: src/runtime/up.ts → src/parser/t.ts',
      'runtime-runs-programs: src/runtime/plans.ts → src/codegen/t.ts',
      'launch-below-train: src/launch/up.ts → src/train/t.ts',
      'export-on-graph: src/export/up.ts → src/codegen/t.ts',
      'onnx-on-ir: src/onnx/up.ts → src/export/t.ts',
      'driver-below-commands: src/driver.ts → src/runtime/t.ts',
      'sweep-below-cli: src/sweep/up.ts → src/report/t.ts',
      'design-below-cli: src/design/up.ts → src/sweep/t.ts',
      'report-below-cli: src/report/up.ts → src/index.ts',
      'lsp-below-cli: src/lsp/up.ts → src/sweep/t.ts',
      'every-module-in-a-layer: src/misc/stray.ts → src/util/t.ts',
      'nothing-below-imports-cli: src/sweep/uses-cli.ts → src/cli/t.ts',
      'commands-through-the-driver: src/cli/runs-passes.ts → src/passes/manager.ts',
      // Each file of an op's folder is in the layer its name says.
      'ir-below-everything: src/ops/pool/graph.ts → src/export/t.ts',
      'reference-below-driver: src/ops/pool/reference.ts → src/driver.ts',
      'codegen-below-launch: src/ops/pool/kernels.ts → src/train/t.ts',
      'every-module-in-a-layer: src/ops/pool/schedule.ts → src/util/t.ts',
      'reference-is-for-tests: src/codegen/op-oracle.ts → src/ops/pool/reference.ts',
      // No layer imports an op: src/ops/index.ts, above them, hands each its table.
      'layers-import-no-op: src/weights/op-lookup.ts → src/ops/pool/graph.ts',
      'ops-handed-over-from-above: src/ops/index.ts → src/train/t.ts',
    ]) {
      expect(r.out).toContain(line);
    }
    // Browser safety across indirect imports: two modules away from node:fs, and through a Node host to Dawn.
    expect(r.out).toMatch(/core-reaches-no-node: src\/parser\/indirect\.ts → (node:)?fs\s+src\/ir\/middle\.ts →\s+src\/ir\/reads-files\.ts →/);
    expect(r.out).toMatch(/core-reaches-no-node: src\/runtime\/exec\.ts → \S*node_modules\/webgpu\//);
    expect(r.out).toContain('core-reaches-no-node: src/runtime/exec.ts → src/runtime/device.ts');
    // The language server's logic is core too: its stdio transport is the command's.
    expect(r.out).toContain('core-reaches-no-node: src/lsp/transport.ts → vscode-languageserver/node');
    // The pass runner is codegen's to use, and a type of the pass manager runs nothing.
    expect(r.out).not.toContain('src/codegen/runner-user.ts');
    expect(r.out).not.toContain('src/cli/types-only.ts');
    expect(r.out).not.toContain('src/ops/pool/export.ts');
  });

  it('places every module of src/ in a layer', () => {
    // every-module-in-a-layer sees only modules that import something; this sees the others too.
    const layered = new RegExp(config.forbidden.find((x) => x.name === 'every-module-in-a-layer')!.from.pathNot!);
    const walk = (dir: string): string[] =>
      readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(`${dir}/${e.name}`) : [`${dir}/${e.name}`]));
    expect(walk('src').filter((f) => f.endsWith('.ts') && !layered.test(f))).toEqual([]);
  });
});
