import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hrn } from './run-cli.js';
import { loadAllCommands, main } from '../src/cli/main.js';


function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hrn-cli-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('hrn stats', () => {
  it('prints the ResNet18 split 327,680 / 131,072 / 65,536 / 32,768 with FLOPs and GC cost', async () => {
    const r = await hrn('stats', 'examples/resnet18.hrn');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/S1\s+327,680/);
    expect(r.out).toMatch(/S2\s+131,072/);
    expect(r.out).toMatch(/S3\s+65,536/);
    expect(r.out).toMatch(/S4\s+32,768/);
    expect(r.out).toMatch(/total\s+557,056/);
    expect(r.out).toContain('FLOPs count multiply-accumulates');
    expect(r.out).toContain('client storage');
    expect(r.out).toMatch(/HE latency +[\d.]+ s/);
    expect(r.out).toMatch(/total latency +[\d.]+ s +\(HE \+ GC\)/);
  });

  it('--json has network, relus.total, relus.stages, flops and params', async () => {
    const r = await hrn('stats', 'examples/resnet18.hrn', '--json');
    const j = JSON.parse(r.out).networks[0];
    expect(j.network).toBe('ResNet18');
    expect(j.relus.total).toBe(557_056);
    expect(j.relus.stages).toEqual({ S1: 327_680, S2: 131_072, S3: 65_536, S4: 32_768 });
    expect(j.flops.total).toBeGreaterThan(550e6);
    expect(j.params.total).toBeGreaterThan(11e6);
    expect(j.piCost.clientStorageBytes).toBe(557_056 * 18_248);
    // Both parts of the PI latency: HE for the linear layers, GC for the ReLUs (docs/pi-cost.md).
    expect(j.piCost.he.rotations).toBeGreaterThan(0);
    expect(j.piCost.totalLatencySeconds).toBeCloseTo(j.piCost.heLatencySeconds + j.piCost.gcLatencySeconds, 6);
    // Table 7: ResNet18 on CIFAR-100 has 268 s of HE.
    expect(Math.abs(j.piCost.heLatencySeconds - 268) / 268).toBeLessThan(0.25);
  });

  it('--set overrides params, lists included', async () => {
    const r = await hrn('stats', 'examples/resnet18.hrn', '--set', 'm=16', '--set', 'widths=[5,5,3]', '--json');
    expect(JSON.parse(r.out).networks[0].relus.total).toBe(343_040);
  });

  it('reports 13,056 ReLUs for HRN-2x5x3x culled, thinned and with ReLU-reuse 4', async () => {
    const r = await hrn('stats', 'examples/hrn-2x5x3x.hrn', '--pipeline', 'cull S1; thin S2 S3 S4; reuse 4', '--json');
    expect(r.err).toBe('');
    expect(JSON.parse(r.out).networks[0].relus.total).toBe(13_056);
  });
});

describe('hrn errors', () => {
  it('a malformed file gets file:line:col, the source line, a caret, and exit 1', async () => {
    const path = tempFile('bad.hrn', 'network X {\n  input 3x32x\n}\n');
    const r = await hrn('check', path);
    expect(r.code).toBe(1);
    const lines = r.err.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:\\d+: error: `));
    expect(lines[1]).toBe('    input 3x32x');
    expect(lines[2]).toMatch(/^\s+\^/);
  });

  it('a bad --pipeline step points into the pipeline text', async () => {
    const r = await hrn('stats', 'examples/hrn-2x5x3x.hrn', '--pipeline', 'cull S9');
    expect(r.code).toBe(1);
    expect(r.err).toContain("<--pipeline>:1:6: error: cull: no stage 'S9'");
  });

  it('usage errors exit 2; a missing file exits 1', async () => {
    expect((await hrn('stats', '--frob')).code).toBe(2);
    expect((await hrn('frob')).code).toBe(2);
    const missing = await hrn('stats', 'no/such.hrn');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('no/such.hrn: no such file');
  });

  it('every command has --help', async () => {
    for (const cmd of ['check', 'stats', 'equalize']) {
      const r = await hrn(cmd, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toContain(`usage: hrn ${cmd}`);
    }
  });

  it('the real process prints no stack trace for a user error', () => {
    const path = tempFile('bad.hrn', 'network {');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', 'check', path], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('error:');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('hrn equalize', () => {
  it('lists the four HRNs of ResNet18', async () => {
    const r = await hrn('equalize', 'examples/resnet18.hrn');
    for (const name of ['HRN-5x5x3x', 'HRN-5x7x2x', 'HRN-6x6x2x', 'HRN-7x5x2x']) expect(r.out).toContain(name);
  });

  it('--emit hrn writes sources that hrn reads back to the same counts', async () => {
    const r = await hrn('equalize', 'examples/resnet18.hrn', '--set', 'm=16', '--emit', 'hrn');
    const path = tempFile('family.hrn', r.out);
    const back = JSON.parse((await hrn('stats', path, '--network', 'HRN-5x5x3x', '--json')).out).networks[0];
    expect(back.relus.total).toBe(343_040);
  });
});


describe('hrn --help', () => {
  it('lists every command, and each name loads the command of that name (the modules load lazily)', async () => {
    let out = '';
    expect(await main(['--help'], { out: (t) => void (out += t), err: () => undefined })).toBe(0);
    const commands = await loadAllCommands();
    expect(commands.length).toBeGreaterThan(5);
    const listed = [...out.matchAll(/^  ([a-z]+) {2,}/gm)].map((m) => m[1]);
    expect(listed).toEqual(commands.map((c) => c.spec.name));
    for (const c of commands) expect(out).toContain(`${c.spec.summary}\n`);
  });
});
