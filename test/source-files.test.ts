// Two rules of the code base that no compiler checks: a module of src/ stays short enough to read
// in one sitting (400 lines), and a comment or document that names a file names one that exists.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const MAX_LINES = 400;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

// A path from the repository's root (`src/program/uploads.ts`, `docs/runtime.md`, `kernels/lib/`), or
// one relative to src/, the file's own folder or the kernel templates (`program/uploads.ts`,
// `lib/per_element.wgsl`). Not inside a longer path or a URL.
const ROOTED = /(?<![\w./:@-])((?:src|test|docs|kernels|bench|web|examples|grammar|scripts)\/[\w./*-]*[\w/*])/g;
const RELATIVE = /(?<![\w./:@-])((?:[a-z][\w-]*\/)+[\w.-]+\.(?:ts|wgsl|md|json|cjs|mjs|hrn|py))\b/g;

/** The comments of a TypeScript file; all of a markdown file. */
function prose(file: string): string {
  const text = readFileSync(file, 'utf8');
  return file.endsWith('.md') ? text : (text.match(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g) ?? []).join('\n');
}

/** Folders the build and the commands write, which are not in the repository (.gitignore). */
const ignoredDirs = readFileSync('.gitignore', 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l.endsWith('/'))
  .map((l) => l.replace(/^\/|\/$/g, ''));

/** Whether `path`, named in `file`, exists; a placeholder part (`NAME.wgsl`, `*.ts`) needs only the folder before it. */
function exists(path: string, file: string): boolean {
  const parts = path.replace(/\.+$/, '').split('/');
  const bare = parts.join('/');
  if (parts.some((p) => ignoredDirs.includes(p)) || ignoredDirs.some((d) => bare === d || bare.startsWith(`${d}/`))) return true;
  const placeholder = parts.findIndex((p) => p.includes('*') || /^[A-Z_]+(\.\w+)?$/.test(p));
  const real = (placeholder < 0 ? parts : parts.slice(0, placeholder)).join('/');
  return ['', 'src', dirname(file), 'src/codegen', 'kernels'].some((base) => existsSync(join(base, real)));
}

describe('source files', () => {
  it(`no module of src/ is longer than ${MAX_LINES} lines`, () => {
    const long = walk('src')
      .filter((f) => f.endsWith('.ts'))
      .map((f) => ({ f, lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
      .filter((x) => x.lines > MAX_LINES)
      .map((x) => `${x.f}: ${x.lines} lines`);
    expect(long).toEqual([]);
  });

  it('every file a comment or a document names exists', () => {
    const files = ['src', 'test', 'bench', 'docs'].flatMap(walk).filter((f) => /\.(ts|mts|md)$/.test(f)).concat('README.md');
    const missing: string[] = [];
    for (const f of files) {
      const text = prose(f);
      for (const re of [ROOTED, RELATIVE]) {
        for (const m of text.matchAll(re)) if (!exists(m[1], f)) missing.push(`${f}: ${m[1]}`);
      }
    }
    expect([...new Set(missing)]).toEqual([]);
  });

  it('finds a path that does not exist, and accepts placeholders and build outputs', () => {
    expect(exists('src/program/uploads.ts', 'src/x.ts')).toBe(true);
    expect(exists('program/uploads.ts', 'src/x.ts')).toBe(true);
    expect(exists('kernels/NAME.wgsl', 'src/x.ts')).toBe(true);
    expect(exists('web/dist/', 'docs/x.md')).toBe(true);
    expect(exists('src/no-such-folder/module.ts', 'src/x.ts')).toBe(false);
    expect(exists('codegen/no-such-module.ts', 'src/cli/json.ts')).toBe(false);
    expect([...'see src/train/index.ts and codegen/gone.ts.'.matchAll(ROOTED)].map((m) => m[1])).toEqual(['src/train/index.ts']);
    expect([...'see src/train/index.ts and codegen/gone.ts.'.matchAll(RELATIVE)].map((m) => m[1])).toContain('codegen/gone.ts');
  });
});
