// Hostile cases of the distributed path (`hrn sweep --queue`, `hrn worker`), issue section 6: a
// Redis that cannot be reached or refuses the password, the password in what hrn prints, a Redis
// restarted without persistence in the middle of a sweep, a training process killed on its own (as
// the OOM killer does), and TLS (rediss://). Every case runs against a redis-server of its own.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childFailure, childStderrFilter } from '../../src/sweep/worker.js';
import { parseRedisUrl, redactRedisUrl } from '../../src/sweep/redis-url.js';
import { readJsonl } from '../../src/train/log.js';
import { TINY_HRN, writeTinyFashion } from '../sweep-fixtures.js';
import { runHrn, type BoundedRun, type BoundedOptions } from './bounded.js';
import { freePort } from '../free-port.js';
import { selfSignedCert, TestRedis, until, type RedisOptions } from './redis.js';

const root = mkdtempSync(join(tmpdir(), 'hrn-hostile-queue-'));
const servers: TestRedis[] = [];
let data = '';
let file = '';

beforeAll(() => {
  data = writeTinyFashion(join(root, 'fm'));
  file = join(root, 'tiny.hrn');
  writeFileSync(file, TINY_HRN);
});

afterAll(async () => {
  for (const s of servers) await s.close();
  rmSync(root, { recursive: true, force: true });
});

async function redis(o: RedisOptions = {}): Promise<TestRedis> {
  const s = await TestRedis.start(o);
  servers.push(s);
  return s;
}

const DAWN_WARNINGS =
  'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.\n' +
  'Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.\n';

/** A one-network sweep of the tiny data set, trained through the queue at `url`. */
function sweepArgs(url: string, out: string, epochs: number): string[] {
  return ['sweep', file, '--data', data, '--epochs', String(epochs), '--batch', '10', '--subset', '40', '--lr', '0.05', '--out', out, '--queue', url];
}

/** A process that runs in the background: its result, and its output so far. */
function background(args: string[], o: BoundedOptions & { timeoutMs: number }): { done: Promise<BoundedRun>; out: () => string; err: () => string; pid: () => number; ended: () => boolean } {
  let out = '';
  let err = '';
  let pid = 0;
  let ended = false;
  const done = runHrn(args, {
    ...o,
    started: (p) => (pid = p),
    onStdout: (c) => (out += c),
    onStderr: (c) => (err += c),
  });
  void done.then(() => (ended = true));
  return { done, out: () => out, err: () => err, pid: () => pid, ended: () => ended };
}

/** Waits for `cond`, or for `p` to end first (then fails with its output). */
async function whileRunning(what: string, p: ReturnType<typeof background>, others: ReturnType<typeof background>[], cond: () => boolean, timeoutMs: number): Promise<void> {
  await until(what, () => cond() || p.ended() || others.some((o) => o.ended()), timeoutMs, 200);
  if (!cond()) throw new Error(`a process ended before ${what}:\n${[p, ...others].map((x) => x.out() + x.err()).join('\n---\n')}`);
}

