// Nothing a user made is destroyed: `export -o` never replaces a device, pipe, directory or
// symbolic link and replaces a regular file only with --force; `train --out` neither trains into a
// directory of the user's without --force nor ever appends to a file hrn did not write; two
// trainings never share one --out (a lock naming the holder's pid, taken over once that process
// is gone); and the test suite itself writes nothing into docs/.

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { METRICS_COLUMNS } from '../../src/train/metrics-csv.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { lockRunDir } from '../../src/train/run-dir.js';
import { TINY_SOURCE, writeTinyMnist } from '../tiny-mnist.js';
import { TINY_HRN, writeTinyFashion } from '../sweep-fixtures.js';
import { runHrn, type BoundedRun } from './bounded.js';

const root = mkdtempSync(join(tmpdir(), 'hrn-hostile-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const tempDir = () => {
  const d = join(root, `t${n++}`);
  mkdirSync(d);
  return d;
};

async function hrn(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`) });
  return { code, out, err };
}

/** A tiny network file and a 48-image MNIST-format data set in a new temporary directory. */
function tinySetup(): { dir: string; net: string; data: string } {
  const dir = tempDir();
  writeTinyMnist(dir, 48);
  const net = join(dir, 'tiny.hrn');
  writeFileSync(net, TINY_SOURCE);
  return { dir, net, data: `mnist:${dir}` };
}

const trainArgs = (s: { net: string; data: string }, out: string, ...more: string[]) => ['train', s.net, '--data', s.data, '--batch', '16', '--no-augment', '--out', out, ...more];

/** One line, `hrn train: error: ...`, exit 1, and a generous bound on time and memory. */
function expectOneLineError(r: BoundedRun, re: RegExp): void {
  expect(r.timedOut, r.stderr).toBe(false);
  expect(r.code, r.stdout + r.stderr).toBe(1);
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(/^hrn train: error: /);
  expect(r.stderr).toMatch(re);
}

describe('export -o', () => {
  it('never replaces a FIFO, a directory or a symbolic link, not even with --force', async () => {
    const dir = tempDir();
    const net = join(dir, 'tiny.hrn');
    writeFileSync(net, TINY_SOURCE);
    const fifo = join(dir, 'device-like');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const sub = join(dir, 'a-directory');
    mkdirSync(sub);
    const target = join(dir, 'precious.txt');
    writeFileSync(target, 'mine\n');
    const link = join(dir, 'link.onnx');
    symlinkSync(target, link);
    const cases: [string, RegExp][] = [
      [fifo, /is a named pipe \(FIFO\), not a regular file/],
      [sub, /is a directory, not a regular file/],
      [link, /is a symbolic link, not a regular file/],
    ];
    for (const [out, why] of cases) {
      for (const force of [[], ['--force']]) {
        const r = await hrn('export', net, '--random-weights', '-o', out, ...force);
        expect(r.code, `${out} ${force}`).toBe(1);
        expect(r.err.trim().split('\n')).toHaveLength(1);
        expect(r.err).toMatch(/^hrn export: error: /);
        expect(r.err).toMatch(why);
        expect(r.out).toBe('');
      }
    }
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(lstatSync(sub).isDirectory()).toBe(true);
    expect(readdirSync(sub)).toEqual([]);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(target);
    expect(readFileSync(target, 'utf8')).toBe('mine\n');
    // No temporary file left behind either.
    expect(readdirSync(dir).sort()).toEqual(['a-directory', 'device-like', 'link.onnx', 'precious.txt', 'tiny.hrn']);
  });

  it('an existing file, even a read-only one, is replaced only with --force, atomically', async () => {
    const dir = tempDir();
    const net = join(dir, 'tiny.hrn');
    writeFileSync(net, TINY_SOURCE);
    const out = join(dir, 'model.onnx');
    writeFileSync(out, 'my notes, not a model\n');
    chmodSync(out, 0o444);
    const refused = await hrn('export', net, '--random-weights', '-o', out);
    expect(refused.code).toBe(1);
    expect(refused.err).toBe(`hrn export: error: ${out}: already exists; use --force to replace it, or choose another output file\n`);
    expect(readFileSync(out, 'utf8')).toBe('my notes, not a model\n');

    const forced = await hrn('export', net, '--random-weights', '-o', out, '--force');
    expect(forced.code, forced.err).toBe(0);
    const bytes = readFileSync(out);
    expect(forced.out).toContain(`${bytes.length.toLocaleString('en-US')} bytes`);
    expect(bytes.toString('latin1')).toContain('hrn');
    expect(readdirSync(dir).sort()).toEqual(['model.onnx', 'tiny.hrn']);

    // A new file needs no --force.
    const fresh = await hrn('export', net, '--random-weights', '-o', join(dir, 'new.onnx'));
    expect(fresh.code, fresh.err).toBe(0);
  });
});

describe('train --out', () => {
  it("is not trained into when it is the user's directory, and never appends to a metrics.csv hrn did not write", { timeout: 300_000 }, async () => {
    const s = tinySetup();
    const out = join(s.dir, 'mine');
    mkdirSync(out);
    const csv = 'when,what\n2024-01-01,my own numbers\n';
    writeFileSync(join(out, 'metrics.csv'), csv);
    writeFileSync(join(out, 'notes.txt'), 'keep me\n');

    for (const flags of [[], ['--force'], ['--resume']]) {
      const r = await runHrn([...trainArgs(s, out, '--epochs', '1'), ...flags], { timeoutMs: 120_000 });
      expectOneLineError(r, /metrics\.csv does not start with hrn's header, so hrn did not write it; hrn train never appends to or replaces a file of yours, not even with --force/);
      expect(r.ms).toBeLessThan(60_000);
      expect(r.peakMiB).toBeLessThan(1024);
      expect(readFileSync(join(out, 'metrics.csv'), 'utf8')).toBe(csv);
    }

    // Without the metrics file, the directory is still the user's: --force is needed to train into it.
    renameSync(join(out, 'metrics.csv'), join(s.dir, 'moved.csv'));
    const plain = await runHrn(trainArgs(s, out, '--epochs', '1'), { timeoutMs: 120_000 });
    expectOneLineError(plain, /is not an hrn run directory \(it holds notes\.txt\); choose a new or empty directory, or use --force/);
    expect(readdirSync(out)).toEqual(['notes.txt']);

    const forced = await runHrn(trainArgs(s, out, '--epochs', '1', '--force'), { timeoutMs: 240_000 });
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('keep me\n');
    const rows = readFileSync(join(out, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(rows[0]).toBe(METRICS_COLUMNS.join(','));
    expect(rows).toHaveLength(2);
    expect(existsSync(join(out, 'train.lock'))).toBe(false);
  });

  it('two trainings on one --out: the second is refused naming the first one\'s pid; a lock left by a killed run is taken over', { timeout: 600_000 }, async () => {
    const s = tinySetup();
    const out = join(s.dir, 'run');
    const lockFile = join(out, 'train.lock');
    let holder: number | undefined;
    let firstPid = 0;
    let second: Promise<BoundedRun> | undefined;
    // The first run trains for far longer than the test lasts; it is killed below.
    const first = runHrn(trainArgs(s, out, '--epochs', '5000'), {
      timeoutMs: 400_000,
      started: (pid) => (firstPid = pid),
      onStderr: () => {
        // Once it has trained an epoch, start the second into the same directory.
        if (second || !existsSync(join(out, 'checkpoint'))) return;
        if (existsSync(lockFile)) holder = (JSON.parse(readFileSync(lockFile, 'utf8')) as { pid: number }).pid;
        second = runHrn(trainArgs(s, out, '--epochs', '1', '--force'), { timeoutMs: 120_000 });
      },
    });
    try {
      const waitSecond = async () => {
        for (let i = 0; i < 3000 && !second; i++) await new Promise((r) => setTimeout(r, 100));
        return second!;
      };
      const refused = await Promise.race([waitSecond(), first.then((r) => Promise.reject(new Error(`the first run ended early: ${r.code} ${r.stderr}`)))]);
      expectOneLineError(refused, /is in use by hrn train \(pid \d+/);
      expect(holder, 'the first run holds a lock file naming its pid').toBeDefined();
      expect(refused.stderr).toMatch(new RegExp(`is in use by hrn train \\(pid ${holder}, since [^)]+\\): wait for it to finish, or stop it \\(kill ${holder}\\)`));
      expect(refused.ms).toBeLessThan(60_000);

      // The first run dies without releasing its lock.
      process.kill(holder!, 'SIGKILL');
      const killed = await first;
      expect(killed.timedOut).toBe(false);
      expect(existsSync(lockFile)).toBe(true);
    } finally {
      // Whatever failed above, the long run does not outlive the test.
      try {
        process.kill(-firstPid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    const before = loadCheckpoint(join(out, 'checkpoint')).state.epoch;
    expect(before).toBeGreaterThanOrEqual(1);

    const third = await runHrn(trainArgs(s, out, '--resume', '--epochs', String(before + 1)), { timeoutMs: 240_000 });
    expect(third.code, third.stdout + third.stderr).toBe(0);
    expect(third.stdout).toContain(`${resolve(out)}: took over the lock of pid ${holder} (hrn train, since `);
    expect(third.stdout).toContain('which is no longer running');
    expect(loadCheckpoint(join(out, 'checkpoint')).state.epoch).toBe(before + 1);
    expect(existsSync(lockFile)).toBe(false);
  });
});

describe('a sweep', () => {
  it('does not train a run whose directory another training holds, and records no error for it', { timeout: 300_000 }, async () => {
    const dir = tempDir();
    const data = writeTinyFashion(join(dir, 'fm'));
    const file = join(dir, 'tiny.hrn');
    writeFileSync(file, TINY_HRN);
    const runs = join(dir, 'runs');
    const args = ['sweep', file, '--grid', 'k=10', '--data', data, '--epochs', '1', '--batch', '10', '--lr', '0.05', '--out', runs];
    const planned = await hrn(...args, '--dry-run', '--json');
    expect(planned.code, planned.err).toBe(0);
    const [{ id }] = JSON.parse(planned.out) as { id: string }[];
    const runDir = join(runs, id);
    mkdirSync(runDir, { recursive: true });
    // This test process stands for a training that holds the run.
    const lock = lockRunDir(runDir);
    try {
      const busy = await runHrn(args, { timeoutMs: 120_000 });
      expect(busy.code, busy.stdout + busy.stderr).toBe(1);
      expect(busy.stderr).toContain(`is in use by hrn train (pid ${process.pid}, since `);
      expect(busy.stdout).toContain('0 trained, 0 already finished, 1 failed, of 1');
      expect(readdirSync(runDir).sort()).toEqual(['run.json', 'train.lock']);
    } finally {
      lock.release();
    }
    const free = await runHrn(args, { timeoutMs: 240_000 });
    expect(free.code, free.stdout + free.stderr).toBe(0);
    expect(existsSync(join(runDir, 'result.json'))).toBe(true);
    expect(existsSync(join(runDir, 'train.lock'))).toBe(false);
  });
});

describe('the test suite writes nothing into the repository', () => {
  it('the playground test screenshots into its temporary directory unless asked to refresh docs/playground.png', () => {
    const rootDir = resolve(import.meta.dirname, '../..');
    const text = readFileSync(join(rootDir, 'test/playground.test.ts'), 'utf8');
    // No path into docs/ as a literal: only the environment variable can send it there.
    expect(text).not.toMatch(/['"`]docs\//);
    expect(text).toMatch(/screenshot\(\{ path: SCREENSHOT \}\)/);
    expect(text).toMatch(/const SCREENSHOT = process\.env\.HRN_PLAYGROUND_SCREENSHOT \|\| join\(dir, 'playground\.png'\)/);
    expect(text).toMatch(/const dir = mkdtempSync\(/);
    const scripts = (JSON.parse(readFileSync(join(rootDir, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['screenshot:playground']).toBe('HRN_PLAYGROUND_SCREENSHOT=docs/playground.png vitest run test/playground.test.ts');
  });
  it('a training refused before it writes anything leaves no directory it made behind', async () => {
    const dir = tempDir();
    writeTinyMnist(dir, 32);
    writeFileSync(join(dir, 'tiny.hrn'), TINY_SOURCE);
    const out = join(dir, 'new', 'deeper', 'run');
    const r = await hrn('train', join(dir, 'tiny.hrn'), '--data', `mnist:${join(dir, 'nowhere')}`, '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toContain('nowhere');
    expect(existsSync(join(dir, 'new'))).toBe(false);
    // A directory that was there before stays, empty or not.
    mkdirSync(join(dir, 'mine'));
    const again = await hrn('train', join(dir, 'tiny.hrn'), '--data', `mnist:${join(dir, 'nowhere')}`, '--out', join(dir, 'mine'));
    expect(again.code).toBe(1);
    expect(readdirSync(join(dir, 'mine'))).toEqual([]);
  });
});
