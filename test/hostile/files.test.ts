// Nothing a user made is destroyed: `export -o` never replaces a device, pipe, directory or
// symbolic link and replaces a regular file only with --force; `train --out` neither trains into a
// directory of the user's without --force nor ever appends to a file hrn did not write; two
// trainings never share one --out (a lock naming the holder's pid and refreshed by it, taken over
// once that process is gone or its refreshes stop, from whatever host); an empty log or metrics file
// never wedges a run; and the test suite itself writes nothing into docs/.

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { METRICS_COLUMNS } from '../../src/train/metrics-csv.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { lockRunDir, runDirContents } from '../../src/train/run-dir.js';
import { readJsonl } from '../../src/train/log.js';
import { lockDir } from '../../src/util/dir-lock.js';
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

describe('the run-directory lock', () => {
  const LOCK = 'train.lock';
  /** A time `secondsAgo` in the past, in whole seconds (so a file's mtime holds it exactly). */
  const ago = (secondsAgo: number) => new Date(1000 * (Math.floor(Date.now() / 1000) - secondsAgo));
  /** Writes a lock file as another process would have, last refreshed at `refreshed`. */
  function writeLock(dir: string, owner: object | string, refreshed: Date): string {
    const file = join(dir, LOCK);
    writeFileSync(file, typeof owner === 'string' ? owner : `${JSON.stringify(owner)}\n`);
    utimesSync(file, refreshed, refreshed);
    return file;
  }
  const elsewhere = { pid: 4242, host: `${hostname()}-elsewhere`, since: '2026-01-01T00:00:00.000Z', what: 'hrn train' };
  const until = async (what: string, ok: () => boolean) => {
    for (const end = Date.now() + 10_000; !ok(); await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    }
  };

  it("another host's lock is refused while its heartbeat is recent, saying when it goes stale, and taken over once older", () => {
    const dir = tempDir();
    const staleMs = 60_000;
    const refreshed = ago(30);
    const file = writeLock(dir, elsewhere, refreshed);
    const staleAt = new Date(refreshed.getTime() + staleMs).toISOString();
    expect(() => lockDir(dir, { name: LOCK, what: 'hrn train', staleMs })).toThrow(
      `${dir} is in use by hrn train (pid 4242 on host ${elsewhere.host}, since 2026-01-01T00:00:00.000Z): wait for it to finish; ` +
        `if that process is gone, its lock is taken over as stale at ${staleAt} (1 min after its last heartbeat), or delete ${file} now`,
    );
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(elsewhere);

    utimesSync(file, ago(120), ago(120));
    const notes: string[] = [];
    const lock = lockDir(dir, { name: LOCK, what: 'hrn train', staleMs, note: (l) => notes.push(l) });
    try {
      expect(notes).toEqual([`${dir}: took over the lock of pid 4242 on host ${elsewhere.host} (hrn train, since 2026-01-01T00:00:00.000Z), whose last heartbeat was 2 min ago`]);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    } finally {
      lock.release();
    }
    expect(existsSync(file)).toBe(false);
  });

  it('the CLI lock waits minutes, not forever: refused 5 minutes after the last heartbeat, taken over an hour after', () => {
    const dir = tempDir();
    writeLock(dir, elsewhere, ago(5 * 60));
    expect(() => lockRunDir(dir)).toThrow(/its lock is taken over as stale at \S+Z \(\d+ min after its last heartbeat\)/);
    writeLock(dir, elsewhere, ago(60 * 60));
    lockRunDir(dir).release();
    // A lock file that says nothing of its holder (an O_EXCL create cut short by a full disk) ages out the same way.
    writeLock(dir, '', ago(5 * 60));
    expect(() => lockRunDir(dir)).toThrow(/does not say who holds it; unless refreshed, it is taken over as stale at \S+Z/);
    writeLock(dir, '', ago(60 * 60));
    const notes: string[] = [];
    lockRunDir(dir, (l) => notes.push(l)).release();
    expect(notes).toEqual([`${dir}: took over the lock (an empty file), whose last heartbeat was 60 min ago`]);
  });

  it('a lock naming this process, which it did not take, is stale (a reused pid); one it holds is not', () => {
    const dir = tempDir();
    const held = lockRunDir(dir);
    try {
      expect(() => lockRunDir(dir)).toThrow(`is in use by hrn train (pid ${process.pid}, since ${held.owner.since})`);
    } finally {
      held.release();
    }
    const before = { pid: process.pid, host: hostname(), since: '2026-01-01T00:00:00.000Z', what: 'hrn train' };
    writeLock(dir, before, new Date());
    const notes: string[] = [];
    lockRunDir(dir, (l) => notes.push(l)).release();
    expect(notes).toEqual([`${dir}: took over the lock of pid ${process.pid} (hrn train, since 2026-01-01T00:00:00.000Z), which names this process but was not taken by it (a pid reused after a restart)`]);
  });

  it('a lock of this host whose pid runs but whose heartbeat stopped is stale (the pid now belongs to another process)', () => {
    const dir = tempDir();
    // The parent of this test process: alive, and not a training.
    const reused = { pid: process.ppid, host: hostname(), since: '2026-01-01T00:00:00.000Z', what: 'hrn train' };
    writeLock(dir, reused, ago(10));
    expect(() => lockDir(dir, { name: LOCK, what: 'hrn train', staleMs: 60_000 })).toThrow(`is in use by hrn train (pid ${process.ppid}, since `);
    writeLock(dir, reused, ago(120));
    const notes: string[] = [];
    lockDir(dir, { name: LOCK, what: 'hrn train', staleMs: 60_000, note: (l) => notes.push(l) }).release();
    expect(notes).toEqual([`${dir}: took over the lock of pid ${process.ppid} (hrn train, since 2026-01-01T00:00:00.000Z), whose last heartbeat was 2 min ago`]);
  });

  it('the holder refreshes its lock until it releases it, and stops once the lock is no longer its own', async () => {
    const dir = tempDir();
    const file = join(dir, LOCK);
    const old = ago(600);
    const mtime = () => statSync(file).mtimeMs;
    const lock = lockDir(dir, { name: LOCK, what: 'hrn train', refreshMs: 20 });
    try {
      utimesSync(file, old, old);
      await until('a heartbeat', () => mtime() > old.getTime());
      expect(Date.now() - mtime()).toBeLessThan(5_000);
      // Another process took it over (this one was stopped too long): its lock is not refreshed by this one.
      writeFileSync(file, `${JSON.stringify(elsewhere)}\n`);
      utimesSync(file, old, old);
      await new Promise((r) => setTimeout(r, 300));
      expect(mtime()).toBe(old.getTime());
    } finally {
      lock.release();
    }
    // The other's lock is left alone, and a released lock is refreshed no more.
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(elsewhere);
    const again = lockDir(dir, { name: LOCK, what: 'hrn train', refreshMs: 20, staleMs: 60_000 });
    const text = readFileSync(file, 'utf8');
    again.release();
    expect(existsSync(file)).toBe(false);
    // Put back as it was, the released lock would be refreshed if its heartbeat still ran.
    writeFileSync(file, text);
    utimesSync(file, old, old);
    await new Promise((r) => setTimeout(r, 300));
    expect(mtime()).toBe(old.getTime());
  });
});

