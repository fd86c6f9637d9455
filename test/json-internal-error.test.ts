// A bug in hrn under --json: main() still prints the error document (exit 70 in it) before the
// error goes on to run.ts's internal-error report. check is replaced by a command that fails as a
// bug would, since no input makes the real commands do so.

import { describe, expect, it, vi } from 'vitest';
import { validateJson } from './json-schema.js';

vi.mock('../src/cli/commands/check.js', async (original) => {
  const real = (await original()) as typeof import('../src/cli/commands/check.js');
  return { check: { spec: real.check.spec, run: () => Promise.reject(new TypeError('x is undefined')) } };
});

const { main } = await import('../src/cli/main.js');

describe('an internal error under --json', () => {
  it('prints the error document with exit code 70, and is rethrown for the internal-error report', async () => {
    let out = '';
    const io = { out: (t: string) => void (out += t), err: () => undefined };
    await expect(main(['check', 'examples/hrn-2x5x3x.hrn', '--json'], io)).rejects.toThrow('x is undefined');
    const doc = JSON.parse(out);
    expect(validateJson('error', doc)).toEqual([]);
    expect(doc).toEqual({ schemaVersion: 1, command: 'check', error: { message: 'x is undefined', exitCode: 70 } });
    // Without --json, nothing on stdout.
    out = '';
    await expect(main(['check', 'examples/hrn-2x5x3x.hrn'], io)).rejects.toThrow('x is undefined');
    expect(out).toBe('');
  });
});
