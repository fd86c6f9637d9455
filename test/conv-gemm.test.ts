// The implicit-product forward conv (kernels/conv_gemm.wgsl), the gpu profile's shape, against the
// reference on the device (lavapipe in CI): every fused epilogue, strides, padding, groups and
// channel tails, tiles that leave a workgroup part-empty, split dispatches and f16 weights; and the
// schedules of it and of the implicit-product dX (whose gradients backward-kernels.test.ts checks
// against the reference and by finite differences).

import { describe, expect, it } from 'vitest';
import { compilePlan } from '../src/codegen/index.js';
import { compileTrainPlan } from '../src/codegen/train-plan.js';
import { residualNetwork } from '../src/ir/factory.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { gemmTiles } from '../src/codegen/schedule/gemm-tiles.js';
import { chooseConv, convInvocations } from '../src/codegen/schedule/conv.js';
import { chooseConvDx, convDxInvocations } from '../src/codegen/schedule/conv-dx.js';
import { GPU_MIN_INVOCATIONS } from '../src/codegen/schedule/workgroup.js';
import { useGpu } from './gpu-fixtures.js';
import { convCases, convGraph, planVsReference } from './conv-fixtures.js';

const gpu = useGpu();

describe('implicit-product conv vs reference', () => {
  convCases.forEach((t, index) => {
    it(t.name, async () => {
      // a few tile shapes: 1 pixel per invocation in small workgroups, 3 (a partial last tile), 4
      const convTile = [{ gemm: true, pxb: 1, wg: 8 }, { gemm: true, pxb: 3, wg: 32 }, { gemm: true, pxb: 4, wg: 64 }][index % 3];
      const { plan, err } = await planVsReference(gpu(), convGraph(t), { batch: t.batch, convTile });
      expect(err).toBeLessThan(1e-4);
      const convs = plan.dispatches.filter((d) => d.op === 'conv');
      expect(convs.length).toBeGreaterThan(0);
      for (const d of convs) expect(plan.kernels[d.kernel].template).toBe('conv_gemm');
      expect(plan.dispatches.filter((d) => d.op === 'ewise')).toEqual([]);
    });
  });

  it('dispatches split over x and z when workgroup counts exceed the limit', async () => {
    const limits = { maxComputeWorkgroupsPerDimension: 8 };
    const { plan, err } = await planVsReference(gpu(), convGraph(convCases[10]), { batch: 2, limits, convTile: { gemm: true, pxb: 1, wg: 64 } });
    expect(err).toBeLessThan(1e-4);
    expect(plan.dispatches.filter((d) => d.op === 'conv' && d.workgroups[2] > 1).length).toBe(2);
  });

  it('f16 weights, read into f32', async () => {
    const ctx = gpu();
    if (!ctx.f16) return expect(ctx.f16).toBe(false);
    const { plan, err } = await planVsReference(ctx, convGraph(convCases[6]), { batch: 2, convTile: { gemm: true }, f16Weights: true });
    // rounding the weights to f16 costs about 3 decimal digits
    expect(err).toBeLessThan(5e-3);
    expect(plan.kernels.filter((k) => k.template === 'conv_gemm').every((k) => k.wgsl.includes('enable f16;'))).toBe(true);
  });
});

