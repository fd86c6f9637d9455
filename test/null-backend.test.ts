// Every kernel hrn generates for GPUs compiles, checked without a GPU: Dawn's null backend validates
// WGSL and pipelines as any backend does (it offers subgroups, sizes 4 to 128) and runs nothing.
// The inference and training plans of ResNet18 (m=64), a bottleneck ResNet50 and HRN-2x5x3x, at
// subgroup widths 16, 32, 64 and 128 and under both schedule profiles (cpu and gpu), are planned
// for the null device's default limits (what every WebGPU device offers, e.g. 256 invocations per
// workgroup and 16 KiB of workgroup memory), and a pipeline is created for each distinct kernel
// with the bindings the runtime gives it.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { create, globals } from 'webgpu';
import type { LossSpec } from '../src/codegen/kernels/index.js';
import type { PlanLimits } from '../src/codegen/plan-types.js';
import { PROFILE_NAMES } from '../src/codegen/schedule/types.js';
import { loadNetworksFromText, planNetwork, planTraining } from '../src/driver.js';
import type { BindingType } from '../src/codegen/kernels/index.js';
import { cachedPipeline, pipelineKey, type PipelineSource } from '../src/runtime/pipelines.js';
import { DKD_DEFAULTS, KD_DEFAULTS } from '../src/train/losses.js';

const NETWORKS = [
  { file: 'examples/resnet18.hrn', set: ['m=64'] },
  { file: 'test/fixtures/resnet50.hrn', set: [] },
  { file: 'examples/hrn-2x5x3x.hrn', set: [] },
];
const WIDTHS = [16, 32, 64, 128];
// Small: the batch changes sizes and dispatch counts, not which code a kernel holds.
const BATCH = 2;
const LOSSES: LossSpec[] = [{ kind: 'ce' }, { kind: 'hinton', ...KD_DEFAULTS }, { kind: 'dkd', ...DKD_DEFAULTS }];

interface Kernel {
  source: PipelineSource;
  types: readonly BindingType[];
  /** Where it comes from, for a failure's message. */
  origin: string;
}

let gpu: GPU | undefined;
let device: GPUDevice;

beforeAll(async () => {
  Object.assign(globalThis, globals);
  gpu = create(['backend=null']);
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error("Dawn's null backend gave no adapter");
  expect(adapter.features.has('subgroups')).toBe(true);
  // Default limits: no requiredLimits.
  device = await adapter.requestDevice({ requiredFeatures: ['subgroups' as GPUFeatureName] });
});
afterAll(() => {
  device?.destroy();
  gpu = undefined;
});

/** The null device's limits, as plans take them. */
const limitsOf = (d: GPUDevice): PlanLimits => ({
  maxStorageBufferBindingSize: d.limits.maxStorageBufferBindingSize,
  maxBufferSize: d.limits.maxBufferSize,
  maxComputeWorkgroupsPerDimension: d.limits.maxComputeWorkgroupsPerDimension,
  maxStorageBuffersPerShaderStage: d.limits.maxStorageBuffersPerShaderStage,
  maxComputeInvocationsPerWorkgroup: d.limits.maxComputeInvocationsPerWorkgroup,
});

/** Every distinct kernel (WGSL and binding types) of every plan, with the first plan that has it. */
function allKernels(limits: PlanLimits): Map<string, Kernel> {
  const kernels = new Map<string, Kernel>();
  const add = (source: PipelineSource, types: readonly BindingType[], origin: string) => {
    const key = pipelineKey(source, types);
    if (!kernels.has(key)) kernels.set(key, { source, types, origin });
  };
  for (const { file, set } of NETWORKS) {
    const [net] = loadNetworksFromText(file, readFileSync(file, 'utf8'), new Map(), { set }).networks;
    for (const subgroupSize of WIDTHS) {
      for (const profile of PROFILE_NAMES) {
        const { plan } = planNetwork(net, { batch: BATCH, subgroupSize, limits, profile });
        for (const k of plan.kernels) add(k, k.bindings.map((b) => (b.write ? 'storage' : 'read-only-storage')), `${net.name} inference, profile ${profile}, subgroups of ${subgroupSize}: ${k.name}`);
        for (const loss of LOSSES) {
          const { plan: step } = planTraining(net, { batch: BATCH, subgroupSize, limits, loss, profile });
          for (const k of step.kernels) add(k, k.layout, `${net.name} training (${loss.kind}), profile ${profile}, subgroups of ${subgroupSize}: ${k.name}`);
        }
      }
    }
  }
  return kernels;
}

describe("every kernel on Dawn's null backend", () => {
  it('the null device has the default limits', () => {
    expect(device.limits.maxComputeInvocationsPerWorkgroup).toBe(256);
    expect(device.limits.maxComputeWorkgroupStorageSize).toBe(16384);
    expect(device.limits.maxStorageBuffersPerShaderStage).toBe(8);
  });

  it('ResNet18, ResNet50 and HRN-2x5x3x, inference and training, both profiles, subgroups of 16 to 128: every pipeline is created', { timeout: 300_000 }, async () => {
    const kernels = allKernels(limitsOf(device));
    const failures: string[] = [];
    device.pushErrorScope('validation');
    await Promise.all(
      [...kernels.values()].map((k) =>
        cachedPipeline(device, k.source, k.types, [k.origin]).catch((e: unknown) => void failures.push(`${k.origin}: ${(e as Error).message}`)),
      ),
    );
    const uncaptured = await device.popErrorScope();
    expect(failures).toEqual([]);
    expect(uncaptured?.message).toBeUndefined();
    // Each width gives kernels of its own (the subgroup convolutions), each network and mode too.
    for (const w of WIDTHS) expect([...kernels.values()].some((k) => k.origin.includes(`subgroups of ${w}:`) && k.source.wgsl.includes('subgroupBroadcast'))).toBe(true);
    // The gpu profile gives kernels of its own: at every width, and the reductions cutting planes.
    for (const w of WIDTHS) expect([...kernels.values()].some((k) => k.origin.includes(`profile gpu, subgroups of ${w}:`))).toBe(true);
    expect([...kernels.values()].some((k) => k.source.name.endsWith('_bn_stats') && k.source.wgsl.includes('args.PCH'))).toBe(true);
    for (const { file } of NETWORKS) {
      const name = readFileSync(file, 'utf8').match(/network (\S+)/)![1];
      expect([...kernels.values()].some((k) => k.origin.startsWith(`${name} training`))).toBe(true);
    }
  });
});
