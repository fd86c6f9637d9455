// A queued sweep across two `hrn worker` processes on a real redis-server (started here on a free
// port, no persistence), showing the epochs its running jobs reach: one worker is killed with SIGKILL in the middle of a run, and every run
// must still finish exactly once with its result recorded, the killed run continued from its
// checkpoint by the other worker. A run that fails in training (here: a damaged checkpoint in its
// directory, which no check before the sweep looks at) fails alone, its error recorded.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonl } from '../src/train/log.js';
import { hrnInProcess, hrnProcess, TINY_HRN, waitFor, writeTinyFashion } from './sweep-fixtures.js';
import { freePort } from './free-port.js';

const haveRedis = spawnSync('redis-server', ['--version']).status === 0;
const root = mkdtempSync(join(tmpdir(), 'hrn-queue-'));
let redis: ChildProcess | undefined;
let port = 0;
const children: ChildProcess[] = [];

beforeAll(async () => {
  if (!haveRedis) return;
  port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', root], { stdio: 'ignore' });
  await waitFor('redis-server', () => spawnSync('redis-cli', ['-p', String(port), 'ping']).stdout?.toString().trim() === 'PONG', 10_000);
});

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  redis?.kill('SIGTERM');
  rmSync(root, { recursive: true, force: true });
});

describe('hrn sweep --queue with two hrn worker processes', () => {
  it.skipIf(!haveRedis)('a worker killed mid-run loses no run; a bad run fails alone', async () => {
    const data = writeTinyFashion(join(root, 'fm'));
    const file = join(root, 'tiny.hrn');
    writeFileSync(file, TINY_HRN);
    const runs = join(root, 'runs');
    const url = `redis://127.0.0.1:${port}`;
    // Four good runs (seeds 0..3) and, with k=11, four whose directories hold a damaged checkpoint.
    const sweepArgs = ['sweep', file, '--grid', 'k=10|11', '--seeds', '0,1,2,3', '--data', data, '--epochs', '3', '--batch', '10', '--subset', '40', '--lr', '0.05', '--out', runs, '--queue', url];
    const plan = await hrnInProcess(...sweepArgs.filter((a) => a !== '--queue' && a !== url), '--dry-run', '--json');
    for (const r of JSON.parse(plan.out) as { id: string }[]) {
      if (!r.id.includes('k=11')) continue;
      mkdirSync(join(runs, r.id, 'checkpoint'), { recursive: true });
      writeFileSync(join(runs, r.id, 'checkpoint', 'state.json'), '{ damaged');
    }
    const workers = [0, 1].map(() => hrnProcess(['worker', '--queue', url, '--lock-seconds', '8']));
    workers.forEach((w) => children.push(w.child));
    const sweep = hrnProcess(sweepArgs);
    children.push(sweep.child);

    // Kill worker 0 while a run of its own has a checkpoint (an epoch done) but has not finished.
    const [victim, survivor] = workers;
    let killedRun = '';
    const dump = () => `\n--- worker 0\n${victim.output()}\n--- worker 1\n${survivor.output()}\n--- sweep\n${sweep.output()}`;
    await waitFor(
      'worker 0 to be in the middle of a run',
      () => {
        if (sweep.child.exitCode !== null) throw new Error(`hrn sweep ended early${dump()}`);
        const text = victim.output();
        const at = text.lastIndexOf('\nrun ');
        const m = /^run .* \((\S+)\)$/m.exec(text.slice(at + 1));
        if (at < 0 || !m || text.slice(at).includes('\ndone ')) return false;
        // A run with a planted checkpoint fails at once: not the case this test is after.
        if (!m[1].includes('k=10')) return false;
        if (!existsSync(join(runs, m[1], 'checkpoint'))) return false;
        killedRun = m[1];
        return true;
      },
      480_000,
      20,
      dump,
    );
    victim.child.kill('SIGKILL');
    const code = await sweep.exited;
    const out = sweep.output();
    expect(out, dump()).toContain('done: 4 trained, 0 already finished, 4 failed, of 8');
    expect(code).toBe(1);
    // The sweep shows the epochs the workers report for their running jobs.
    expect(out, dump()).toMatch(/^  Tiny k=10 seed\d: epoch [1-3]\/3$/m);

    const ids = readdirSync(runs).filter((d) => existsSync(join(runs, d, 'run.json')));
    const good = ids.filter((id) => id.includes('k=10'));
    const bad = ids.filter((id) => id.includes('k=11'));
    expect([good.length, bad.length]).toEqual([4, 4]);
    expect(good).toContain(killedRun);
    for (const id of good) {
      const result = JSON.parse(readFileSync(join(runs, id, 'result.json'), 'utf8'));
      expect(result.epochs).toBe(3);
      expect(result.history.map((h: { epoch: number }) => h.epoch)).toEqual([1, 2, 3]);
      expect(existsSync(join(runs, id, 'error.json'))).toBe(false);
      // Trained to the end exactly once: one `end` in its log, whoever trained it.
      const log = readJsonl(join(runs, id, 'train.jsonl'));
      expect(log.filter((r) => r.event === 'end').length).toBe(1);
    }
    // The killed run was continued from its checkpoint by the other worker, not started over.
    const killedLog = readJsonl(join(runs, killedRun, 'train.jsonl'));
    expect(killedLog.filter((r) => r.event === 'start').length).toBe(1);
    expect(killedLog.filter((r) => r.event === 'resume').length).toBe(1);
    // `hrn worker` runs under its supervisor (src/cli/supervise.ts): the worker proper is its child.
    const survivorPid = spawnSync('pgrep', ['-P', String(survivor.child.pid)], { encoding: 'utf8' }).stdout.trim();
    expect(JSON.parse(readFileSync(join(runs, killedRun, 'result.json'), 'utf8')).by).toMatch(new RegExp(`:${survivorPid}$`));
    for (const id of bad) {
      expect(existsSync(join(runs, id, 'result.json'))).toBe(false);
      expect(JSON.parse(readFileSync(join(runs, id, 'error.json'), 'utf8')).error).toMatch(/checkpoint/);
    }

    survivor.child.kill('SIGTERM');
    expect(await survivor.exited).toBe(0);
  }, 900_000);
});
