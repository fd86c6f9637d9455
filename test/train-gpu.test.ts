// Training on the GPU (lavapipe in CI): full steps against the CPU reference step, a short run on
// real Fashion-MNIST (when installed) that must learn, interrupt + resume reproducing an
// uninterrupted run, and the `hrn train` command (outputs, distillation, errors).

import { openTrainer } from '../src/launch/train.js';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommand } from '../src/cli/args.js';
import type { Context } from '../src/cli/command.js';
import { train as trainCommand } from '../src/cli/commands/train.js';
import { UsageError, UserError } from '../src/errors.js';
import { openData } from '../src/data/pipeline.js';
import { residualNetwork } from '../src/ir/factory.js';
import type { LayerGraph } from '../src/ir/graph.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { openDevice, type GpuContext } from '../src/runtime/device.js';
import { loadCheckpoint, networkHash } from '../src/train/checkpoint.js';
import type { InterruptFlag } from '../src/train/interrupt.js';
import { readJsonl } from '../src/train/log.js';
import { installTrainingInterrupt, trainLoop } from '../src/train/loop.js';
import { Sgd } from '../src/train/sgd.js';
import { referenceTrainStep } from '../src/reference/train-step.js';
import { initWeights, perturbWeights, Rng } from '../src/weights/weights.js';
import { copyWeights, normwiseError as relError } from './numeric.js';
import { writeTinyMnist } from './tiny-mnist.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const haveFashion = existsSync(join(FASHION, 'train-images-idx3-ubyte.gz')) || existsSync(join(FASHION, 'train-images-idx3-ubyte'));

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await openDevice();
});
afterAll(() => ctx?.close());

function tinyNet(name = 'tiny', classes = 10): LayerGraph {
  return lowerToGraph(residualNetwork({ name, depths: [1, 1], channels: [8, 16], input: { c: 1, h: 28, w: 28 }, classes }));
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'hrn-train-'));
}

describe('a GPU training step vs referenceTrainStep (CPU)', () => {
  it('weights, momentum and running statistics after three steps (lr 0.1, momentum 0.9, weight decay 5e-4)', async () => {
    const arch = residualNetwork({ name: 'step', depths: [1, 1], channels: [4, 8], input: { c: 3, h: 9, w: 9 }, classes: 6 });
    arch.stages[1].relu = { ...arch.stages[1].relu, thinned: true };
    const g = lowerToGraph(arch);
    const batch = 4;
    const w0 = perturbWeights(initWeights(g, 3), 4);
    const ref = copyWeights(w0);
    const sgd = Sgd.forGraph(g, ref);
    const tr = await openTrainer(ctx, g, w0, { batch });
    try {
      const rng = new Rng(9);
      for (let s = 0; s < 3; s++) {
        const x = rng.fillNormal(new Float32Array(batch * 3 * 9 * 9), 1);
        const labels = Array.from({ length: batch }, (_, i) => (i + s) % 6);
        const r = referenceTrainStep(g, ref, sgd, { size: batch, images: x, labels }, 0.1);
        await tr.step(x, labels, 0.1);
        const sums = await tr.readSums(true);
        expect(sums.loss).toBeCloseTo(r.loss, 4);
        expect(sums.correct).toBe(r.correct);
      }
      const got = await tr.readWeights();
      for (const [name, t] of ref) expect(relError(got.get(name)!.data, t.data), name).toBeLessThan(1e-4);
      const mom = await tr.readMomentum();
      for (const [name, t] of sgd.buffers) expect(relError(mom.get(name)!.data, t.data), `momentum ${name}`).toBeLessThan(1e-4);
    } finally {
      tr.dispose();
    }
  });
});

describe('training the block kinds beyond basic on the GPU path', () => {
  // Tiny networks of each kind: preact (bn-relu before convs, a final bn-relu), plain (VGG-style:
  // max pooling before S2, global max pooling, a hidden fc with its ReLU) and a grouped bottleneck.
  // Two steps must match the CPU reference step exactly (weights within 1e-4); then the network
  // fits a fixed batch (after 16 more steps the loss is below 60% of its start).
  const kinds: [string, () => LayerGraph][] = [
    ['preact', () => lowerToGraph(residualNetwork({ name: 'pre', block: 'preact', depths: [1, 1], channels: [4, 8], input: { c: 3, h: 8, w: 8 }, classes: 5 }))],
    ['plain (maxpool, hidden fc)', () => {
      const a = residualNetwork({ name: 'vgg', block: 'plain', depths: [1, 2], channels: [4, 8], input: { c: 3, h: 8, w: 8 }, classes: 5 });
      return lowerToGraph({ ...a, head: { pool: 'max', hidden: [12], fc: true } });
    }],
    ['bottleneck groups 2', () => lowerToGraph(residualNetwork({ name: 'rgn', block: 'bottleneck', depths: [1, 1], channels: [4, 8], input: { c: 3, h: 8, w: 8 }, classes: 5, groups: 2 }))],
  ];
  it.each(kinds)('%s', async (_kind, build) => {
    const g = build();
    const batch = 6;
    const w0 = perturbWeights(initWeights(g, 5), 6);
    const ref = copyWeights(w0);
    const sgd = Sgd.forGraph(g, ref);
    const tr = await openTrainer(ctx, g, w0, { batch });
    try {
      const x = new Rng(21).fillNormal(new Float32Array(batch * 3 * 8 * 8), 1);
      const labels = Array.from({ length: batch }, (_, i) => i % 5);
      for (let s = 0; s < 2; s++) {
        const r = referenceTrainStep(g, ref, sgd, { size: batch, images: x, labels }, 0.05);
        await tr.step(x, labels, 0.05);
        expect((await tr.readSums(true)).loss).toBeCloseTo(r.loss, 3);
      }
      const got = await tr.readWeights();
      for (const [name, t] of ref) expect(relError(got.get(name)!.data, t.data), name).toBeLessThan(1e-4);
      await tr.step(x, labels, 0.1);
      const first = (await tr.readSums(true)).loss;
      for (let s = 0; s < 15; s++) await tr.step(x, labels, 0.1);
      tr.resetSums();
      await tr.step(x, labels, 0.1);
      const last = (await tr.readSums(true)).loss;
      expect(last).toBeLessThan(0.6 * first);
    } finally {
      tr.dispose();
    }
  }, 600_000); // pipeline creation on lavapipe is slow when the machine is loaded
});

