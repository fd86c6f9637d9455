// Optimizer, learning-rate schedule, JSON-lines log, progress output and the Ctrl-C helper.

import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { installInterruptHandler } from '../src/train/interrupt.js';
import { JsonlLogger, readJsonl } from '../src/train/log.js';
import { TrainProgress, type ProgressStream } from '../src/train/progress.js';
import { cosineSchedule, learningRate } from '../src/train/schedule.js';
import { Sgd, sgdUpdate } from '../src/train/sgd.js';
import type { Weights } from '../src/weights/weights.js';

const root = mkdtempSync(join(tmpdir(), 'hrn-train-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('SGD (PyTorch semantics)', () => {
  it('momentum 0.9 and weight decay 5e-4 by default: two steps by hand', () => {
    const w = new Float32Array([1, -2]);
    const buf = new Float32Array(2);
    const g = [0.5, 0.25];
    sgdUpdate(w, g, buf, 0.1);
    // d = g + 5e-4 w; buf = d; w -= 0.1 d
    const d1 = [0.5 + 5e-4 * 1, 0.25 + 5e-4 * -2];
    const w1 = [1 - 0.1 * d1[0], -2 - 0.1 * d1[1]];
    expect(buf[0]).toBeCloseTo(d1[0], 7);
    expect(w[0]).toBeCloseTo(w1[0], 6);
    expect(w[1]).toBeCloseTo(w1[1], 6);
    sgdUpdate(w, g, buf, 0.05);
    const d2 = [0.5 + 5e-4 * w1[0], 0.25 + 5e-4 * w1[1]];
    const b2 = [0.9 * d1[0] + d2[0], 0.9 * d1[1] + d2[1]];
    expect(buf[1]).toBeCloseTo(b2[1], 6);
    expect(w[0]).toBeCloseTo(w1[0] - 0.05 * b2[0], 6);
  });
  it('nesterov and no decay', () => {
    const w = new Float32Array([1]);
    const buf = new Float32Array([0.2]);
    sgdUpdate(w, [1], buf, 0.1, 0.9, 0, true);
    // b = 0.9 * 0.2 + 1 = 1.18; step = d + 0.9 b = 1 + 1.062
    expect(buf[0]).toBeCloseTo(1.18, 6);
    expect(w[0]).toBeCloseTo(1 - 0.1 * 2.062, 6);
  });
  it('the optimizer class: named parameters, per-name decay, buffers that reload', () => {
    const weights: Weights = new Map([
      ['a.weight', { shape: [2], data: new Float32Array([1, 1]) }],
      ['a.bias', { shape: [1], data: new Float32Array([1]) }],
    ]);
    const sgd = new Sgd(weights, ['a.weight', 'a.bias'], { weightDecay: 0.1, decay: (n) => n.endsWith('.weight') });
    sgd.step(weights, new Map([['a.weight', [0, 0]], ['a.bias', [0]]]), 1);
    expect(weights.get('a.weight')!.data[0]).toBeCloseTo(0.9, 6);
    expect(weights.get('a.bias')!.data[0]).toBe(1);
    const again = new Sgd(weights, ['a.weight', 'a.bias']);
    again.loadBuffers(sgd.buffers);
    expect(Array.from(again.buffers.get('a.weight')!.data)).toEqual(Array.from(sgd.buffers.get('a.weight')!.data));
    expect(() => sgd.step(weights, new Map(), 1)).toThrow(/no gradient for a.weight/);
    expect(() => new Sgd(weights, ['nope'])).toThrow(/no parameter nope/);
  });
});

describe('cosine learning rate with linear warm-up', () => {
  it('without warm-up it is CosineAnnealingLR: 0.1 at 0, 0.05 halfway, min at the end and after', () => {
    const s = cosineSchedule({ baseLr: 0.1, totalSteps: 200 });
    expect(learningRate(s, 0)).toBeCloseTo(0.1, 12);
    expect(learningRate(s, 100)).toBeCloseTo(0.05, 12);
    expect(learningRate(s, 50)).toBeCloseTo(0.05 * (1 + Math.cos(Math.PI / 4)), 12);
    expect(learningRate(s, 200)).toBeCloseTo(0, 12);
    expect(learningRate(s, 250)).toBeCloseTo(0, 12);
  });
  it('warms up linearly, then anneals from the base to the minimum', () => {
    const s = cosineSchedule({ baseLr: 0.2, minLr: 0.002, warmupSteps: 4, totalSteps: 14 });
    [0.05, 0.1, 0.15, 0.2].forEach((v, i) => expect(learningRate(s, i)).toBeCloseTo(v, 12));
    expect(learningRate(s, 4)).toBeCloseTo(0.2, 12);
    expect(learningRate(s, 9)).toBeCloseTo(0.101, 12);
    expect(learningRate(s, 14)).toBeCloseTo(0.002, 12);
  });
  it('validates', () => {
    expect(() => cosineSchedule({ totalSteps: 0 })).toThrow(/totalSteps/);
    expect(() => cosineSchedule({ totalSteps: 5, warmupSteps: 6 })).toThrow(/warmupSteps/);
    expect(() => cosineSchedule({ totalSteps: 5, baseLr: 0.1, minLr: 0.2 })).toThrow(/minLr/);
  });
});

