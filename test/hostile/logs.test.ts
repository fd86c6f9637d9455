// hrn's output arrives whole however it is redirected: to one file (`> log 2>&1`), to two files, or
// through a pipe, on a cold shader cache (the case where the Vulkan driver's threads open cache files while
// hrn starts). Dawn's two known warnings are filtered by the supervising parent, which also turns a
// child killed by a signal into a line that says so.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { absorbRepeatedSignals, signalMessage, signalStatus, wantsSupervisor } from '../../src/cli/supervise.js';
import { TINY_SOURCE, writeTinyMnist } from '../tiny-mnist.js';
import { installInterruptHandler } from '../../src/train/interrupt.js';
import { runHrn, type BoundedRun } from './bounded.js';
import { TestRedis } from './redis.js';

const ROOT = resolve(import.meta.dirname, '../..');
const N = 64;
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A tiny data set and network, and the `hrn train` command line for them (as a shell word list). */
function setup(): { dir: string; train: (out: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'hrn-logs-'));
  writeTinyMnist(dir, N);
  writeFileSync(join(dir, 'tiny.hrn'), TINY_SOURCE);
  const train = (out: string) =>
    [process.execPath, '--import', 'tsx', join(ROOT, 'src/cli/run.ts'), 'train', join(dir, 'tiny.hrn'), '--data', `mnist:${dir}`, '--batch', '16', '--epochs', '2', '--no-augment', '--out', join(dir, out)]
      .map(quote)
      .join(' ');
  return { dir, train };
}

/** Every line a two-epoch run prints, in order, stdout's and stderr's together. */
const STDOUT_LINES = [/^Tiny: [\d,]+ ReLUs, 64 training images/, /^device: /, /^done: 2 epochs, test accuracy/, /^wrote: checkpoint /];
const STDERR_LINES = [/^compiling kernels (\d+)\/\1 \(/, /^epoch 1\/2  loss /, /^epoch 2\/2  loss /];

function expectLines(text: string, patterns: RegExp[]): void {
  const lines = text.split('\n');
  let at = 0;
  for (const p of patterns) {
    const found = lines.findIndex((l, i) => i >= at && p.test(l));
    expect(found, `no line matching ${p} (in order) in:\n${text}`).toBeGreaterThanOrEqual(0);
    at = found + 1;
  }
  expect(text).not.toContain('artificially reduced');
  expect(text).not.toMatch(/internal error|EBADF|    at /);
}

/** Runs `command` under bash with a fresh, empty Mesa shader cache. */
function bash(command: string, dir: string) {
  const cache = mkdtempSync(join(dir, 'mesa-cache-'));
  return spawnSync('bash', ['-c', command], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, MESA_SHADER_CACHE_DIR: cache }, timeout: 600_000 });
}

/**
 * Starts a thousand-epoch training, sends `signal` to the supervisor or to its child (the process
 * that trains) as soon as hrn writes to stderr, and waits for the run to end: the result, the
 * child's pid and the seconds from the signal to the end of all output.
 */
async function signalTraining(target: 'supervisor' | 'child', signal: NodeJS.Signals): Promise<{ r: BoundedRun; child: string; seconds: number }> {
  const { dir } = setup();
  let sentAt = 0;
  let child = '';
  const r = await runHrn(['train', join(dir, 'tiny.hrn'), '--data', `mnist:${dir}`, '--batch', '16', '--epochs', '1000', '--no-augment', '--out', join(dir, 'run')], {
    timeoutMs: 240_000,
    onStderr: (_chunk, pid) => {
      if (sentAt) return;
      child = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
      sentAt = performance.now();
      process.kill(target === 'child' ? Number(child) : pid, signal);
    },
  });
  expect(child).not.toBe('');
  return { r, child, seconds: (performance.now() - sentAt) / 1000 };
}

describe('logs keep every line', () => {
  it('> log 2>&1, >out 2>err and | cat each get every line, on a cold shader cache', { timeout: 900_000 }, () => {
    const { dir, train } = setup();
    const one = bash(`${train('one')} > ${quote(join(dir, 'one.log'))} 2>&1`, dir);
    expect(one.status, one.stderr).toBe(0);
    const log = readFileSync(join(dir, 'one.log'), 'utf8');
    expectLines(log, [STDOUT_LINES[0], STDOUT_LINES[1], STDERR_LINES[0], STDERR_LINES[1], STDERR_LINES[2], STDOUT_LINES[2], STDOUT_LINES[3]]);

    const two = bash(`${train('two')} > ${quote(join(dir, 'out.log'))} 2> ${quote(join(dir, 'err.log'))}`, dir);
    expect(two.status, two.stderr).toBe(0);
    expectLines(readFileSync(join(dir, 'out.log'), 'utf8'), STDOUT_LINES);
    expectLines(readFileSync(join(dir, 'err.log'), 'utf8'), STDERR_LINES);

    const piped = bash(`set -o pipefail; ${train('piped')} 2>&1 | cat`, dir);
    expect(piped.status, piped.stderr).toBe(0);
    expectLines(piped.stdout, [STDOUT_LINES[0], STDOUT_LINES[1], STDERR_LINES[0], STDERR_LINES[1], STDERR_LINES[2], STDOUT_LINES[2], STDOUT_LINES[3]]);
  });
});