/** An interrupt flag that trips after `after` polls (the loop polls once per step). */
function interruptAfter(after: number): InterruptFlag {
  let polls = 0;
  return {
    get requested() {
      return ++polls > after;
    },
    get count() {
      return polls > after ? 1 : 0;
    },
    dispose() {},
  };
}

describe.skipIf(!haveFashion)('training on Fashion-MNIST (a subset)', () => {
  it('the loss falls and test accuracy is far above chance', async () => {
    const g = tinyNet();
    const data = openData(`fashion-mnist:${FASHION}`, g.nodes[0].shape, 10, {
      batchSize: 50,
      evalBatchSize: 250,
      seed: 1,
      subset: { count: 3000, mode: 'stratified' },
      testSubset: { count: 1000, mode: 'first' },
      augment: false,
    });
    const r = await trainLoop({
      ctx,
      graph: g,
      network: { name: g.name, hash: networkHash(g) },
      train: data.train!,
      test: data.test,
      epochs: 3,
      lr: 0.1,
      seed: 1,
      logEvery: 20,
    });
    const losses = r.history.map((h) => h.loss as number);
    expect(losses[2]).toBeLessThan(losses[0]);
    expect(losses[0]).toBeLessThan(2.3);
    const acc = r.history[2].testAccuracy as number;
    expect(acc).toBeGreaterThan(0.6);
    expect(r.history[2].trainAccuracy as number).toBeGreaterThan(0.5);
  });

  it('interrupt mid-epoch, save, resume: the same weights as an uninterrupted run', async () => {
    const g = tinyNet('resume');
    const data = openData(`fashion-mnist:${FASHION}`, g.nodes[0].shape, 10, {
      batchSize: 40,
      seed: 2,
      subset: { count: 400, mode: 'stratified' },
      testSubset: { count: 200, mode: 'first' },
    });
    const common = {
      ctx,
      graph: g,
      network: { name: g.name, hash: networkHash(g) },
      train: data.train!,
      test: data.test,
      epochs: 2,
      lr: 0.05,
      seed: 2,
    };
    const straight = await trainLoop(common);
    const dir = tempDir();
    const first = await trainLoop({ ...common, outDir: dir, interrupt: interruptAfter(13) });
    expect(first.interrupted).toBe(true);
    const ck = loadCheckpoint(join(dir, 'checkpoint'));
    expect(ck.state.epoch).toBe(1);
    expect(ck.state.batchInEpoch).toBe(3);
    const second = await trainLoop({ ...common, outDir: dir, resume: true });
    expect(second.interrupted).toBe(false);
    expect(second.epochs).toBe(2);
    for (const [name, t] of straight.weights) expect(relError(second.weights.get(name)!.data, t.data), name).toBeLessThan(1e-5);
    expect(second.history.length).toBe(2);
    expect(second.history[1].loss as number).toBeCloseTo(straight.history[1].loss as number, 4);
    const log = readJsonl(join(dir, 'train.jsonl')).map((r) => r.event);
    expect(log).toContain('interrupted');
    expect(log).toContain('resume');
    expect(log[log.length - 1]).toBe('end');
  });
});