describe('JSON-lines log', () => {
  it('appends one flushed JSON object per line, across reopenings', () => {
    const path = join(root, 'logs', 'train.jsonl');
    const a = new JsonlLogger(path);
    a.log({ event: 'start', epochs: 2 });
    a.log({ event: 'epoch', epoch: 1, loss: 1.5 });
    // Flushed per line: visible before close.
    expect(readFileSync(path, 'utf8').split('\n').length).toBe(3);
    a.close();
    const b = new JsonlLogger(path);
    b.log({ event: 'epoch', epoch: 2, loss: 1.25 });
    b.sync();
    b.close();
    const recs = readJsonl(path);
    expect(recs.map((r) => r.event)).toEqual(['start', 'epoch', 'epoch']);
    expect(recs[2]).toMatchObject({ epoch: 2, loss: 1.25 });
    expect(typeof recs[0].time).toBe('string');
    expect(() => b.log({})).toThrow(/closed/);
  });
  it('a line cut short by a crash is skipped when reading', () => {
    const path = join(root, 'cut.jsonl');
    const l = new JsonlLogger(path);
    l.log({ a: 1 });
    l.close();
    appendFileSync(path, '{"a": 2, "b"');
    expect(readJsonl(path)).toEqual([expect.objectContaining({ a: 1 })]);
  });
});

class Capture implements ProgressStream {
  text = '';
  constructor(readonly isTTY: boolean) {}
  columns = 120;
  write(s: string): boolean {
    this.text += s;
    return true;
  }
  cursorTo(): boolean {
    return true;
  }
  clearLine(): boolean {
    return true;
  }
  moveCursor(): boolean {
    return true;
  }
  clearScreenDown(): boolean {
    return true;
  }
}

describe('progress', () => {
  it('prints exactly one line per epoch when the stream is not a terminal', () => {
    const out = new Capture(false);
    let t = 0;
    const p = new TrainProgress({ epochs: 2, stream: out, now: () => t });
    for (let e = 1; e <= 2; e++) {
      p.startEpoch(e, 10);
      for (let b = 1; b <= 10; b++) {
        t += 100;
        p.update(b, b * 128, 2 / b, 0.1);
      }
      p.endEpoch({ loss: 1.2345678, lr: 0.1, accuracy: 0.5, testAccuracy: 0.4567 });
    }
    const lines = out.text.trimEnd().split('\n');
    expect(lines).toEqual([
      'epoch 1/2  loss 1.2346  acc 50.00%  test 45.67%  lr 0.1000  1280 img/s  1.0s',
      'epoch 2/2  loss 1.2346  acc 50.00%  test 45.67%  lr 0.1000  1280 img/s  1.0s',
    ]);
  });
  it('draws a bar with images/s, loss and lr on a terminal', () => {
    const out = new Capture(true);
    let t = 0;
    const p = new TrainProgress({ epochs: 200, stream: out, now: () => t });
    p.startEpoch(3, 4);
    t = 2000;
    p.update(4, 512, 0.75, 0.0005);
    p.endEpoch({ loss: 0.75, lr: 0.0005 });
    expect(out.text).toMatch(/epoch {3}3\/200 \[/); // epoch number padded to the width of 200
    expect(out.text).toMatch(/256 img\/s \| loss 0\.7500 \| lr 5\.00e-4/);
    expect(out.text).toMatch(/epoch 3\/200 {2}loss 0\.7500 {2}lr 5\.00e-4 {2}256 img\/s {2}2\.0s\n$/);
  });
});

describe('kernel compilation progress', () => {
  it('one line when done on a non-terminal; redrawn in place on a terminal', () => {
    for (const tty of [false, true]) {
      const out = new Capture(tty);
      let t = 0;
      const p = new TrainProgress({ epochs: 1, stream: out, now: () => t });
      for (let done = 0; done <= 3; done++) {
        p.compiling(done, 3);
        t += 1500;
      }
      if (tty) expect(out.text).toBe('\rcompiling kernels 0/3\rcompiling kernels 1/3\rcompiling kernels 2/3\rcompiling kernels 3/3 (4.5s)\n');
      else expect(out.text).toBe('compiling kernels 3/3 (4.5s)\n');
    }
  });
});

describe('Ctrl-C', () => {
  it('the first SIGINT sets the flag; the second exits with 130; dispose removes the handler', () => {
    const before = process.listeners('SIGINT');
    const out = new Capture(false);
    const exits: number[] = [];
    const flag = installInterruptHandler({ stream: out, exit: (c) => exits.push(c) });
    const mine = process.listeners('SIGINT').filter((l) => !before.includes(l));
    expect(mine.length).toBe(1);
    const fire = mine[0] as (s: NodeJS.Signals) => void;
    expect(flag.requested).toBe(false);
    fire('SIGINT');
    expect(flag.requested).toBe(true);
    expect(exits).toEqual([]);
    expect(out.text).toMatch(/saving a checkpoint, then stopping \(press Ctrl-C again to quit at once\)/);
    fire('SIGINT');
    expect(exits).toEqual([130]);
    expect(flag.count).toBe(2);
    flag.dispose();
    expect(process.listeners('SIGINT')).toEqual(before);
  });
});
