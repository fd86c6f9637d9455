// `hrn stats --he-measured FILE`: a network costed with HE constants measured by
// bench/he-primitives.ts (the file it writes with --out), in the text and in --json, and the files
// it refuses. The constants here are made up; what is measured belongs to bench/.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hrn } from './run-cli.js';
import { validateJson } from './json-schema.js';

const root = mkdtempSync(join(tmpdir(), 'hrn-he-measured-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
/** `text` in a new file of a new temporary directory. */
function file(text: string, name = 'he.json'): string {
  const dir = join(root, `t${n++}`);
  mkdirSync(dir);
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const MEASURED = { secondsPerMultiplication: 0.004, secondsPerRotation: 0.005, setting: 'a test machine', rounds: 5 };
const NET = 'examples/hrn-2x5x3x.hrn';

describe('stats --he-measured', () => {
  it('text: the HE latency from the measured constants, and a line saying which were used', async () => {
    const path = file(JSON.stringify(MEASURED));
    const fitted = JSON.parse((await hrn('stats', NET, '--json')).out).networks[0].piCost;
    const r = await hrn('stats', NET, '--he-measured', path);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const he = fitted.he.multiplications * 0.004 + fitted.he.rotations * 0.005;
    expect(r.out).toMatch(new RegExp(`HE latency +${he.toFixed(1)} s +\\(`));
    expect(r.out).toMatch(new RegExp(`total latency +${(he + fitted.gcLatencySeconds).toFixed(1)} s +\\(HE \\+ GC\\)`));
    expect(r.out).toContain(`HE constants    4.000 ms per multiplication, 5.000 ms per rotation (measured, ${path}: a test machine)`);
    const plain = await hrn('stats', NET);
    expect(plain.out).toContain("HE constants    2.469 ms per multiplication, 12.372 ms per rotation (fitted to the paper's Tables 7 and 8)");
  });

  it('--json: the constants under piCost.he.constants, the latencies from them, valid against stats.schema.json', async () => {
    const path = file(JSON.stringify(MEASURED));
    const fitted = JSON.parse((await hrn('stats', NET, '--json')).out);
    const r = await hrn('stats', NET, '--he-measured', path, '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(validateJson('stats', doc)).toEqual([]);
    const pi = doc.networks[0].piCost;
    const was = fitted.networks[0].piCost;
    expect(pi.he.constants).toEqual({ secondsPerMultiplication: 0.004, secondsPerRotation: 0.005, source: 'measured', file: path, setting: 'a test machine' });
    expect(was.he.constants.source).toBe('fitted');
    expect([pi.he.multiplications, pi.he.rotations, pi.gcLatencySeconds]).toEqual([was.he.multiplications, was.he.rotations, was.gcLatencySeconds]);
    expect(pi.he.latencySeconds).toBeCloseTo(pi.he.multiplications * 0.004 + pi.he.rotations * 0.005, 6);
    expect(pi.heLatencySeconds).toBe(pi.he.latencySeconds);
    expect(pi.totalLatencySeconds).toBeCloseTo(pi.he.latencySeconds + pi.gcLatencySeconds, 6);
  });

  it('an ONNX model is costed with them too', async () => {
    const path = file(JSON.stringify(MEASURED));
    const model = join(root, `m${n++}.onnx`);
    expect((await hrn('export', NET, '--set', 'm=4', '--random-weights', '-o', model)).code).toBe(0);
    const doc = JSON.parse((await hrn('stats', model, '--he-measured', path, '--json')).out);
    expect(validateJson('stats', doc)).toEqual([]);
    const he = doc.networks[0].piCost.he;
    expect(he.constants.source).toBe('measured');
    expect(he.latencySeconds).toBeCloseTo(he.multiplications * 0.004 + he.rotations * 0.005, 6);
  });

  it('the schema: measured constants name their file; fitted ones name none; the constants are required', async () => {
    const doc = JSON.parse((await hrn('stats', NET, '--he-measured', file(JSON.stringify(MEASURED)), '--json')).out);
    const withConstants = (c: unknown) => {
      const net = doc.networks[0];
      return { ...doc, networks: [{ ...net, piCost: { ...net.piCost, he: { ...net.piCost.he, constants: c } } }] };
    };
    const c = doc.networks[0].piCost.he.constants;
    const { file: _, ...noFile } = c;
    expect(validateJson('stats', withConstants(noFile))).not.toEqual([]);
    expect(validateJson('stats', withConstants({ ...c, source: 'fitted' }))).not.toEqual([]);
    expect(validateJson('stats', withConstants({ ...c, secondsPerRotation: 0 }))).not.toEqual([]);
    const { constants: __, ...heWithout } = doc.networks[0].piCost.he;
    const net = doc.networks[0];
    expect(validateJson('stats', { ...doc, networks: [{ ...net, piCost: { ...net.piCost, he: heWithout } }] })).not.toEqual([]);
  });
});

describe('stats --he-measured refuses what the bench did not write', () => {
  const cases: [string, () => string, RegExp][] = [
    ['a missing file', () => join(root, 'no-such.json'), /: no such file$/],
    ['a directory', () => root, /: not a regular file, expected the JSON that bench\/he-primitives\.ts writes$/],
    ['not JSON', () => file('secondsPerMultiplication=0.004\n'), /: not JSON; expected the object bench\/he-primitives\.ts writes/],
    ['a constant missing', () => file('{"secondsPerRotation": 0.005}'), /: 'secondsPerMultiplication' must be a positive number of seconds, got nothing$/],
    ['a negative constant', () => file('{"secondsPerMultiplication": 0.004, "secondsPerRotation": -0.005}'), /: 'secondsPerRotation' must be a positive number of seconds, got -0\.005$/],
    ['too large a file', () => file(`{"pad": "${'x'.repeat(2 << 20)}"}`), /: \d+ bytes, too large for the constants bench\/he-primitives\.ts writes$/],
  ];
  it.each(cases)('%s: one line, hrn stats: error: FILE: ..., exit 1, nothing on stdout', async (_, make, message) => {
    const path = make();
    const r = await hrn('stats', NET, '--he-measured', path);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    const line = r.err.trimEnd();
    expect(line.split('\n')).toHaveLength(1);
    expect(line.startsWith(`hrn stats: error: ${path}: `)).toBe(true);
    expect(line).toMatch(message);
  });

  it('with --json: an error document, exit 1', async () => {
    const path = join(root, 'absent.json');
    const r = await hrn('stats', NET, '--he-measured', path, '--json');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out);
    expect(validateJson('error', doc)).toEqual([]);
    expect(doc.error).toEqual({ message: `${path}: no such file`, exitCode: 1 });
  });

  it('without a value: a usage error', async () => {
    const r = await hrn('stats', NET, '--he-measured');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^hrn stats: error: option '--he-measured <value>' argument missing/i);
  });
});
