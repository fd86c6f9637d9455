// The VS Code extension as a user installs it: `npm run package:vscode` packs a .vsix, and what
// is inside is what VS Code reads (its manifest, the extension's package.json, the bundled client,
// the grammar). The bundle must run with nothing beside it but the editor's `vscode` module.

import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './lsp-client.js';
import { hrn } from './run-cli.js';
import { zipEntries } from './zip-entries.js';

const run = promisify(execFile);
const PACK = join(ROOT, 'editors/vscode/pack.mjs');
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

/** `npm run package:vscode -- ARGS`, as the script that it runs. */
function pack(...args: string[]) {
  return run(process.execPath, [PACK, ...args], { cwd: ROOT, timeout: 120_000, env: { ...process.env, INIT_CWD: undefined } });
}

const STAND_IN = join(ROOT, 'test/fixtures/vscode/stand-in.cjs');
const PROBE = join(ROOT, 'test/fixtures/vscode/probe.cjs');
/** `hrn lsp --stdio` from source, as the extension's settings can name it. */
const SERVER = { 'hrn.server.command': process.execPath, 'hrn.server.args': ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href, join(ROOT, 'src/cli/run.ts'), 'lsp', '--stdio'] };

describe('npm run package:vscode', () => {
  let dir: string;
  let vsix: Map<string, Buffer>;
  let sourcesBefore: string[];
  const sources = () => readdirSync(join(ROOT, 'editors/vscode'), { recursive: true, encoding: 'utf8' }).sort();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hrn-vsix-test-'));
    sourcesBefore = sources();
    const { stdout } = await pack('--out', join(dir, 'out'));
    expect(stdout.trim()).toBe(join(dir, 'out', `hrn-${version}.vsix`));
    vsix = zipEntries(readFileSync(stdout.trim()));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("names the package hrn-VERSION.vsix after hrn's version, and writes nothing beside the sources", () => {
    expect(readdirSync(join(dir, 'out'))).toEqual([`hrn-${version}.vsix`]);
    expect(sources()).toEqual(sourcesBefore);
  });

  it("holds VS Code's manifest with hrn's identity and version", () => {
    const manifest = vsix.get('extension.vsixmanifest')!.toString('utf8');
    expect(manifest).toMatch(new RegExp(`<Identity [^>]*Id="hrn"[^>]*Version="${version.replace(/\./g, '\\.')}"`));
    expect(manifest).toContain('Microsoft.VisualStudio.Code');
  });

  it('holds every file its package.json names, the grammar the same as the repository\'s, and no node_modules', () => {
    const manifest = JSON.parse(vsix.get('extension/package.json')!.toString('utf8')) as {
      version: string;
      main: string;
      contributes: { languages: Array<{ configuration: string }>; grammars: Array<{ path: string; scopeName: string }> };
    };
    expect(manifest.version).toBe(version);
    const inside = (p: string) => `extension/${p.replace(/^\.\//, '')}`;
    for (const p of [manifest.main, ...manifest.contributes.languages.map((l) => l.configuration), ...manifest.contributes.grammars.map((g) => g.path)]) {
      expect([...vsix.keys()]).toContain(inside(p));
    }
    const grammar = vsix.get(inside(manifest.contributes.grammars[0].path))!;
    expect(grammar.equals(readFileSync(join(ROOT, 'grammar/hrn.tmLanguage.json')))).toBe(true);
    expect(manifest.contributes.grammars[0].scopeName).toBe((JSON.parse(grammar.toString('utf8')) as { scopeName: string }).scopeName);
    expect([...vsix.keys()].filter((p) => p.includes('node_modules'))).toEqual([]);
  });

  it("runs, with only the editor's vscode module beside it, the server its settings name, and shows that server's diagnostics", async () => {
    // Unpacked in a temporary folder: no node_modules above it can supply what the bundle lacks.
    const installed = join(dir, 'installed');
    for (const [path, data] of vsix) {
      mkdirSync(dirname(join(installed, path)), { recursive: true });
      writeFileSync(join(installed, path), data);
    }
    mkdirSync(join(installed, 'node_modules/vscode'), { recursive: true });
    copyFileSync(STAND_IN, join(installed, 'node_modules/vscode/index.js'));
    copyFileSync(PROBE, join(installed, 'probe.cjs'));
    const main = (JSON.parse(vsix.get('extension/package.json')!.toString('utf8')) as { main: string }).main;

    const document = join(dir, 'typo.hrn');
    writeFileSync(document, readFileSync(join(ROOT, 'examples/resnet18.hrn'), 'utf8').replace('block   basic', 'block   basci'));
    const cli = await hrn('check', document);
    const [, line, col, message] = /:(\d+):(\d+): error: (.*)$/.exec(cli.err.split('\n')[0])!;

    const { stdout } = await run(process.execPath, [join(installed, 'probe.cjs'), join(installed, 'extension', main), document], {
      cwd: installed,
      env: { ...process.env, HRN_TEST_SETTINGS: JSON.stringify(SERVER) },
      timeout: 60_000,
    });
    expect(JSON.parse(stdout)).toEqual({ diagnostics: [{ line: Number(line) - 1, character: Number(col) - 1, message }], shown: [] });
  });

  it('writes to a .vsix path the user names, and says in one line when it cannot', async () => {
    const named = join(dir, 'named', 'mine.vsix');
    expect((await pack('--out', named)).stdout.trim()).toBe(named);
    expect(zipEntries(readFileSync(named)).has('extension.vsixmanifest')).toBe(true);
    // npm runs the script in the repository's root and says in INIT_CWD where it was run from.
    const fromElsewhere = await run(process.execPath, [PACK, '--out', 'relative'], { cwd: ROOT, env: { ...process.env, INIT_CWD: dir } });
    expect(fromElsewhere.stdout.trim()).toBe(join(dir, 'relative', `hrn-${version}.vsix`));
    const file = join(dir, 'a-file');
    writeFileSync(file, 'keep me');
    const failed = await pack('--out', file).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^package:vscode: error: .*a-file/)]);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });
}, 180_000);
