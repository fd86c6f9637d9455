import { describe, expect, it } from 'vitest';
import { residualNetwork } from '../src/ir/factory.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { countGraph } from '../src/ir/count.js';

const relusByStage = (arch: Parameters<typeof lowerToGraph>[0]) =>
  countGraph(lowerToGraph(arch)).rows.filter((r) => r.stage !== 'head').map((r) => r.relus);

const within1pct = (got: number, paper: number) => expect(Math.abs(got - paper) / paper).toBeLessThan(0.01);

describe('counting by the paper conventions', () => {
  it('ResNet18 (m=64, 32x32): 557,056 ReLUs, stem in Stage1, 559M FLOPs', () => {
    const arch = residualNetwork({ name: 'ResNet18', m: 64, factors: [2, 2, 2], depths: [2, 2, 2, 2] });
    // Stage1: stem + 2 blocks x 2 ReLUs, 64 channels at 32x32; each later stage halves H and W.
    expect(relusByStage(arch)).toEqual([5 * 64 * 32 * 32, 4 * 128 * 16 * 16, 4 * 256 * 8 * 8, 4 * 512 * 4 * 4]);
    const c = countGraph(lowerToGraph(arch));
    expect(c.total.relus).toBe(557_056);
    within1pct(c.total.flops, 559e6);
  });

  it('HRN-5x5x3x (m=16, 16/80/400/1200): 343,040 ReLUs, 1055M FLOPs', () => {
    const arch = residualNetwork({ name: 'HRN-5x5x3x', m: 16, factors: [5, 5, 3], depths: [2, 2, 2, 2] });
    expect(relusByStage(arch)).toEqual([81_920, 81_920, 102_400, 76_800]);
    within1pct(countGraph(lowerToGraph(arch)).total.flops, 1055e6);
  });

  it('WRN22x8: 1,392,640 ReLUs, 2461M FLOPs', () => {
    const arch = residualNetwork({ name: 'WRN22x8', channels: [128, 256, 512], stemChannels: 16, depths: [3, 3, 3] });
    const c = countGraph(lowerToGraph(arch));
    expect(c.total.relus).toBe(16 * 32 * 32 + 6 * 128 * 32 * 32 + 6 * 256 * 16 * 16 + 6 * 512 * 8 * 8);
    expect(c.total.relus).toBe(1_392_640);
    within1pct(c.total.flops, 2461e6);
  });

  it('thinning keeps every second ReLU layer, dropping the stem ReLU in Stage1', () => {
    const arch = residualNetwork({ name: 'HRN-5x5x3x', m: 16, factors: [5, 5, 3], depths: [2, 2, 2, 2] });
    for (const s of arch.stages) s.relu.thinned = true;
    expect(countGraph(lowerToGraph(arch)).total.relus).toBe(163_328);
  });

  it('culling Stage1 removes the stem ReLU too', () => {
    const arch = residualNetwork({ name: 'HRN-2x5x3x', m: 16, factors: [2, 5, 3], depths: [2, 2, 2, 2] });
    arch.stages[0].relu.culled = true;
    for (const s of arch.stages.slice(1)) s.relu.thinned = true;
    expect(relusByStage(arch)).toEqual([0, 2 * 32 * 16 * 16, 2 * 160 * 8 * 8, 2 * 480 * 4 * 4]);
    expect(countGraph(lowerToGraph(arch)).total.relus).toBe(52_224);
  });

  it('bottleneck blocks have three ReLUs and a 4x expansion', () => {
    const arch = residualNetwork({ name: 'B', m: 16, factors: [2], depths: [1, 1], block: 'bottleneck' });
    // S1: stem (16) + 16 + 16 + 64 channels at 32x32. S2 downsamples in its 3x3 conv, so its
    // first 1x1 still runs at 32x32: 32 there, then 32 + 128 at 16x16.
    expect(relusByStage(arch)).toEqual([(16 + 16 + 16 + 64) * 1024, 32 * 1024 + (32 + 128) * 256]);
  });
});