describe('stdout through a slow reader', () => {
  it('arrives whole: nothing is dropped when hrn exits before the reader has read it all', { timeout: 300_000 }, () => {
    // Far more than a pipe holds (64 KiB), read only after hrn has finished writing.
    const cmd = [process.execPath, '--import', 'tsx', 'src/cli/run.ts', 'compile', 'examples/resnet18.hrn', '--train', '--debug'].map(quote).join(' ');
    const dir = mkdtempSync(join(tmpdir(), 'hrn-slow-'));
    const direct = bash(`${cmd} > ${quote(join(dir, 'out'))}`, dir);
    expect(direct.status).toBe(0);
    const bytes = readFileSync(join(dir, 'out')).length;
    expect(bytes).toBeGreaterThan(3 * 65_536);
    const slow = bash(`set -o pipefail; ${cmd} | (sleep 3; wc -c)`, dir);
    expect(slow.status).toBe(0);
    expect(Number(slow.stdout.trim())).toBe(bytes);
  });
});

describe('stdout closed early by its reader', () => {
  it('ends hrn quietly, with status 0, for a supervised and a plain command', { timeout: 300_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrn-epipe-'));
    for (const args of [['compile', 'examples/resnet18.hrn', '--train', '--debug'], ['stats', 'examples/resnet18.hrn', '--pipeline', 'hybrenet', '--debug']]) {
      const cmd = [process.execPath, '--import', 'tsx', 'src/cli/run.ts', ...args].map(quote).join(' ');
      // More output than a pipe holds, and a reader that takes 100 bytes and goes.
      const r = bash(`${cmd} 2>${quote(join(dir, 'err'))} | head -c 100 > /dev/null; echo "\${PIPESTATUS[0]}"`, dir);
      expect(r.stdout.trim()).toBe('0');
      expect(readFileSync(join(dir, 'err'), 'utf8')).not.toMatch(/internal error|EPIPE/);
    }
  });
});

