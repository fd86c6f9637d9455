// The package as a library user gets it: built from src/ into a temporary copy of the package,
// packed with `npm pack`, unpacked into a fresh `npm init -y` project outside the repository, its
// dependencies linked from this repository's node_modules the way npm would lay them out (only
// those package.json declares, so a missing dependency fails here as it would for a user). Then
// docs/library.md's example, extracted verbatim, is type-checked (strict, no skipLibCheck) and run,
// and the package is used from CommonJS (typed, with node and with tsx).

import { execFile, type ExecFileException } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const MODULES = join(ROOT, 'node_modules');
const TSC = join(MODULES, 'typescript', 'bin', 'tsc');
const TSX = join(MODULES, 'tsx', 'dist', 'cli.mjs');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion within `timeoutMs` (killed after it); never throws. */
function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<Ran> {
  return new Promise((done) => {
    execFile(cmd, args, { cwd, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      const e = err as ExecFileException | null;
      const code = e === null ? 0 : typeof e.code === 'number' ? e.code : 1;
      done({ code, stdout: String(stdout), stderr: `${String(stderr)}${e?.killed ? `\n(killed after ${timeoutMs} ms)` : ''}` });
    });
  });
}

async function mustRun(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<string> {
  const r = await run(cmd, args, cwd, timeoutMs);
  if (r.code !== 0) throw new Error(`${[cmd, ...args].join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The first ```ts block of docs/library.md, as written there. */
function docsExample(): string {
  const text = readFileSync(join(ROOT, 'docs', 'library.md'), 'utf8');
  const m = /^```ts\n([\s\S]*?)^```$/m.exec(text);
  if (!m) throw new Error('docs/library.md has no ```ts block');
  return m[1]!;
}

function strictConfig(file: string): string {
  // What `tsc --init` gives, less skipLibCheck: the package's declarations are checked too.
  const compilerOptions = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, esModuleInterop: true, outDir: 'out' };
  return `${JSON.stringify({ compilerOptions, files: [file] }, null, 2)}\n`;
}

const TINY = 'network T {\n  input 1x8x8\n  classes 3\n  stem conv3x3(2)\n  block basic\n  stages depths [1] widths []\n  head avgpool fc\n}\n';
// Stem 2x8x8 plus one basic block's two ReLUs at 2x8x8.
const TINY_RELUS = 3 * 2 * 8 * 8;

const CJS_TYPED = `import hrn = require('hrn');
const { networks } = hrn.loadNetworksFromText('t.hrn', ${JSON.stringify(TINY)}, new Map(), { set: [] });
const stats: hrn.NetworkStats = hrn.networkStats(networks[0]!);
console.log(\`\${require.resolve('hrn')} \${stats.relus.total}\`);
`;

// A .ts file in a CommonJS project: tsx turns its import into a require.
const TSX_IN_CJS = `import { loadNetworksFromText, networkStats } from 'hrn';
const { networks } = loadNetworksFromText('t.hrn', ${JSON.stringify(TINY)}, new Map(), { set: [] });
console.log(networkStats(networks[0]!).relus.total);
`;

describe('the packed library in a fresh project', () => {
  let dir = '';
  let app = '';
  // The two type-checks, run side by side (each is one core's work for a few seconds).
  let esmCheck: Ran;
  let cjsCheck: Ran;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hrn-library-'));
    const pkg = join(dir, 'pkg');
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[]; dependencies: Record<string, string> };
    mkdirSync(pkg);
    cpSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
    for (const f of manifest.files.filter((f) => f !== 'dist')) cpSync(join(ROOT, f), join(pkg, f), { recursive: true });
    app = join(dir, 'app');
    mkdirSync(app);
    const init = mustRun('npm', ['init', '-y'], app, 30_000);
    init.catch(() => undefined); // awaited below; a build failure must not leave it unhandled
    // The library's part of `npm run build` (the CLI bundle is not part of the API), into the copy.
    await mustRun(process.execPath, [TSC, '-p', join(ROOT, 'tsconfig.json'), '--outDir', join(pkg, 'dist')], ROOT, 120_000);
    await mustRun(process.execPath, [join(ROOT, 'scripts', 'build-cjs.mjs'), join(pkg, 'dist')], ROOT, 60_000);
    const packed = JSON.parse(await mustRun('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], pkg, 60_000)) as { filename: string }[];

    await init;
    const installed = join(app, 'node_modules', 'hrn');
    mkdirSync(installed, { recursive: true });
    await mustRun('tar', ['xzf', join(dir, packed[0]!.filename), '-C', installed, '--strip-components=1'], app, 30_000);
    // The app's own devDependencies (docs/library.md says to install them) and hrn's dependencies.
    for (const name of [...Object.keys(manifest.dependencies), 'typescript', '@types/node']) {
      const link = join(app, 'node_modules', name);
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(realpathSync(join(MODULES, name)), link, 'dir');
    }

    writeFileSync(join(app, 'example.mts'), docsExample());
    writeFileSync(join(app, 'tsconfig.esm.json'), strictConfig('example.mts'));
    writeFileSync(join(app, 'use.cts'), CJS_TYPED);
    writeFileSync(join(app, 'tsconfig.cjs.json'), strictConfig('use.cts'));
    [esmCheck, cjsCheck] = await Promise.all(['tsconfig.esm.json', 'tsconfig.cjs.json'].map((config) => run(process.execPath, [TSC, '-p', config], app, 120_000)));
  }, 300_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('type-checks the docs/library.md example (strict, no skipLibCheck) and runs it as an ES module', async () => {
    expect(`${esmCheck.stdout}${esmCheck.stderr}`).toBe('');
    expect(esmCheck.code).toBe(0);

    const r = await run(process.execPath, [join('out', 'example.mjs')], app, 120_000);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    // The example's network: the stem's 4x16x16 and two basic blocks, at 4x16x16 and 8x8x8.
    expect(r.stdout).toContain(`Tiny: ${4 * 16 * 16 + 2 * 4 * 16 * 16 + 2 * 8 * 8 * 8} ReLUs`);
    expect(r.stdout).toMatch(/^plan: [1-9]\d* kernels, [1-9]\d* dispatches per batch$/m);
    expect(r.stdout).toMatch(/^classes: \d, \d; first image's probabilities sum to 1\.000$/m);
  }, 240_000);

  it('loads from CommonJS: typed through require, with tsx in a CommonJS project, and with node as the CommonJS build', async () => {
    expect(`${cjsCheck.stdout}${cjsCheck.stderr}`).toBe('');
    expect(cjsCheck.code).toBe(0);

    writeFileSync(join(app, 'via-tsx.ts'), TSX_IN_CJS);
    const viaTsx = await run(process.execPath, [TSX, 'via-tsx.ts'], app, 60_000);
    expect(viaTsx.stderr).toBe('');
    expect(viaTsx.stdout.trim()).toBe(String(TINY_RELUS));

    const r = await run(process.execPath, [join('out', 'use.cjs')], app, 60_000);
    expect(r.stderr).toBe('');
    // The CommonJS build, not Node's require of the ES module: the one tsx's require could load above.
    expect(r.stdout.trim()).toBe(`${join(realpathSync(app), 'node_modules', 'hrn', 'dist', 'cjs', 'node.cjs')} ${TINY_RELUS}`);
  }, 240_000);
});