describe('an empty train.jsonl or metrics.csv (a full disk, a touch)', () => {
  it("counts as hrn's, not the user's", () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'train.jsonl'), '');
    writeFileSync(join(dir, 'metrics.csv'), '');
    expect(runDirContents(dir)).toEqual({ run: ['metrics.csv', 'train.jsonl'], other: [], blocking: [] });
  });
});

describe('train --out, after a crash', () => {
  it("a lock left by a host that died is refused with when it goes stale, and taken over once its heartbeat is old", { timeout: 300_000 }, async () => {
    const s = tinySetup();
    const out = join(s.dir, 'run');
    mkdirSync(out);
    const lockFile = join(out, 'train.lock');
    const host = `${hostname()}-gone`;
    writeFileSync(lockFile, `${JSON.stringify({ pid: 4242, host, since: '2026-01-01T00:00:00.000Z', what: 'hrn train' })}\n`);
    const refused = await runHrn(trainArgs(s, out, '--epochs', '1'), { timeoutMs: 120_000 });
    expectOneLineError(refused, new RegExp(`is in use by hrn train \\(pid 4242 on host ${host}, since 2026-01-01T00:00:00.000Z\\): wait for it to finish; if that process is gone, its lock is taken over as stale at \\S+Z \\(\\d+ min after its last heartbeat\\), or delete ${lockFile} now`));
    expect(refused.ms).toBeLessThan(60_000);

    const hourAgo = new Date(Date.now() - 3600_000);
    utimesSync(lockFile, hourAgo, hourAgo);
    const taken = await runHrn(trainArgs(s, out, '--epochs', '1'), { timeoutMs: 240_000 });
    expect(taken.code, taken.stdout + taken.stderr).toBe(0);
    expect(taken.stdout).toContain(`${resolve(out)}: took over the lock of pid 4242 on host ${host} (hrn train, since 2026-01-01T00:00:00.000Z), whose last heartbeat was `);
    expect(loadCheckpoint(join(out, 'checkpoint')).state.epoch).toBe(1);
    expect(existsSync(lockFile)).toBe(false);
  });

  it('an empty train.jsonl and metrics.csv block neither --force nor --resume', { timeout: 400_000 }, async () => {
    const s = tinySetup();
    const out = join(s.dir, 'run');
    mkdirSync(out);
    const csv = join(out, 'metrics.csv');
    const log = join(out, 'train.jsonl');
    writeFileSync(csv, '');
    writeFileSync(log, '');
    const forced = await runHrn(trainArgs(s, out, '--epochs', '1', '--force'), { timeoutMs: 240_000 });
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect(readFileSync(csv, 'utf8').trim().split('\n')).toHaveLength(2);
    expect(readJsonl(log)[0].event).toBe('start');

    // A full disk empties both files; the checkpoint is intact.
    truncateSync(csv, 0);
    truncateSync(log, 0);
    const resumed = await runHrn(trainArgs(s, out, '--epochs', '2', '--resume'), { timeoutMs: 240_000 });
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    expect(rows[0]).toBe(METRICS_COLUMNS.join(','));
    expect(rows.map((r) => r.split(',')[0])).toEqual(['epoch', '2']);
    expect(readJsonl(log)[0].event).toBe('resume');
    expect(loadCheckpoint(join(out, 'checkpoint')).state.epoch).toBe(2);
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
    expect(scripts['screenshot:playground']).toBe('HRN_PLAYGROUND_SCREENSHOT=docs/playground.png vitest run --project heavy test/playground.test.ts');
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