describe('--queue URL parsing', () => {
  it('takes user, password, database and TLS from the URL; refuses what it cannot use, without echoing the password', () => {
    const plain = parseRedisUrl('redis://cache.example:6380');
    expect(plain.connection).toMatchObject({ host: 'cache.example', port: 6380 });
    expect(plain.connection).not.toHaveProperty('tls');
    expect(plain.display).toBe('redis://cache.example:6380');

    const full = parseRedisUrl('rediss://alice:p%40ss%3Aword@10.0.0.7:6390/3');
    expect(full.connection).toMatchObject({ host: '10.0.0.7', port: 6390, username: 'alice', password: 'p@ss:word', db: 3, tls: {} });
    expect(full.display).toBe('rediss://alice:***@10.0.0.7:6390/3');
    expect(full.tls).toBe(true);

    const pwOnly = parseRedisUrl('redis://:hunter2@localhost');
    expect(pwOnly.connection).toMatchObject({ host: 'localhost', port: 6379, password: 'hunter2' });
    expect(pwOnly.connection).not.toHaveProperty('username');
    expect(pwOnly.display).toBe('redis://:***@localhost:6379');

    const v6 = parseRedisUrl('redis://[::1]:7000');
    expect(v6.connection).toMatchObject({ host: '::1', port: 7000 });

    for (const [url, why] of [
      ['http://:hunter2@localhost:6379', /scheme 'http' is not redis or rediss/],
      ['redis://:hunter2@localhost:6379/cache', /database 'cache' is not a number/],
      ['redis://:hunter2@localhost:6379/0?tls=1', /options after \? or #/],
      ['not a url :hunter2@', /not a URL/],
    ] as const) {
      let message = '';
      try {
        parseRedisUrl(url);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message, url).toMatch(why);
      expect(message, url).not.toContain('hunter2');
    }
    expect(redactRedisUrl('at redis://u:pw@h:1 and rediss://:x@y:2/0')).toBe('at redis://u:***@h:1 and rediss://:***@y:2/0');
  });
});

describe('--queue URL parsing: a password of any form never reaches a message', () => {
  // Every password below holds Pw and Xq, so any piece of it in a message is found.
  const leaks = /Pw|Xq/;
  const refusal = (url: string): string => {
    try {
      parseRedisUrl(url);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error(`${url} was accepted`);
  };

  it('refused URLs: several @, percent-encoded @, spaces, no host, user:pass, IPv6, / ? # in the password', () => {
    for (const url of [
      'redis://:Pw1@Xq@host/x',
      'redis://:Pw@1@Xq@host:6379/x',
      'redis://:Pw1%40Xq@host/x',
      'redis://:Pw2 Xq@host/x',
      'redis://:Pw2  Xq @host/0?x=1',
      'redis://:Pw3Xq@',
      'redis://:Pw3Xq@/0',
      'redis://:Pw3Xq',
      'redis://:Pw3@Xq@:6379',
      'redis://:Pw3 Xq@',
      'redis://alice:Pw4Xq@host/db',
      'redis://alice:Pw4@Xq@host/db',
      'redis://:Pw6Xq@[::1]:7000/x',
      'redis://:Pw6@Xq@[::1',
      'redis://:Pw7/Xq@host',
      'redis://:Pw7?Xq@host',
      'redis://:Pw7#Xq@host',
      'http://:Pw8@Xq@host',
      'redis://:Pw9%zzXq@host',
      'redis://:Pw0@Xq@host/0?x=1',
      'redis://Pw5@Xq@host:port',
      'Pw1@Xq@host',
    ]) {
      const message = refusal(url);
      expect(message, url).toMatch(/^--queue: /);
      expect(message, url).not.toMatch(leaks);
    }
    // Where the URL is one, the message still says where it points.
    expect(refusal('redis://:Pw1@Xq@host/x')).toContain("the database 'x' is not a number in 'redis://***@host/x'");
    expect(refusal('redis://:Pw6Xq@[::1]:7000/x')).toContain("in 'redis://***@[::1]:7000/x'");
    expect(refusal('redis://:Pw3Xq@')).toContain('not a URL');
  });

  it('accepted URLs: the password reaches the connection whole and the display masked', () => {
    for (const [url, password, display] of [
      ['redis://:Pw1@Xq@host:6390', 'Pw1@Xq', 'redis://:***@host:6390'],
      ['redis://:Pw1%40Xq@host', 'Pw1@Xq', 'redis://:***@host:6379'],
      ['redis://:Pw2 Xq@host', 'Pw2 Xq', 'redis://:***@host:6379'],
      ['redis://alice:Pw4@Xq@host/2', 'Pw4@Xq', 'redis://alice:***@host:6379/2'],
      ['redis://:Pw6@Xq@[::1]:7000', 'Pw6@Xq', 'redis://:***@[::1]:7000'],
    ] as const) {
      const t = parseRedisUrl(url);
      expect(t.connection.password, url).toBe(password);
      expect(t.display, url).toBe(display);
    }
    // A user name without a password may be a password that lost its colon.
    const userOnly = parseRedisUrl('redis://Pw5@Xq@host');
    expect(userOnly.display).toBe('redis://***@host:6379');
    expect(userOnly.connection.host).toBe('host');
  });

  it('free text: each URL masked up to its last @, spaces and all', () => {
    for (const text of [
      'cannot reach redis://:Pw1@Xq@host now',
      'cannot reach redis://:Pw2 Xq@host now',
      'cannot reach rediss://alice:Pw4@Xq@host:1/0',
      'cannot reach redis://Pw5@Xq@host',
      'cannot reach :Pw1@Xq@host',
      'cannot reach alice:Pw1@Xq@host',
      "cannot reach 'alice:Pw1@Xq@host'",
    ]) {
      expect(redactRedisUrl(text), text).not.toMatch(leaks);
      expect(redactRedisUrl(text), text).toMatch(/^cannot reach .*host/);
    }
  });
});

describe('Redis that cannot be used at the start: exit 1 within seconds, with the reason', () => {
  it('a dead port: sweep and worker say connection refused', async () => {
    const port = await freePort();
    const out = join(root, 'dead-port');
    const [sweep, worker] = await Promise.all([
      runHrn(sweepArgs(`redis://127.0.0.1:${port}`, out, 1), { timeoutMs: 60_000 }),
      runHrn(['worker', '--queue', `redis://:topsecret@127.0.0.1:${port}`], { timeoutMs: 60_000 }),
    ]);
    for (const [r, cmd] of [[sweep, 'sweep'], [worker, 'worker']] as const) {
      expect(r.timedOut, `${cmd}: ${r.stderr}`).toBe(false);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^hrn ${cmd}: error: cannot use the queue at redis://(:\\*\\*\\*@)?127\\.0\\.0\\.1:${port}: connection refused`, 'm'));
      expect(r.stderr + r.stdout).not.toContain('topsecret');
      expect(r.ms).toBeLessThan(30_000);
      expect(r.peakMiB).toBeLessThan(1024);
    }
  }, 90_000);

  it('an unknown host: host not found', async () => {
    const r = await runHrn(['worker', '--queue', 'redis://no-such-host.invalid:6379'], { timeoutMs: 60_000 });
    expect(r.timedOut, r.stderr).toBe(false);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("hrn worker: error: cannot use the queue at redis://no-such-host.invalid:6379: host not found: 'no-such-host.invalid'");
    expect(r.ms).toBeLessThan(30_000);
  }, 90_000);

  it('a wrong or missing password: authentication failed, the password never printed', async () => {
    const s = await redis({ password: 'right-one' });
    const [wrong, missing] = await Promise.all([
      runHrn(['worker', '--queue', `redis://:wrong-one@127.0.0.1:${s.port}`], { timeoutMs: 60_000 }),
      runHrn(sweepArgs(`redis://127.0.0.1:${s.port}`, join(root, 'no-password'), 1), { timeoutMs: 60_000 }),
    ]);
    expect(wrong.timedOut, wrong.stderr).toBe(false);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`hrn worker: error: cannot use the queue at redis://:***@127.0.0.1:${s.port}: authentication failed: wrong user name or password`);
    expect(wrong.stderr + wrong.stdout).not.toContain('wrong-one');
    expect(missing.timedOut, missing.stderr).toBe(false);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('authentication failed: the server requires a password');
    // Nothing was queued.
    expect(s.cli('keys', '*')).toBe('');
  }, 90_000);
});

describe('the password in what hrn prints', () => {
  it('the worker shows redis://:***@host:port, never the password', async () => {
    const s = await redis({ password: 'pw-not-for-logs' });
    const url = `redis://:pw-not-for-logs@127.0.0.1:${s.port}`;
    const w = background(['worker', '--queue', url], { timeoutMs: 60_000 });
    await until('the worker to wait for runs', () => w.out().includes('waiting for runs'), 50_000);
    process.kill(w.pid(), 'SIGTERM');
    const r = await w.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`worker: waiting for runs on redis://:***@127.0.0.1:${s.port} (queue hrn-runs)`);
    expect(r.stdout + r.stderr).not.toContain('pw-not-for-logs');
  }, 90_000);

  it('a connection lost later is told once and its return too, and the worker goes on', async () => {
    const s = await redis({ password: 'pw2' });
    const w = background(['worker', '--queue', `redis://:pw2@127.0.0.1:${s.port}`], { timeoutMs: 90_000 });
    await until('the worker to wait for runs', () => w.out().includes('waiting for runs'), 50_000);
    await s.down();
    // Several reconnection attempts fail meanwhile (BullMQ retries every second or more).
    await until('the worker to say the connection is lost', () => w.err().includes('lost the connection'), 20_000);
    await new Promise((r) => setTimeout(r, 4000));
    await s.up();
    await until('the worker to say it is connected again', () => w.err().includes('connected to Redis'), 40_000);
    process.kill(w.pid(), 'SIGTERM');
    const r = await w.done;
    expect(r.code, r.stderr).toBe(0);
    // One line for the outage (two if its reason changed, say from "closed" to "refused"), not one per retry.
    const lost = r.stderr.split('\n').filter((l) => l.includes('lost the connection'));
    expect(lost.length, r.stderr).toBeLessThanOrEqual(2);
    expect(new Set(lost).size).toBe(lost.length);
    expect(lost.at(-1)).toBe(`hrn worker: lost the connection to Redis at redis://:***@127.0.0.1:${s.port}: connection refused (nothing listens on 127.0.0.1:${s.port}; is redis-server running?); retrying until it is back`);
    expect(r.stderr).not.toMatch(/ECONNREFUSED/);
    expect(r.stderr).toContain(`hrn worker: connected to Redis at redis://:***@127.0.0.1:${s.port} again`);
    expect(r.stdout + r.stderr).not.toContain('pw2@');
  }, 120_000);
});