function cliContext(): { ctx: Context; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    ctx: { io: { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`) }, sources: new Map() },
    out: () => out,
    err: () => err,
  };
}

async function hrnTrain(...argv: string[]) {
  const c = cliContext();
  const code = await trainCommand.run(parseCommand(trainCommand.spec, argv), c.ctx);
  return { code, out: c.out(), err: c.err() };
}

const TINY_HRN = `network Tiny {
  param m = 4
  input   1x28x28
  classes 10
  stem    conv3x3(m)
  block   basic
  stages  depths [1, 1] channels [4, 8]
  head    avgpool fc
}
`;

describe('hrn train', () => {
  it.skipIf(!haveFashion)('writes a checkpoint and a log, resumes, and distils into a student (DKD)', async () => {
    const dir = tempDir();
    const file = join(dir, 'tiny.hrn');
    writeFileSync(file, TINY_HRN);
    const teacherOut = join(dir, 'teacher');
    const common = ['--data', `fashion-mnist:${FASHION}`, '--subset', '200', '--test-subset', '100', '--batch', '50', '--lr', '0.05'];
    const t = await hrnTrain(file, ...common, '--epochs', '1', '--out', teacherOut);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/Tiny: [\d,]+ ReLUs/);
    expect(t.out).toMatch(/done: 1 epoch, test accuracy [\d.]+%/);
    expect(t.err).toMatch(/epoch 1\/1 +loss [\d.]+ +acc [\d.]+% +test [\d.]+%/);
    const ck = loadCheckpoint(join(teacherOut, 'checkpoint'));
    expect(ck.state.epoch).toBe(1);
    expect((ck.state.extra as { normalization?: unknown }).normalization).toBeDefined();
    const log = readFileSync(join(teacherOut, 'train.jsonl'), 'utf8');
    expect(log).toContain('"event":"epoch"');

    // two more epochs on top of the first
    const more = await hrnTrain(file, ...common, '--epochs', '2', '--out', teacherOut, '--resume');
    expect(more.code).toBe(0);
    expect(more.out).toContain('resumed from');
    expect(loadCheckpoint(join(teacherOut, 'checkpoint')).state.epoch).toBe(2);

    // --teacher takes the run directory itself (its checkpoint/ is used)
    const student = await hrnTrain(file, ...common, '--set', 'm=2', '--epochs', '1', '--out', join(dir, 'student'), '--teacher', teacherOut, '--kd', 'dkd');
    expect(student.code).toBe(0);
    expect(student.out).toContain('dkd distillation from Tiny');
    const sck = loadCheckpoint(join(dir, 'student', 'checkpoint'));
    expect(sck.state.metrics[0].nckd).toBeTypeOf('number');
  });

  it('--profile gpu trains on lavapipe to the losses --profile cpu gives, step by step (the sums run in another order)', async () => {
    const dir = tempDir();
    writeTinyMnist(dir, 80);
    const file = join(dir, 'tiny.hrn');
    writeFileSync(file, TINY_HRN);
    const run = async (profile: string) => {
      const out = join(dir, profile);
      const r = await hrnTrain(file, '--data', `mnist:${dir}`, '--epochs', '1', '--batch', '20', '--lr', '0.1', '--log-every', '1', '--eval-batch', '40', '--out', out, '--profile', profile);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain(`kernel schedules: --profile ${profile}`);
      return readJsonl(join(out, 'train.jsonl')).filter((e) => e.event === 'step').map((e) => e.loss as number);
    };
    const cpu = await run('cpu');
    const gpu = await run('gpu');
    // 80 images in batches of 20
    expect(cpu).toHaveLength(4);
    expect(gpu).toHaveLength(4);
    cpu.forEach((l, i) => expect(Math.abs(gpu[i] - l), `step ${i + 1}: gpu ${gpu[i]}, cpu ${l}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(l))));
  });

  it('clear errors: no --data, a missing data directory, too few classes, --kd without --teacher', async () => {
    const dir = tempDir();
    const file = join(dir, 'tiny.hrn');
    writeFileSync(file, TINY_HRN);
    const out = ['--out', join(dir, 'run')];
    await expect(hrnTrain(file, ...out)).rejects.toThrow(UsageError);
    await expect(hrnTrain(file, ...out, '--data', `fashion-mnist:${join(dir, 'nowhere')}`)).rejects.toThrow(UserError);
    await expect(hrnTrain(file, ...out, '--data', `fashion-mnist:${join(dir, 'nowhere')}`)).rejects.toThrow(/nowhere/);
    await expect(hrnTrain(file, ...out, '--data', `fashion-mnist:${FASHION}`, '--kd', 'dkd')).rejects.toThrow(/--teacher/);
    if (haveFashion) {
      writeFileSync(file, TINY_HRN.replace('classes 10', 'classes 5'));
      await expect(hrnTrain(file, ...out, '--data', `fashion-mnist:${FASHION}`)).rejects.toThrow(/10 classes but the network declares only 5/);
    }
  });
});

describe('Ctrl-C while training', () => {
  it('one keypress delivered twice (a launcher forwarding SIGINT) is one request; a later one quits', async () => {
    const exits: number[] = [];
    let text = '';
    const flag = installTrainingInterrupt({ stream: { write: (s: string) => (text += s) }, graceMs: 200, exit: (c) => exits.push(c) });
    try {
      process.emit('SIGINT', 'SIGINT');
      process.emit('SIGINT', 'SIGINT');
      expect(flag.requested).toBe(true);
      expect(flag.count).toBe(1);
      expect(exits).toEqual([]);
      await new Promise((r) => setTimeout(r, 300));
      process.emit('SIGINT', 'SIGINT');
      expect(exits).toEqual([130]);
      expect(text).toContain('saving a checkpoint');
      expect(text).toContain('quitting without saving');
    } finally {
      flag.dispose();
    }
  });
});
