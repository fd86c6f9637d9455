// `hrn train` as a user runs it, in a real process: train.jsonl must hold the same records whether
// the output goes to pipes or to a terminal (a pseudo-terminal from util-linux `script`), the
// terminal run must really have drawn the progress bar, metrics.csv gets one row per epoch, and
// Dawn's two known warnings are filtered from stderr.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TINY_SOURCE, writeTinyMnist } from './tiny-mnist.js';
import { readJsonl } from '../src/train/log.js';
import { METRICS_COLUMNS } from '../src/train/metrics-csv.js';

const N = 48;


const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Records without their clock readings (time, durations, speeds), and losses reduced to "a finite number". */
function shape(path: string): unknown[] {
  return readJsonl(path).map(({ time: _t, seconds: _s, imagesPerSecond: _i, trainSeconds: _ts, ...r }) => ({
    ...r,
    loss: typeof r.loss === 'number' && Number.isFinite(r.loss) ? 'finite' : r.loss,
  }));
}

describe('hrn train output', () => {
  // Two real training processes; the first compiles the kernels on a cold shader cache.
  it('train.jsonl holds the same records under a non-TTY and a pseudo-TTY; metrics.csv per epoch', { timeout: 900_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrn-train-tty-'));
    writeTinyMnist(dir, N);
    const net = join(dir, 'tiny.hrn');
    writeFileSync(net, TINY_SOURCE);
    const args = (out: string) => ['--import', 'tsx', 'src/cli/run.ts', 'train', net, '--data', `mnist:${dir}`, '--batch', '16', '--epochs', '2', '--log-every', '1', '--no-augment', '--out', out];

    const command = (out: string) => [process.execPath, ...args(out)].map(quote).join(' ');
    // Through a shell pipe, as `hrn train ... | tee log` (Node's own spawn pipes are sockets).
    const piped = spawnSync('bash', ['-c', `set -o pipefail; ${command(join(dir, 'piped'))} 2>&1 | cat`], { encoding: 'utf8' });
    expect(piped.status, piped.stdout).toBe(0);
    expect(piped.stdout).not.toContain('artificially reduced');

    const tty = spawnSync('script', ['-qec', command(join(dir, 'tty')), '/dev/null'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '120' } });
    expect(tty.status, tty.stdout).toBe(0);
    expect(tty.stdout).not.toContain('artificially reduced');
    // cli-progress only draws on a terminal: its bar proves the run saw one.
    expect(tty.stdout).toMatch(/epoch 1\/2 \[[░█]+\]/);
    expect(piped.stdout).not.toMatch(/\[[░█]+\]/);

    const records = shape(join(dir, 'piped', 'train.jsonl'));
    expect(records.filter((r) => (r as { event: string }).event === 'step')).toHaveLength(2 * Math.floor(N / 16));
    expect(shape(join(dir, 'tty', 'train.jsonl'))).toEqual(records);

    const csv = readFileSync(join(dir, 'piped', 'metrics.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe(METRICS_COLUMNS.join(','));
    expect(csv.slice(1).map((row) => row.split(',')[0])).toEqual(['1', '2']);
  });
});
