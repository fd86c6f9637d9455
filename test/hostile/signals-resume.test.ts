// Signals and resume: SIGTERM (schedulers, `docker stop`) stops a training run as Ctrl-C does (the
// step finishes, a checkpoint is saved, exit 143), a repeat within the grace window is the same
// request, and a sweep worker's training child stopped by SIGTERM puts its run back on the queue.
// `--resume` continues only the run it belongs to: other data, batch, seed or learning rate is
// refused naming each difference, options left out take the run's values, and a longer run gets
// a schedule whose every trained step has a learning rate above 0.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { installTrainingInterrupt } from '../../src/train/interrupt.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { readJsonl } from '../../src/train/log.js';
import { TINY_SOURCE, writeTinyMnist } from '../tiny-mnist.js';
import { hrnProcess, TINY_HRN, waitFor, writeTinyFashion } from '../sweep-fixtures.js';
import { runHrn } from './bounded.js';
import { freePort } from '../free-port.js';

const root = mkdtempSync(join(tmpdir(), 'hrn-hostile-signals-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});
let n = 0;
const tempDir = () => {
  const d = join(root, `t${n++}`);
  mkdirSync(d);
  return d;
};

function tinySetup(): { dir: string; net: string; data: string } {
  const dir = tempDir();
  writeTinyMnist(dir, 48);
  const net = join(dir, 'tiny.hrn');
  writeFileSync(net, TINY_SOURCE);
  return { dir, net, data: `mnist:${dir}` };
}

describe('SIGTERM while training', () => {
  it('is handled as Ctrl-C: a repeat within the grace window is the same request, a later one quits with 143', async () => {
    const before = process.listeners('SIGTERM');
    let text = '';
    const exits: number[] = [];
    const flag = installTrainingInterrupt({ stream: { write: (s: string) => (text += s) }, graceMs: 200, exit: (c) => exits.push(c) });
    try {
      const mine = process.listeners('SIGTERM').filter((l) => !before.includes(l));
      expect(mine).toHaveLength(1);
      const fire = mine[0] as (s: NodeJS.Signals) => void;
      // A supervising parent forwards the signal its child also got: twice within the window.
      fire('SIGTERM');
      fire('SIGTERM');
      expect(flag.requested).toBe(true);
      expect(flag.count).toBe(1);
      expect(flag.signal).toBe('SIGTERM');
      expect(text).toContain('SIGTERM: finishing this step, saving a checkpoint, then stopping (send SIGTERM again to quit at once)');
      expect(exits).toEqual([]);
      await new Promise((r) => setTimeout(r, 300));
      fire('SIGTERM');
      expect(exits).toEqual([143]);
      expect(text).toContain('SIGTERM again: quitting without saving');
    } finally {
      flag.dispose();
    }
    expect(process.listeners('SIGTERM')).toEqual(before);
  });

  it('hrn train saves a checkpoint, says so naming the signal, and exits 143', { timeout: 300_000 }, async () => {
    const s = tinySetup();
    const out = join(s.dir, 'run');
    let sent = false;
    const r = await runHrn(['train', s.net, '--data', s.data, '--batch', '16', '--no-augment', '--epochs', '5000', '--out', out], {
      timeoutMs: 240_000,
      onStderr: (chunk, pid) => {
        // Training has started once an epoch has been reported.
        if (!sent && /epoch 1\/5000/.test(chunk)) {
          sent = true;
          process.kill(pid, 'SIGTERM');
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.timedOut).toBe(false);
    expect(r.signal, r.stderr).toBe(null);
    expect(r.code, r.stdout + r.stderr).toBe(143);
    expect(r.stderr).toContain('SIGTERM: finishing this step, saving a checkpoint, then stopping');
    expect(r.stdout).toMatch(/interrupted: checkpoint saved to .*checkpoint \((after )?epoch \d+.*\); continue with --resume/);
    expect(r.stdout).toMatch(/^stopped: \d+ epochs?/m);
    expect(r.peakMiB).toBeLessThan(1536);
    const ck = loadCheckpoint(join(out, 'checkpoint'));
    expect(ck.state.epoch).toBeGreaterThanOrEqual(1);
    expect(ck.state.epoch).toBeLessThan(5000);
    expect(readJsonl(join(out, 'train.jsonl')).map((rec) => rec.event)).toContain('interrupted');
    expect(existsSync(join(out, 'train.lock'))).toBe(false);
  });
});

describe('--resume', () => {
  it('refuses other data, batch, seed or lr, naming each; options left out are the run\'s; more epochs never train at lr 0', { timeout: 600_000 }, async () => {
    const s = tinySetup();
    const out = join(s.dir, 'run');
    const base = ['train', s.net, '--out', out];
    const first = await runHrn([...base, '--data', s.data, '--batch', '8', '--no-augment', '--epochs', '1'], { timeoutMs: 240_000 });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const saved = readFileSync(join(out, 'checkpoint', 'state.json'), 'utf8');

    // The same images elsewhere are another data set as far as the run is concerned.
    const other = join(s.dir, 'copy');
    mkdirSync(other);
    for (const f of readdirSync(s.dir).filter((f) => f.endsWith('.gz'))) copyFileSync(join(s.dir, f), join(other, f));
    const changed = await runHrn([...base, '--resume', '--epochs', '2', '--data', `mnist:${other}`, '--batch', '16', '--seed', '3', '--lr', '0.05'], { timeoutMs: 240_000 });
    expect(changed.code, changed.stdout + changed.stderr).toBe(1);
    const err = changed.stderr.trim().split('\n');
    expect(err, changed.stderr).toHaveLength(1);
    expect(err[0]).toMatch(/^hrn train: error: cannot resume from .*checkpoint: this command differs from the run it continues: /);
    expect(err[0]).toContain(`--data mnist:${other} (the run: --data mnist:${s.dir})`);
    expect(err[0]).toContain('--batch 16 (the run: --batch 8)');
    expect(err[0]).toContain('--seed 3 (the run: --seed 0)');
    expect(err[0]).toContain('--lr 0.05 (the run: --lr 0.1)');
    expect(err[0]).toContain("Resume with the run's settings (options left out take the run's values), or start a new run with --force or another --out");
    expect(changed.stdout).toBe('');
    expect(readFileSync(join(out, 'checkpoint', 'state.json'), 'utf8')).toBe(saved);

    // Only FILE, --out, --resume and a new epoch count: the rest is the run's.
    const more = await runHrn([...base, '--resume', '--epochs', '3'], { timeoutMs: 240_000 });
    expect(more.code, more.stdout + more.stderr).toBe(0);
    expect(more.stdout).toContain("the learning-rate schedule now spans 3 epochs (the checkpoint's run planned 1)");
    expect(more.stdout).toContain('3 epochs of 6 steps at batch 8, lr 0.1');
    const ck = loadCheckpoint(join(out, 'checkpoint'));
    expect(ck.state.epoch).toBe(3);
    expect(ck.state.step).toBe(18);
    const epochLrs = ck.state.metrics.map((m) => m.lr);
    expect(epochLrs).toHaveLength(3);
    const stepLrs = readJsonl(join(out, 'train.jsonl')).filter((rec) => rec.event === 'step').map((rec) => rec.lr);
    expect(stepLrs.length).toBeGreaterThanOrEqual(3);
    for (const lr of [...epochLrs, ...stepLrs]) expect(lr).toBeGreaterThan(0);
  });
});

const haveRedis = spawnSync('redis-server', ['--version']).status === 0;

/** The pid of a `--train-run` process descending from `ancestor` (the machine is shared: other tests run workers too). */
function trainingChildOf(ancestor: number): number | undefined {
  const parentOf = (pid: number): number | undefined => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return undefined;
    }
  };
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmd.includes('--train-run')) continue;
    for (let p: number | undefined = Number(entry); p !== undefined && p > 1; p = parentOf(p)) if (p === ancestor) return Number(entry);
  }
  return undefined;
}

describe('a queued sweep', () => {
  it.skipIf(!haveRedis)("a worker's training child stopped by SIGTERM saves, and its run goes back on the queue and resumes", { timeout: 600_000 }, async () => {
    const dir = tempDir();
    const port = await freePort();
    const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    children.push(redis);
    try {
      await waitFor('redis-server', () => spawnSync('redis-cli', ['-p', String(port), 'ping']).stdout?.toString().trim() === 'PONG', 10_000);
      const data = writeTinyFashion(join(dir, 'fm'));
      const file = join(dir, 'tiny.hrn');
      writeFileSync(file, TINY_HRN);
      const runs = join(dir, 'runs');
      const url = `redis://127.0.0.1:${port}`;
      const worker = hrnProcess(['worker', '--queue', url, '--queue-name', `signals-${port}`, '--lock-seconds', '8']);
      children.push(worker.child);
      const sweep = hrnProcess(['sweep', file, '--grid', 'k=10', '--data', data, '--epochs', '60', '--batch', '10', '--lr', '0.05', '--out', runs, '--queue', url, '--queue-name', `signals-${port}`]);
      children.push(sweep.child);
      const context = () => `\nworker:\n${worker.output()}\nsweep:\n${sweep.output()}`;

      // Once the run has saved a checkpoint (an epoch done), stop its training process.
      let runDir = '';
      await waitFor('a checkpoint of the run', () => {
        const ids = existsSync(runs) ? readdirSync(runs).filter((d) => existsSync(join(runs, d, 'checkpoint'))) : [];
        runDir = ids.length > 0 ? join(runs, ids[0]) : '';
        return runDir !== '';
      }, 300_000, 100, context);
      const child = trainingChildOf(worker.child.pid!);
      expect(child, context()).toBeDefined();
      process.kill(child!, 'SIGTERM');

      const code = await Promise.race([sweep.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 400_000))]);
      expect(code, context()).toBe(0);
      expect(worker.output()).toContain('SIGTERM: finishing this step, saving a checkpoint');
      const events = readJsonl(join(runDir, 'train.jsonl')).map((r) => r.event);
      const stopped = events.indexOf('interrupted');
      expect(stopped, events.join(' ')).toBeGreaterThan(0);
      expect(events.indexOf('resume', stopped)).toBeGreaterThan(stopped);
      expect(events[events.length - 1]).toBe('end');
      expect(existsSync(join(runDir, 'result.json'))).toBe(true);
      expect(existsSync(join(runDir, 'error.json'))).toBe(false);
      expect(loadCheckpoint(join(runDir, 'checkpoint')).state.epoch).toBe(60);
      worker.child.kill('SIGTERM');
      await worker.exited;
    } finally {
      redis.kill('SIGTERM');
    }
  });
});
