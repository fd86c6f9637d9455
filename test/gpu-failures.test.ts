// A GPU device lost mid-run, and WebGPU errors that no error scope captured: each ends the run with
// a clear error instead of a hang or a silently wrong result. The runtime cases destroy devices
// from outside (reason 'destroyed', as a GPU driver reset reports 'unknown') and break a buffer of the
// executor's own work on lavapipe; the command-line cases inject the same faults into `hrn train`
// as a real process (test/gpu-faults/hrn-with-fault.ts).

import { openTrainer } from '../src/launch/train.js';
import { openExecutor } from '../src/launch/infer.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { residualNetwork } from '../src/ir/factory.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { GpuDeviceLostError, GpuUncapturedError, gpuFailure } from '../src/runtime/device-watch.js';
import { openDevice, type GpuContext } from '../src/runtime/index.js';
import { dropHarmlessDawnWarnings } from '../src/util/dawn-warnings.js';
import { initWeights } from '../src/weights/index.js';
import { inputFor } from './gpu-fixtures.js';
import { runNode } from './hostile/bounded.js';
import { TINY_HRN, writeTinyFashion } from './sweep-fixtures.js';

const graph = lowerToGraph(residualNetwork({ name: 'tiny', depths: [1, 1], channels: [4, 8], input: { c: 3, h: 8, w: 8 }, classes: 5 }));
const BATCH = 2;
const x = inputFor(graph, BATCH, 3);

/** A fresh device per case: these cases destroy them. */
async function withDevice<T>(f: (ctx: GpuContext) => Promise<T>): Promise<T> {
  const ctx = await openDevice();
  try {
    return await f(ctx);
  } finally {
    ctx.close();
  }
}

describe('the runtime on a lost device', () => {
  it('an executor run, submitted or pending, fails with the loss; later runs are refused', async () => {
    await withDevice(async (ctx) => {
      const ex = await openExecutor(ctx, graph, initWeights(graph, 0), { batch: BATCH });
      expect((await ex.run(x)).length).toBe(BATCH * 5);
      const pending = ex.run(x);
      ctx.device.destroy();
      const err = await pending.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GpuDeviceLostError);
      expect((err as Error).message).toBe('the GPU device was lost (destroyed): device was destroyed');
      await expect(ex.run(x)).rejects.toBeInstanceOf(GpuDeviceLostError);
      await expect(ex.time(1)).rejects.toBeInstanceOf(GpuDeviceLostError);
      ex.dispose();
    });
  });

  it('a trainer: the step waiting on the lost one, flush and read-backs fail with the loss', async () => {
    await withDevice(async (ctx) => {
      const t = await openTrainer(ctx, graph, initWeights(graph, 0), { batch: BATCH });
      const labels = [0, 1];
      await t.step(x, labels, 0.1);
      await t.flush();
      await t.step(x, labels, 0.1);
      ctx.device.destroy();
      // The step submitted before the loss is what the next one waits for.
      await expect(t.step(x, labels, 0.1)).rejects.toBeInstanceOf(GpuDeviceLostError);
      await expect(t.flush()).rejects.toBeInstanceOf(GpuDeviceLostError);
      await expect(t.readSums()).rejects.toBeInstanceOf(GpuDeviceLostError);
      await expect(t.readWeights()).rejects.toBeInstanceOf(GpuDeviceLostError);
      t.dispose();
    });
  });

  it("close() is the owner's own end, not a loss", async () => {
    const ctx = await openDevice();
    const device = ctx.device;
    ctx.close();
    await device.lost;
    // The lost promise's handlers have run by now.
    await new Promise((r) => setTimeout(r, 10));
    expect(gpuFailure(device)).toBeUndefined();
  });
});

describe('devices opened and closed in turn', () => {
  it('40 in one process, collected as they go, next to one that stays open: no crash, no hang', { timeout: 120_000 }, async () => {
    const r = await runNode(['--expose-gc', '--import', 'tsx', 'test/gpu-faults/device-cycles.ts'], { timeoutMs: 90_000 });
    expect(r.timedOut, r.stderr).toBe(false);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('40 devices opened and closed');
  });
});

describe('uncaptured WebGPU errors', () => {
  it("a submission that fails validation fails the run, with WebGPU's message, instead of returning the previous batch's logits", async () => {
    await withDevice(async (ctx) => {
      const ex = await openExecutor(ctx, graph, initWeights(graph, 0), { batch: BATCH });
      await ex.run(x);
      // A buffer of the executor's own work, gone: its writes and its submission are invalid.
      ex.buffer(ex.program.io.images.buffer).destroy();
      const err = await ex.run(x).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GpuUncapturedError);
      expect((err as GpuUncapturedError).kind).toBe('validation');
      expect((err as Error).message).toMatch(/^uncaptured WebGPU validation error: \[Buffer "input"\] used in submit while destroyed\. While calling \[Queue\]/);
      expect((err as Error).message).not.toContain('\n');
      // Every later use of the device is refused with the same error.
      await expect(ex.run(x)).rejects.toBe(err);
      ex.dispose();
    });
  });
});

describe('hrn train when the GPU fails', () => {
  let dir: string;
  let data: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hrn-gpu-failures-'));
    writeFileSync(join(dir, 'tiny.hrn'), TINY_HRN);
    data = writeTinyFashion(join(dir, 'data'), 40);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** `hrn train` on 40 images at batch 8 (5 steps an epoch), with HRN_TEST_FAULT set. */
  const trainWithFault = (fault: string, out: string) =>
    runNode(['--import', 'tsx', 'test/gpu-faults/hrn-with-fault.ts', 'train', join(dir, 'tiny.hrn'), '--data', data, '--batch', '8', '--epochs', '2', '--no-augment', '--out', out], {
      timeoutMs: 240_000,
      env: { HRN_TEST_FAULT: fault },
    });

  it('a device lost in epoch 2: one line naming the loss and the checkpoint of epoch 1, exit 1', { timeout: 300_000 }, async () => {
    const out = join(dir, 'lost');
    const r = await trainWithFault('lose:7', out);
    expect(r.timedOut).toBe(false);
    expect(r.code, r.stderr).toBe(1);
    const lines = dropHarmlessDawnWarnings(r.stderr).trim().split('\n');
    expect(lines[lines.length - 1]).toBe(
      `hrn train: error: the GPU device was lost (destroyed): device was destroyed; the last checkpoint, ${join(out, 'checkpoint')} (epoch 1), is kept: continue with --resume`,
    );
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(r.ms).toBeLessThan(240_000);
    expect(r.peakMiB).toBeLessThan(1500);
  });

  it('a device lost before any checkpoint says none was written', { timeout: 300_000 }, async () => {
    const r = await trainWithFault('lose:2', join(dir, 'lost-early'));
    expect(r.code, r.stderr).toBe(1);
    const lines = dropHarmlessDawnWarnings(r.stderr).trim().split('\n');
    expect(lines[lines.length - 1]).toBe('hrn train: error: the GPU device was lost (destroyed): device was destroyed; no checkpoint was written in this run');
  });

  it("an uncaptured validation error (a bug in hrn's GPU work) is an internal error with WebGPU's message, exit 70", { timeout: 300_000 }, async () => {
    const r = await trainWithFault('invalid:3', join(dir, 'invalid'));
    expect(r.timedOut).toBe(false);
    expect(r.code, r.stderr).toBe(70);
    expect(r.stderr).toMatch(/^hrn: internal error: uncaptured WebGPU validation error: \[Buffer "input"\] used in submit while destroyed\. /m);
    expect(r.stderr).not.toMatch(/^done:/m);
  });
});