describe('the supervisor', () => {
  it('runs only the commands that open a device, once, and not when Dawn warnings are asked for', () => {
    expect(['compile', 'infer', 'train', 'sweep', 'worker', 'criticality', 'tune'].every((c) => wantsSupervisor([c, 'x.hrn'], {}))).toBe(true);
    expect(['check', 'stats', 'equalize', 'export', 'report', '--help'].some((c) => wantsSupervisor([c], {}))).toBe(false);
    expect(wantsSupervisor(['train'], { HRN_SUPERVISED: '1' })).toBe(false);
    expect(wantsSupervisor(['train'], { HRN_DAWN_WARNINGS: '1' })).toBe(false);
    expect(wantsSupervisor(['train'], {}, ['--inspect-brk'])).toBe(false);
  });

  it('names the signal, and a crash as a crash', () => {
    expect(signalStatus('SIGKILL')).toBe(137);
    expect(signalStatus('SIGSEGV')).toBe(139);
    expect(signalMessage('infer', 'SIGSEGV')).toBe('hrn infer: error: the process was killed by SIGSEGV: a crash in native code, most likely the WebGPU driver or Dawn');
    expect(signalMessage('train', 'SIGUSR2')).toBe('hrn train: error: the process was killed by SIGUSR2');
  });

  it('a training process killed by SIGKILL is reported in a line, with the status a shell gives', { timeout: 300_000 }, async () => {
    const { r } = await signalTraining('child', 'SIGKILL');
    expect(r.code).toBe(128 + 9);
    expect(r.stderr.trim().split('\n').at(-1)).toBe("hrn train: error: the process was killed by SIGKILL: the system's out-of-memory killer sends it when memory runs out, and so does kill -9");
  });

  it('killed with SIGKILL, takes its child with it at once', { timeout: 300_000 }, async () => {
    const { r, child, seconds } = await signalTraining('supervisor', 'SIGKILL');
    // The run's output ends only when every process holding it has exited: the child went too,
    // at once rather than after its thousand epochs.
    expect(r.timedOut).toBe(false);
    expect(seconds).toBeLessThan(20);
    expect(r.signal).toBe('SIGKILL');
    // (The harness kills what is left of the process group once the output ends, so the time above,
    // not a look at the child afterwards, is what shows that the child went by itself.)
    expect(child).not.toBe('');
  });

  it('passes a SIGTERM sent to it alone on to the child, which saves and stops', { timeout: 300_000 }, async () => {
    const { r, seconds } = await signalTraining('supervisor', 'SIGTERM');
    expect(r.timedOut).toBe(false);
    expect(seconds).toBeLessThan(60);
    expect(r.code).toBe(143);
    expect(r.stderr).toContain('SIGTERM: finishing this step, saving a checkpoint');
    expect(r.stdout).toMatch(/interrupted: checkpoint saved/);
  });

  it('Ctrl-C (SIGINT to the process group) of a command with no handler of its own ends it quietly, by the signal', { timeout: 300_000 }, async () => {
    // hrn infer has no Ctrl-C handling: the child dies of SIGINT. A shell stops a loop over hrn
    // only when hrn itself died of the signal, and the user needs no line about what they did.
    const cache = mkdtempSync(join(tmpdir(), 'hrn-mesa-'));
    const r = await runHrn(['infer', 'examples/hrn-2x5x3x.hrn', '--set', 'm=2', '--weights', 'checkpoints/hrn-2x5x3x-m2', '--data', 'fashion-mnist:/usr/share/datasets/fashion-mnist', '--batch', '1'], {
      timeoutMs: 240_000,
      env: { MESA_SHADER_CACHE_DIR: cache },
      // Kernels compile for seconds on a cold cache; the signal lands meanwhile.
      started: (pid) => void setTimeout(() => process.kill(-pid, 'SIGINT'), 2000),
    });
    expect(r.timedOut).toBe(false);
    expect(r.signal).toBe('SIGINT');
    expect(r.stderr).toBe('');
  });

  it('hrn worker: one Ctrl-C (delivered twice, by the terminal and by the supervisor) stops it cleanly', { timeout: 120_000 }, async () => {
    const redis = await TestRedis.start();
    try {
      const r = await runHrn(['worker', '--queue', `redis://127.0.0.1:${redis.port}`], {
        timeoutMs: 60_000,
        onStdout: (chunk, pid) => {
          if (chunk.includes('waiting for runs')) process.kill(-pid, 'SIGINT');
        },
      });
      expect(r.timedOut).toBe(false);
      expect(r.code).toBe(0);
      expect(r.stderr.match(/SIGINT: stopping/g)).toHaveLength(1);
      expect(r.stdout.trim().split('\n').at(-1)).toBe('worker: stopped');
    } finally {
      await redis.close();
    }
  });
});

describe('a stop request', () => {
  it('tells its listener once, and words its message for the signal', () => {
    const got: string[] = [];
    let text = '';
    const flag = installInterruptHandler({
      graceMs: 1000,
      stream: { write: (t: string) => (text += t) },
      message: (s) => `${s}: stopping`,
      onRequest: (s) => got.push(s),
      exit: () => {},
    });
    try {
      process.emit('SIGTERM', 'SIGTERM');
      process.emit('SIGTERM', 'SIGTERM');
    } finally {
      flag.dispose();
    }
    expect(got).toEqual(['SIGTERM']);
    expect(text).toBe('\nSIGTERM: stopping\n');
  });

  it("a signal's repeat within a second never acts on its own, not even after the command stopped listening", () => {
    let clock = 0;
    const defaults: NodeJS.Signals[] = [];
    const dispose = absorbRepeatedSignals((s) => defaults.push(s), () => clock);
    const seen: NodeJS.Signals[] = [];
    const command = (s: NodeJS.Signals) => {
      seen.push(s);
      // The command stops on the first request and stops listening.
      process.removeListener('SIGTERM', command);
    };
    try {
      process.on('SIGTERM', command);
      process.emit('SIGTERM', 'SIGTERM');
      clock += 300;
      // The copy passed on by the supervisor, after the command's handler is gone.
      process.emit('SIGTERM', 'SIGTERM');
      expect(seen).toEqual(['SIGTERM']);
      expect(defaults).toEqual([]);
      // A signal nobody handles, later on, does what it does by default.
      clock += 5000;
      process.emit('SIGTERM', 'SIGTERM');
      expect(defaults).toEqual(['SIGTERM']);
    } finally {
      process.removeListener('SIGTERM', command);
      dispose();
    }
  });
});
