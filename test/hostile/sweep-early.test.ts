// Hostile cases of issue section 7: a sweep fails before it trains (or queues) anything when any of
// its runs cannot be trained, naming every problem at once; `hrn check` runs a sweep block's
// pipelines against the networks they apply to; and Ctrl-C during a local sweep says how to go on
// (start the same command again: a sweep has no --resume) in clean lines, on a terminal too.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunConfig } from '../../src/sweep/expand.js';
import { SweepProgress } from '../../src/sweep/progress.js';
import { installTrainingInterrupt } from '../../src/train/interrupt.js';
import { hrn } from '../run-cli.js';
import { TINY_HRN, writeTinyFashion } from '../sweep-fixtures.js';
import { runHrn } from './bounded.js';
import { freePort } from '../free-port.js';
import { TestRedis } from './redis.js';

const root = mkdtempSync(join(tmpdir(), 'hrn-hostile-sweep-early-'));
let data = '';
let file = '';

beforeAll(() => {
  data = writeTinyFashion(join(root, 'fm'));
  file = join(root, 'tiny.hrn');
  writeFileSync(file, TINY_HRN);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('every run is checked before the first one trains', () => {
  it('a bad --data: one message for all runs, exit 1, nothing trained or written', async () => {
    const out = join(root, 'bad-data');
    const r = await runHrn(['sweep', file, '--data', `fashion-mnist:${join(root, 'nowhere')}`, '--seeds', '0,1,2', '--epochs', '1', '--out', out], { timeoutMs: 60_000 });
    expect(r.timedOut).toBe(false);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      'hrn sweep: error: 3 of 3 runs cannot be trained; nothing was trained:',
      `  ${join(root, 'nowhere')}: IDX data set directory does not exist (3 runs: Tiny seed0, Tiny seed1, Tiny seed2)`,
    ]);
    // No device was opened, no run directory made.
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
    expect(r.ms).toBeLessThan(30_000);
    expect(r.peakMiB).toBeLessThan(1024);
  }, 90_000);

  it('runs whose network does not fit the data are all named; the good runs are not trained either', async () => {
    const out = join(root, 'bad-classes');
    const r = await runHrn(['sweep', file, '--grid', 'k=10|5|4', '--seeds', '0,1', '--data', data, '--epochs', '1', '--batch', '10', '--out', out], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe('hrn sweep: error: 4 of 6 runs cannot be trained; nothing was trained:');
    expect(lines.slice(1).sort()).toEqual([
      `  ${data}: the data set has 10 classes but the network declares only 4 (2 runs: Tiny k=4 seed0, Tiny k=4 seed1)`,
      `  ${data}: the data set has 10 classes but the network declares only 5 (2 runs: Tiny k=5 seed0, Tiny k=5 seed1)`,
    ]);
    expect(existsSync(out)).toBe(false);
  }, 90_000);

  it('a batch larger than the training set is found before training', async () => {
    const r = await hrn('sweep', file, '--data', data, '--subset', '20', '--batch', '32', '--out', join(root, 'big-batch'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('1 of 1 run cannot be trained; nothing was trained:');
    expect(r.err).toContain('20 training images are fewer than one batch of 32 (1 run: Tiny seed0)');
  });

  it('in queue mode Redis is reached first: a dead port is told before any data set is read, and nothing is written', async () => {
    // Nothing listens on this port. One sweep's data set does not exist: the Redis error must come
    // first (checking the runs would read every data set). The other's data is fine: before Redis
    // failed, its runs directory was already written.
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const [missing, fine] = await Promise.all([
      runHrn(['sweep', file, '--data', `mnist:${join(root, 'nowhere')}`, '--out', join(root, 'dead-queue-1'), '--queue', url], { timeoutMs: 60_000 }),
      runHrn(['sweep', file, '--data', data, '--batch', '10', '--out', join(root, 'dead-queue-2'), '--queue', url], { timeoutMs: 60_000 }),
    ]);
    for (const r of [missing, fine]) {
      expect(r.timedOut).toBe(false);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr.trim()).toBe(`hrn sweep: error: cannot use the queue at ${url}: connection refused (nothing listens on 127.0.0.1:${port}; is redis-server running?)`);
      expect(r.ms).toBeLessThan(30_000);
    }
    expect(existsSync(join(root, 'dead-queue-1'))).toBe(false);
    expect(existsSync(join(root, 'dead-queue-2'))).toBe(false);
  }, 90_000);

  it('in queue mode with Redis up, the runs are checked before anything is queued or written', async () => {
    const s = await TestRedis.start();
    try {
      const out = join(root, 'bad-data-queue');
      const r = await runHrn(['sweep', file, '--data', `mnist:${join(root, 'nowhere')}`, '--out', out, '--queue', `redis://127.0.0.1:${s.port}`], { timeoutMs: 60_000 });
      expect(r.timedOut).toBe(false);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain('hrn sweep: error: 1 of 1 run cannot be trained; nothing was queued:');
      expect(existsSync(out)).toBe(false);
      expect(s.cli('keys', '*')).toBe('');
    } finally {
      await s.close();
    }
  }, 90_000);

  it('networks and pipelines: every problem in one report, not the first alone', async () => {
    const r = await hrn('sweep', file, '--data', data, '--grid', 'm=2|3', '--pipeline', 'none', '--pipeline', 'cull S9', '--pipeline', 'thin S7', '--dry-run');
    expect(r.code).toBe(1);
    expect(r.err).toContain("<pipeline cull S9>:1:6: error: cull: no stage 'S9'");
    expect(r.err).toContain("<pipeline thin S7>:1:6: error: thin: no stage 'S7'");
    // The same problem for m=2 and m=3 is told once.
    expect(r.err.match(/no stage 'S9'/g)).toHaveLength(1);
    expect(r.err.trim().split('\n').at(-1)).toBe('2 errors');
  });
});

describe('hrn check runs the pipelines of a sweep block against its networks', () => {
  const TWO = `network Two {
  input   1x28x28
  classes 10
  stem    conv3x3(2)
  stages  depths [1, 1] widths [2]
  head    avgpool fc
}

network Three {
  input   1x28x28
  classes 10
  stem    conv3x3(2)
  stages  depths [1, 1, 1] widths [2, 2]
  head    avgpool fc
}

pipeline deep { cull S3 }
`;

  it('cull S9 is reported at its line and column, with a caret', async () => {
    const path = join(root, 'cull-s9.hrn');
    writeFileSync(path, `${TINY_HRN}\nsweep s {\n  grid m = [2, 3]\n  pipelines [none, "cull S1; cull S9"]\n}\n`);
    const r = await hrn('check', path);
    expect(r.code).toBe(1);
    const at = TINY_HRN.split('\n').length + 3;
    const col = '  pipelines [none, "cull S1; cull '.length + 1;
    expect(r.err).toContain(`${path}:${at}:${col}: error: sweep s: pipelines: network 'Tiny': cull: no stage 'S9' (this network has S1, S2)`);
    expect(r.err).toContain(`  pipelines [none, "cull S1; cull S9"]\n${' '.repeat(col + 1)}^~`);
    expect(r.err.trim().split('\n').at(-1)).toBe('1 error');
    // `hrn sweep` reads the block the same way, before anything runs.
    const s = await hrn('sweep', path, '--data', data, '--dry-run');
    expect(s.code).toBe(1);
    expect(s.err).toContain(`${path}:${at}:${col}: error: sweep s: pipelines:`);
  });

  it('a pipeline is checked against each network it applies to; a named one at its name', async () => {
    const path = join(root, 'per-network.hrn');
    writeFileSync(path, `${TWO}\nsweep s {\n  pipelines ["cull S3", deep]\n}\n`);
    const r = await hrn('check', path);
    expect(r.code).toBe(1);
    const line = TWO.split('\n').length + 2;
    expect(r.err).toContain(`${path}:${line}:${'  pipelines ["cull '.length + 1}: error: sweep s: pipelines: network 'Two': cull: no stage 'S3' (this network has S1, S2)`);
    expect(r.err).toContain(`${path}:${line}:${'  pipelines ["cull S3", '.length + 1}: error: sweep s: pipelines: network 'Two' (line 17): cull: no stage 'S3' (this network has S1, S2)`);
    expect(r.err).not.toContain("network 'Three'");
    // Swept over Three alone, the same block is fine.
    writeFileSync(path, `${TWO}\nsweep s {\n  network Three\n  pipelines ["cull S3", deep]\n}\n`);
    const ok = await hrn('check', path);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
  });

  it('a pipeline that fails for some values of an axis says for which', async () => {
    const path = join(root, 'per-value.hrn');
    // Halving m channels leaves whole channels only for an even m.
    writeFileSync(path, `${TINY_HRN}\nsweep s {\n  grid m = [4, 3, 6, 5]\n  pipelines ["scale 0.5"]\n}\n`);
    const r = await hrn('check', path);
    expect(r.code).toBe(1);
    const at = `${path}:${TINY_HRN.split('\n').length + 3}:${'  pipelines ["scale '.length + 1}`;
    expect(r.err).toContain(`${at}: error: sweep s: pipelines: network 'Tiny' with m=3: scale 0.5: Tiny would get channel counts that are not whole numbers: stem 3 -> 1.5`);
    expect(r.err).toContain(`${at}: error: sweep s: pipelines: network 'Tiny' with m=5: scale 0.5:`);
    expect(r.err).not.toMatch(/m=4|m=6/);
    expect(r.err.trim().split('\n').at(-1)).toBe('2 errors');
  });
});

/**
 * What a terminal shows after `text` is written to it: enough of VT100 for cli-progress (carriage
 * return, line feed, cursor save/restore, column moves, line erases).
 */
function screen(text: string): string[] {
  const rows: string[][] = [[]];
  let row = 0;
  let col = 0;
  let saved = { row: 0, col: 0 };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\x1b') {
      const csi = /^\x1b\[(\??)(\d*)([A-Za-z])/.exec(text.slice(i));
      if (text[i + 1] === '7') saved = { row, col };
      else if (text[i + 1] === '8') ({ row, col } = saved);
      if (csi) {
        const n = csi[2] === '' ? undefined : Number(csi[2]);
        if (csi[1] === '' && csi[3] === 'G') col = (n ?? 1) - 1;
        else if (csi[1] === '' && csi[3] === 'K') rows[row] = n === 2 ? [] : n === 1 ? rows[row].map((ch, k) => (k <= col ? ' ' : ch)) : rows[row].slice(0, col);
        i += csi[0].length - 1;
      } else i += 1;
      continue;
    }
    if (c === '\r') col = 0;
    else if (c === '\n') {
      row++;
      col = 0;
      rows[row] ??= [];
    } else {
      rows[row] ??= [];
      while (rows[row].length < col) rows[row].push(' ');
      rows[row][col++] = c;
    }
  }
  return rows.map((r) => r.join('').trimEnd()).filter((l) => l !== '');
}

describe('Ctrl-C during a local sweep', () => {
  it('a real SIGINT: the checkpoint is saved, the hint says to run the same command again, every line whole; doing so finishes the sweep', async () => {
    const out = join(root, 'interrupted');
    const args = ['sweep', file, '--data', data, '--epochs', '30', '--batch', '10', '--subset', '40', '--lr', '0.05', '--out', out];
    let err = '';
    let sent = false;
    const r = await runHrn(args, {
      timeoutMs: 240_000,
      onStderr: (chunk, pid) => {
        err += chunk;
        // After the first epoch: training, and far from the run's end.
        if (!sent && /^epoch 1\/30 /m.test(err)) {
          sent = true;
          process.kill(pid, 'SIGINT');
        }
      },
    });
    expect(r.timedOut, r.stderr).toBe(false);
    expect(r.code, r.stderr).toBe(130);
    const id = readdirSync(out).find((d) => /^Tiny-[0-9a-f]{12}-s0$/.test(d))!;
    const ckpt = join(out, id, 'checkpoint');
    const lines = r.stderr.split('\n');
    expect(lines).toContain('SIGINT: finishing this step, saving a checkpoint, then stopping (press Ctrl-C again to quit at once)');
    const hint = lines.filter((l) => l.startsWith('interrupted: '));
    expect(hint).toHaveLength(1);
    expect(hint[0].startsWith(`interrupted: checkpoint saved to ${ckpt} (`)).toBe(true);
    expect(hint[0].endsWith('); run the same command again to continue the sweep')).toBe(true);
    expect(r.stdout + r.stderr).not.toContain('--resume');
    expect(r.stdout + r.stderr).not.toMatch(/[\r\x1b]/);
    expect(r.stdout.split('\n').filter((l) => l !== '').at(-1)).toBe(`stopped: 0 trained, 0 already finished, 0 failed, of 1; results in ${out}`);
    expect(existsSync(join(out, id, 'result.json'))).toBe(false);

    // What the hint says works: the same command continues the run from its checkpoint.
    const again = await runHrn(args, { timeoutMs: 240_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(new RegExp(`^resumed from ${ckpt.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: epoch `, 'm'));
    expect(again.stdout).toContain(`done: 1 trained, 0 already finished, 0 failed, of 1; results in ${out}`);
    expect(JSON.parse(readFileSync(join(out, id, 'result.json'), 'utf8')).epochs).toBe(30);
  }, 480_000);
});

describe('Ctrl-C on a terminal', () => {
  it('the message and the lines after it are not drawn over by the progress bar', () => {
    let written = '';
    const tty = { isTTY: true, columns: 120, write: (s: string) => ((written += s), true) };
    const progress = new SweepProgress(tty);
    const run = { label: 'Tiny seed0', counts: { relus: 6272 }, train: { epochs: 3 } } as RunConfig;
    progress.begin(1, 0);
    progress.startRun(run);
    const train = progress.trainProgress(run);
    train.startEpoch(1, 4);
    train.update(2, 20, 2.3, 0.05);
    // The handler `hrn sweep` installs, sent the signal it handles (the test runner's own handlers set aside).
    const others = process.listeners('SIGINT');
    process.removeAllListeners('SIGINT');
    const interrupt = installTrainingInterrupt({ stream: progress.messageStream(), exit: () => {} });
    try {
      process.emit('SIGINT', 'SIGINT');
    } finally {
      interrupt.dispose();
      for (const l of others) process.on('SIGINT', l);
    }
    // What the training loop does next: stop the bar, then say where the checkpoint went.
    train.stop();
    progress.note('interrupted: checkpoint saved to OUT/checkpoint (epoch 1, batch 2/4); run the same command again to continue the sweep');
    written += 'stopped: 0 trained, 0 already finished, 0 failed, of 1; results in OUT\n';
    expect(screen(written)).toEqual([
      'sweep: 1 run, 0 already finished, 1 to train',
      '[1/1] Tiny seed0  (6,272 ReLUs)',
      'SIGINT: finishing this step, saving a checkpoint, then stopping (press Ctrl-C again to quit at once)',
      'interrupted: checkpoint saved to OUT/checkpoint (epoch 1, batch 2/4); run the same command again to continue the sweep',
      'stopped: 0 trained, 0 already finished, 0 failed, of 1; results in OUT',
    ]);
  });
});