describe('implicit-product conv schedules', () => {
  const target = { subgroupSize: 0, maxWorkgroupSize: 256, maxBindingBytes: 2 ** 27, workgroupMultiple: 32 };
  const resnetS1 = { batch: 128, outC: 64, groups: 1, outH: 32, outW: 32, kernel: 3, stride: 1, pad: 1 };
  const resnetS4 = { batch: 128, outC: 512, groups: 1, outH: 4, outW: 4, kernel: 3, stride: 1, pad: 1 };

  it('the gpu profile picks it, the cpu profile never does', () => {
    for (const s of [resnetS1, resnetS4]) {
      expect(chooseConv(s, 'gpu', target).gemm).toBe(true);
      expect(chooseConv(s, 'cpu', target).gemm).toBe(false);
    }
  });

  it('fills a GPU where the work allows: fewer pixels per invocation for small layers', () => {
    // 128 images of 32x32 at 64 channels: 8,388,608 outputs, 16 per invocation
    const big = chooseConv(resnetS1, 'gpu', target);
    expect(big.pxb).toBe(4);
    expect(convInvocations(resnetS1, big)).toBe((128 * 32 * 32 * 64) / (4 * 4));
    // 128 images of 4x4 at 512 channels: 1,048,576 outputs; 4 pixels each would be 65,536 invocations
    const small = chooseConv(resnetS4, 'gpu', target);
    expect(convInvocations(resnetS4, small)).toBeGreaterThanOrEqual(GPU_MIN_INVOCATIONS);
  });

  it('keeps its tiles within the workgroup memory every device offers', () => {
    // 4 channels per group: a workgroup row is one invocation, so 256 invocations x 4 pixels would be 1,024 pixels
    const thin = { batch: 8, outC: 4, groups: 1, outH: 16, outW: 16, kernel: 3, stride: 1, pad: 1 };
    const t = chooseConv(thin, 'cpu', { ...target, maxWorkgroupSize: 256 }, { gemm: true, wg: 256 });
    expect(gemmTiles(4, t).bytes).toBeLessThanOrEqual(16384);
    expect(t.pxb).toBe(1);
  });

  it('a workgroup asked for is made whole rows of the tile, and small enough for its tiles', () => {
    // 64 channels: tiles of 32 channels are rows of 8 invocations, so 4 becomes 8
    const wide = { batch: 8, outC: 64, groups: 1, outH: 8, outW: 8, kernel: 3, stride: 1, pad: 1 };
    expect(chooseConv(wide, 'cpu', target, { gemm: true, wg: 4 }).wg).toBe(8);
    // 4 channels: 512 invocations of 1 pixel would need 8 x (4 + 512) x 4 = 16,512 bytes
    const thin = { batch: 8, outC: 4, groups: 1, outH: 16, outW: 16, kernel: 3, stride: 1, pad: 1 };
    const t = chooseConv(thin, 'cpu', target, { gemm: true, wg: 512 });
    expect(t).toMatchObject({ pxb: 1, wg: 256 });
    expect(gemmTiles(4, t).bytes).toBe(8 * (4 + 256) * 4);
  });

  it('a conv too small for tiles of 32 channels takes the next power of two', () => {
    expect(gemmTiles(12, { pxb: 2, wg: 64 })).toMatchObject({ tm: 16, tnt: 16, tn: 32 });
    expect(gemmTiles(64, { pxb: 4, wg: 64 })).toMatchObject({ tm: 32, tnt: 8, tn: 32 });
  });

  it('is the forward conv of inference and training plans, and the dX of training plans, under the gpu profile', () => {
    // a residual network: its convs after the first have an input gradient, so dX kernels
    const g = lowerToGraph(residualNetwork({ name: 'small', depths: [1, 1], channels: [4, 8], input: { c: 3, h: 8, w: 8 }, classes: 5 }));
    const train = compileTrainPlan(g, { batch: 2, profile: 'gpu' });
    for (const plan of [compilePlan(g, { batch: 2, profile: 'gpu' }), train]) {
      const convs = plan.kernels.filter((k) => k.template === 'conv' || k.template === 'conv_gemm');
      expect(convs.length).toBeGreaterThan(0);
      expect(convs.every((k) => k.template === 'conv_gemm')).toBe(true);
    }
    const dx = train.kernels.filter((k) => k.template.startsWith('train/conv_dx'));
    expect(dx.length).toBeGreaterThan(0);
    expect(dx.every((k) => k.template === 'train/conv_dx_gemm')).toBe(true);
    const cpu = compileTrainPlan(g, { batch: 2, profile: 'cpu' }).kernels.map((k) => k.template);
    expect(cpu.filter((t) => t.includes('gemm'))).toEqual([]);
  });

  it('dX tiles: 4 input channels per invocation, pixels across rows and images', () => {
    // ResNet18's S1 at batch 128: 64 input channels of 32x32 pixels
    const s = { batch: 128, inC: 64, inH: 32, inW: 32, outC: 64, outH: 32, outW: 32, kernel: 3, stride: 1, pad: 1, groups: 1 };
    const t = chooseConvDx(s, 'gpu', target);
    expect(t).toMatchObject({ icb: 4, pxb: 4, gemm: true });
    expect(convDxInvocations(s, t)).toBe((128 * 32 * 32 * 64) / (4 * 4));
    expect(chooseConvDx(s, 'cpu', target).gemm).toBe(false);
  });
});