describe('Ctrl-C while a sweep follows its queue', () => {
  it('stops following within a second with one line, leaves the run queued, exits 130 (143 for SIGTERM); the same command follows it again to the end', async () => {
    const s = await redis();
    const url = `redis://127.0.0.1:${s.port}`;
    const out = join(root, 'stop-following');
    const args = sweepArgs(url, out, 1);
    const following = (r: { stderr: string }) => /waiting for hrn worker processes/.test(r.stderr);

    /** Runs the sweep until it follows the queue, then sends `signal` to `target` of its processes. */
    const stopAfterFollowing = async (signal: NodeJS.Signals, target: 'group' | 'hrn', redisDown = false) => {
      const sweep = background(args, { timeoutMs: 120_000 });
      await until('the sweep to follow the queue', () => following({ stderr: sweep.err() }) || sweep.ended(), 60_000);
      expect(sweep.ended(), sweep.err()).toBe(false);
      if (redisDown) {
        await s.down();
        await until('the sweep to lose Redis', () => sweep.err().includes('lost the connection') || sweep.ended(), 30_000);
      }
      const sent = Date.now();
      // A terminal's Ctrl-C reaches every process of the group: hrn's supervising parent passes it on
      // to the command, which gets it twice, and must take that as one request.
      process.kill(target === 'group' ? -sweep.pid() : sweep.pid(), signal);
      const r = await sweep.done;
      return { r, stopMs: Date.now() - sent };
    };

    // The last time Redis is gone meanwhile: BullMQ would wait for it to come back.
    for (const [signal, target, code, redisDown] of [
      ['SIGINT', 'group', 130, false],
      ['SIGTERM', 'hrn', 143, false],
      ['SIGINT', 'hrn', 130, true],
    ] as const) {
      const { r, stopMs } = await stopAfterFollowing(signal, target, redisDown);
      expect(r.timedOut, r.stderr).toBe(false);
      expect(r.code, r.stderr).toBe(code);
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      expect(lines.filter((l) => /stopped following|again:|killed by/.test(l)), r.stderr).toEqual([
        'sweep: stopped following the queue; its runs stay on it and the workers go on training them; run the same command again to resume following them',
      ]);
      expect(r.stdout.trim().split('\n').at(-1)).toBe(`stopped: 0 trained, 0 already finished, 0 failed, of 1; results in ${out}`);
      expect(stopMs).toBeLessThan(10_000);
      // The run is still queued, once, for the workers.
      if (!redisDown) expect(s.cli('llen', 'bull:hrn-runs:wait'), signal).toBe('1');
    }
    await s.up();

    // What the line says works: a worker trains the run, and the same command follows it to the end.
    const worker = background(['worker', '--queue', url], { timeoutMs: 250_000 });
    const again = await runHrn(args, { timeoutMs: 240_000 });
    process.kill(worker.pid(), 'SIGTERM');
    const w = await worker.done;
    expect(again.code, `${again.stderr}\n--- worker\n${w.stdout}${w.stderr}`).toBe(0);
    expect(again.stdout).toContain('done: 1 trained, 0 already finished, 0 failed, of 1');
    expect(w.stdout.match(/^run Tiny seed0 /gm)).toHaveLength(1);
  }, 400_000);
});

