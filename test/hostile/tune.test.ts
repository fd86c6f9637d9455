// hrn tune as a user runs it: under the supervisor (Dawn's warnings filtered), stopped by Ctrl-C
// with the winners found so far cached, and a cache directory it cannot write refused in one line.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runHrn } from './bounded.js';
import { TUNE_SOURCE as SOURCE } from '../tune-fixtures.js';


const root = mkdtempSync(join(tmpdir(), 'hrn-hostile-tune-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const file = join(root, 'tiny.hrn');
writeFileSync(file, SOURCE);

describe('hrn tune', () => {
  it('Ctrl-C stops after the candidate under way, caches the winners so far and exits 130', { timeout: 240_000 }, async () => {
    const cache = join(root, 'cache-int');
    let sent = false;
    const r = await runHrn(['tune', file, '--batch', '2', '--budget', '600', '--reps', '1', '--json'], {
      timeoutMs: 200_000,
      env: { HRN_CACHE_DIR: cache },
      onStderr: (chunk, pid) => {
        // The search is under way once its progress has been reported (a line per tenth off a terminal).
        if (!sent && /tuning Tiny: \d+\/\d+ candidates/.test(chunk)) {
          sent = true;
          process.kill(pid, 'SIGINT');
        }
      },
    });
    expect(sent, r.stderr).toBe(true);
    expect(r.timedOut).toBe(false);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain('SIGINT: stopping after this candidate and caching the winners found so far');
    // The supervisor kept Dawn's adapter warnings away from the user.
    expect(r.stderr).not.toContain('maxDynamicUniformBuffersPerPipelineLayout');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const doc = JSON.parse(r.stdout);
    expect(doc.interrupted).toBe(true);
    expect(doc.written).toBeGreaterThan(0);
    expect(existsSync(doc.cache)).toBe(true);
    expect(Object.keys(JSON.parse(readFileSync(doc.cache, 'utf8')).entries)).toHaveLength(doc.written);
    // Long before the budget: the signal ended the search.
    expect(r.ms).toBeLessThan(150_000);
    expect(r.peakMiB).toBeLessThan(1536);
  });

  it('a cache directory that cannot be written is one error line, exit 1', { timeout: 120_000 }, async () => {
    const blocker = join(root, 'blocker');
    mkdirSync(root, { recursive: true });
    writeFileSync(blocker, 'a file where the cache directory should be');
    const r = await runHrn(['tune', file, '--batch', '2', '--budget', '2', '--reps', '1'], { timeoutMs: 100_000, env: { HRN_CACHE_DIR: join(blocker, 'hrn') } });
    expect(r.timedOut).toBe(false);
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('hrn tune'));
    expect(lines).toEqual([expect.stringMatching(/^hrn tune: error: cannot write the tuning cache in .*blocker\/hrn: ENOTDIR$/)]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(blocker, 'utf8')).toBe('a file where the cache directory should be');
  });
});
