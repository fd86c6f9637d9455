// `hrn stats --he-measured FILE` given a file that never ends: a named pipe no one writes to must
// not hang the command, and /dev/zero must not be read into memory. A real process, under a bound.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runHrn } from './bounded.js';

const root = mkdtempSync(join(tmpdir(), 'hrn-hostile-he-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('stats --he-measured on what never ends', () => {
  it.each([
    ['a named pipe', () => {
      const fifo = join(root, 'constants.json');
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
      return fifo;
    }],
    ['/dev/zero (only read)', () => '/dev/zero'],
  ])('%s: refused before reading, one line, exit 1', async (_, make) => {
    const path = make();
    const r = await runHrn(['stats', 'examples/hrn-2x5x3x.hrn', '--he-measured', path], { timeoutMs: 30_000 });
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd()).toBe(`hrn stats: error: ${path}: not a regular file, expected the JSON that bench/he-primitives.ts writes`);
    expect(r.ms).toBeLessThan(30_000);
    expect(r.peakMiB).toBeLessThan(1024);
  });
});