describe('a Redis restarted without persistence in the middle of a sweep', () => {
  it('the sweep queues the lost run again and says so; the run finishes once, from its checkpoint', async () => {
    const s = await redis({ password: 'pw3' });
    const url = `redis://:pw3@127.0.0.1:${s.port}`;
    const out = join(root, 'restart');
    const sweep = background(sweepArgs(url, out, 60), { timeoutMs: 400_000 });
    const worker = background(['worker', '--queue', url, '--lock-seconds', '4'], { timeoutMs: 400_000 });
    // Restart Redis (losing every job) while the worker trains the run, past its first epoch.
    await whileRunning('the worker to train an epoch', worker, [sweep], () => /epoch 2\/60/.test(worker.err()), 300_000);
    await s.down();
    await s.up();
    const r = await sweep.done;
    process.kill(worker.pid(), 'SIGTERM');
    const w = await worker.done;
    const all = `--- sweep\n${r.stdout}${r.stderr}\n--- worker\n${w.stdout}${w.stderr}`;
    expect(r.timedOut, all).toBe(false);
    expect(r.code, all).toBe(0);
    expect(r.stderr).toMatch(/sweep: Tiny seed0 was no longer on the queue \(did Redis restart without persistence\?\); queued it again/);
    expect(r.stdout).toContain('done: 1 trained, 0 already finished, 0 failed, of 1');
    expect(w.stdout).toMatch(/lost the lock of job Tiny-[0-9a-f]{12}-s0 \(Redis restarted/);
    const id = readdirSync(out).find((d) => /^Tiny-[0-9a-f]{12}-s0$/.test(d))!;
    const result = JSON.parse(readFileSync(join(out, id, 'result.json'), 'utf8'));
    expect(result.history.map((h: { epoch: number }) => h.epoch)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    // Trained to the end once: the stopped attempt saved a checkpoint and the next one resumed it.
    const log = readJsonl(join(out, id, 'train.jsonl'));
    expect(log.filter((e) => e.event === 'end').length).toBe(1);
    expect(log.filter((e) => e.event === 'start').length).toBe(1);
    expect(log.filter((e) => e.event === 'resume').length).toBeGreaterThanOrEqual(1);
    expect(all).not.toContain('pw3@');
    expect(r.peakMiB).toBeLessThan(2048);
    expect(w.peakMiB).toBeLessThan(4096);
  }, 450_000);
});

describe('a training process killed on its own (the OOM killer)', () => {
  it('names the signal, drops Dawn warnings from reasons', () => {
    expect(childFailure({ code: null, signal: 'SIGKILL', stderr: DAWN_WARNINGS })).toBe('the training process was killed by SIGKILL (out of memory?)');
    expect(childFailure({ code: 3, signal: null, stderr: `${DAWN_WARNINGS}something broke\n${DAWN_WARNINGS}` })).toBe('the training process exited with status 3: something broke');
    expect(childFailure({ code: 3, signal: null, stderr: DAWN_WARNINGS })).toBe('the training process exited with status 3 without a message');
    expect(childFailure({ code: null, signal: 'SIGKILL', stderr: `${DAWN_WARNINGS}epoch 1/3  loss 2.3\n` })).toBe('the training process was killed by SIGKILL (out of memory?)');
    expect(childFailure({ code: 1, signal: null, stderr: `${DAWN_WARNINGS}hrn worker: error: the data set has 10 classes\n` })).toBe('the training process exited with status 1: the data set has 10 classes');
  });

  it("HRN_DAWN_WARNINGS=1 leaves the training child's stderr untouched; otherwise Dawn's two warnings are dropped", () => {
    const relay = (env: NodeJS.ProcessEnv) => {
      const f = childStderrFilter(env);
      // Split mid-line, as pipe reads split it.
      const text = `${DAWN_WARNINGS}epoch 1/3  loss 2.3\npartial`;
      return f.push(text.slice(0, 50)) + f.push(text.slice(50)) + f.end();
    };
    expect(relay({ HRN_DAWN_WARNINGS: '1' })).toBe(`${DAWN_WARNINGS}epoch 1/3  loss 2.3\npartial`);
    expect(relay({})).toBe('epoch 1/3  loss 2.3\npartial');
    expect(relay({ HRN_DAWN_WARNINGS: '0' })).toBe('epoch 1/3  loss 2.3\npartial');
  });

  it('the run is tried again and finishes; the sweep says why the attempt failed', async () => {
    const s = await redis();
    const url = `redis://127.0.0.1:${s.port}`;
    const out = join(root, 'oom');
    // The worker's temporary directory names its training child on the command line.
    const scratch = mkdtempSync(join(tmpdir(), 'hrn-oom-'));
    const sweep = background(sweepArgs(url, out, 12), { timeoutMs: 400_000 });
    const worker = background(['worker', '--queue', url], { timeoutMs: 400_000, env: { TMPDIR: scratch } });
    await whileRunning('the worker to train an epoch', worker, [sweep], () => /epoch 2\/12/.test(worker.err()), 300_000);
    const child = readdirSync('/proc').find((p) => {
      if (!/^\d+$/.test(p)) return false;
      try {
        const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
        return cmd.includes('--train-run') && cmd.includes(scratch);
      } catch {
        return false;
      }
    });
    expect(child, 'the training child').toBeDefined();
    process.kill(Number(child), 'SIGKILL');
    const r = await sweep.done;
    process.kill(worker.pid(), 'SIGTERM');
    const w = await worker.done;
    rmSync(scratch, { recursive: true, force: true });
    const all = `--- sweep\n${r.stdout}${r.stderr}\n--- worker\n${w.stdout}${w.stderr}`;
    expect(r.timedOut, all).toBe(false);
    expect(r.code, all).toBe(0);
    expect(r.stderr).toContain('sweep: Tiny seed0: attempt 1 of 3 failed: the training process was killed by SIGKILL (out of memory?); it will be tried again');
    expect(w.stdout).toContain('failed Tiny seed0: the training process was killed by SIGKILL (out of memory?); the queue retries it (attempt 1 of 3)');
    expect(w.stdout).toMatch(/run Tiny seed0 \(\S+\), attempt 2 of 3/);
    expect(r.stdout).toContain('done: 1 trained, 0 already finished, 0 failed, of 1');
    expect(r.stderr).not.toMatch(/Warning: maxDynamic/);
    const id = readdirSync(out).find((d) => /^Tiny-[0-9a-f]{12}-s0$/.test(d))!;
    expect(existsSync(join(out, id, 'error.json'))).toBe(false);
    expect(JSON.parse(readFileSync(join(out, id, 'result.json'), 'utf8')).epochs).toBe(12);
  }, 450_000);
});

describe('rediss:// (TLS)', () => {
  it('a worker and a sweep over TLS train a run; redis:// against the TLS port says to use rediss://', async () => {
    const tlsDir = mkdtempSync(join(root, 'tls-'));
    const s = await redis({ tls: selfSignedCert(tlsDir) });
    // The test's certificate authority, as a user would give a private one to Node.
    const env = { NODE_EXTRA_CA_CERTS: join(tlsDir, 'cert.pem') };
    const url = `rediss://127.0.0.1:${s.port}`;
    const out = join(root, 'tls-runs');
    const worker = background(['worker', '--queue', url], { timeoutMs: 300_000, env });
    await until('the worker to wait for runs', () => worker.out().includes('waiting for runs') || worker.err().includes('error'), 50_000);
    expect(worker.out(), worker.err()).toContain(`worker: waiting for runs on rediss://127.0.0.1:${s.port} (queue hrn-runs)`);
    const r = await runHrn(sweepArgs(url, out, 1), { timeoutMs: 250_000, env });
    process.kill(worker.pid(), 'SIGTERM');
    const w = await worker.done;
    expect(r.code, `${r.stderr}\n--- worker\n${w.stdout}${w.stderr}`).toBe(0);
    expect(r.stdout).toContain('done: 1 trained, 0 already finished, 0 failed, of 1');

    const plain = await runHrn(['worker', '--queue', `redis://127.0.0.1:${s.port}`], { timeoutMs: 60_000, env });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('(if it expects TLS, use rediss://)');
  }, 400_000);
});
