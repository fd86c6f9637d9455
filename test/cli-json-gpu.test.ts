// The device commands' --json and progress, on a tiny data set: `hrn train --json` as a real process
// (through the supervisor) prints one document whose speed is the one its epoch lines show, a
// failure prints the error document, `hrn sweep --json` reports what it trained, and `hrn infer`
// reports its progress over the images.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ImageProgress } from '../src/cli/image-progress.js';
import { validateJson } from './json-schema.js';
import { hrnInProcess as hrn } from './sweep-fixtures.js';
import { runHrn } from './hostile/bounded.js';
import { TINY_SOURCE, writeTinyMnist } from './tiny-mnist.js';

const N = 48;
const root = mkdtempSync(join(tmpdir(), 'hrn-json-gpu-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
writeTinyMnist(root, N);
const net = join(root, 'tiny.hrn');
writeFileSync(net, TINY_SOURCE);
const data = `mnist:${root}`;

function hrnProcess(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
}

describe('hrn train --json', () => {
  it("prints the run's summary as one document; the epoch line, the summary line and the document give the same images/s", { timeout: 300_000 }, () => {
    const out = join(root, 'run');
    const r = hrnProcess('train', net, '--data', data, '--batch', '16', '--epochs', '1', '--no-augment', '--out', out, '--json');
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(validateJson('train', doc)).toEqual([]);
    expect([doc.network, doc.out, doc.epochs, doc.steps, doc.interrupted]).toEqual(['Tiny', out, 1, Math.floor(N / 16), false]);
    expect(doc.testAccuracy).toBe(doc.history[0].testAccuracy);
    // Everything else went to stderr.
    expect(r.stderr).toContain('device: ');
    const rate = String(Math.round(doc.imagesPerSecond));
    const epochLine = r.stderr.split('\n').find((l) => l.startsWith('epoch 1/1'));
    expect(epochLine).toMatch(new RegExp(`  ${rate} img/s  `));
    expect(r.stderr).toContain(`, ${rate} images/s training`);

    // Its checkpoint, read back by infer: progress over the images on stderr (lines, not a terminal).
    return inferProgress(out);
  });

  async function inferProgress(weights: string) {
    const r = await hrn('infer', '--weights', weights, '--data', data, '--batch', '8');
    expect(r.code, r.err).toBe(0);
    const lines = r.err.split('\n').filter((l) => l.startsWith('infer: '));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.at(-1)).toMatch(new RegExp(`^infer: ${N}/${N} images \\(100%\\)`));
  }

  it('a failure under --json prints the error document on stdout, the message on stderr, exit 1', { timeout: 120_000 }, () => {
    const r = hrnProcess('train', net, '--data', `mnist:${join(root, 'nowhere')}`, '--epochs', '1', '--out', join(root, 'no-run'), '--json');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^hrn train: error: /m);
    const doc = JSON.parse(r.stdout);
    expect(validateJson('error', doc)).toEqual([]);
    expect([doc.command, doc.error.exitCode]).toEqual(['train', 1]);
    expect(r.stderr).toContain(doc.error.message);
  });
});

describe('a device command killed by a signal under --json', () => {
  it('the supervisor prints the error document the child could not, with the status a shell gives', { timeout: 300_000 }, async () => {
    let killed = false;
    let seen = '';
    const r = await runHrn(['train', net, '--data', data, '--batch', '16', '--epochs', '1000', '--no-augment', '--out', join(root, 'killed'), '--json'], {
      timeoutMs: 120_000,
      onStderr: (chunk, pid) => {
        seen += chunk;
        // Once training has begun: the child is the supervisor's only one.
        if (killed || !seen.includes('epoch 1/1000')) return;
        const child = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
        if (child === '') return;
        killed = true;
        process.kill(Number(child), 'SIGKILL');
      },
    });
    expect(r.timedOut).toBe(false);
    expect(r.ms).toBeLessThan(100_000);
    expect(r.code).toBe(128 + 9);
    expect(r.stderr).toContain('hrn train: error: the process was killed by SIGKILL');
    const doc = JSON.parse(r.stdout);
    expect(validateJson('error', doc)).toEqual([]);
    expect([doc.command, doc.error.exitCode]).toEqual(['train', 128 + 9]);
    expect(doc.error.message).toMatch(/^the process was killed by SIGKILL/);
  });
});

describe('hrn sweep --json', () => {
  it('after training: the runs, the runs directory and what became of them', { timeout: 300_000 }, async () => {
    const runs = join(root, 'runs');
    const r = await hrn('sweep', net, '--data', data, '--epochs', '1', '--batch', '16', '--no-augment', '--out', runs, '--json');
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out);
    expect(validateJson('sweep', doc)).toEqual([]);
    expect([doc.dryRun, doc.dir, doc.runs.length, doc.outcome]).toEqual([false, runs, 1, { done: 1, skipped: 0, failed: 0, interrupted: false }]);
    expect(r.err).toContain('done: 1 trained');
  });
});

describe('infer progress on a terminal', () => {
  it('draws a bar (cleared at the end) instead of lines', () => {
    let written = '';
    const stream = { isTTY: true, columns: 100, write: (s: string) => ((written += s), true) };
    const p = new ImageProgress(stream, { label: 'infer', total: 100 });
    for (let i = 10; i <= 100; i += 10) p.update(i);
    p.stop();
    expect(written).toMatch(/infer \[[░█]+\] \d+\/100 images/);
    expect(written).not.toMatch(/^infer: /m);
  });
});
