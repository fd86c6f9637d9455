// The one cache of compute pipelines, per device, keyed by WGSL source and binding layout: the
// executor and the trainer share it, so a kernel both use (the forward conv of a training step and
// of evaluation) is compiled once. Shader compilation errors are raised as KernelCompileError with
// the kernel's name, the layers that use it, and line and column.

import type { BindingType } from '../program/types.js';
import { gpuFailure, guardGpu } from './device-watch.js';

export interface CachedPipeline {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

/** What a pipeline is built from. */
export interface PipelineSource {
  name: string;
  wgsl: string;
  entryPoint: string;
}

/** A WGSL compilation or pipeline error, naming the kernel and the layers that use it. */
export class KernelCompileError extends Error {
  constructor(readonly kernel: string, readonly layers: string[], detail: string) {
    super(`kernel ${kernel} (${layers.slice(0, 4).join(', ')}${layers.length > 4 ? ', ...' : ''}): ${detail}`);
    this.name = 'KernelCompileError';
  }
}

const cacheByDevice = new WeakMap<GPUDevice, Map<string, Promise<CachedPipeline>>>();

async function build(device: GPUDevice, k: PipelineSource, types: readonly BindingType[], layers: string[]): Promise<CachedPipeline> {
  // Capture the validation error Dawn raises for a bad module (it would otherwise be printed as an
  // uncaptured error); the compilation messages below say what is wrong.
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label: k.name, code: k.wgsl });
  const info = await guardGpu(device, module.getCompilationInfo());
  const scoped = await guardGpu(device, device.popErrorScope());
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0) {
    const lines = k.wgsl.split('\n');
    const text = errors.map((m) => `${k.name}.wgsl:${m.lineNum}:${m.linePos}: error: ${m.message}\n  ${lines[m.lineNum - 1] ?? ''}`).join('\n');
    throw new KernelCompileError(k.name, layers, `WGSL does not compile:\n${text}`);
  }
  if (scoped) throw new KernelCompileError(k.name, layers, scoped.message);
  const layout = device.createBindGroupLayout({
    label: k.name,
    entries: types.map((type, binding) => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type } })),
  });
  const made = device.createComputePipelineAsync({
    label: k.name,
    layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
    compute: { module, entryPoint: k.entryPoint },
  });
  try {
    return { pipeline: await guardGpu(device, made), layout };
  } catch (e) {
    if (e instanceof Error && e === gpuFailure(device)) throw e;
    throw new KernelCompileError(k.name, layers, `pipeline creation failed: ${(e as Error).message}`);
  }
}

/** What identifies a pipeline in the cache: its binding types and its WGSL. */
export function pipelineKey(k: PipelineSource, types: readonly BindingType[]): string {
  return `${types.join(',')}\n${k.wgsl}`;
}

/** Whether the pipeline for `key` is built or being built on this device. */
export function hasPipeline(device: GPUDevice, key: string): boolean {
  return cacheByDevice.get(device)?.has(key) ?? false;
}

/**
 * The pipeline of a kernel whose binding `i` has buffer type `types[i]`: compiled on first use,
 * then shared by every caller on this device.
 */
export function cachedPipeline(device: GPUDevice, k: PipelineSource, types: readonly BindingType[], layers: string[] = []): Promise<CachedPipeline> {
  let cache = cacheByDevice.get(device);
  if (!cache) {
    cache = new Map();
    cacheByDevice.set(device, cache);
  }
  const key = pipelineKey(k, types);
  const hit = cache.get(key);
  if (hit) return hit;
  const made = build(device, k, types, layers);
  cache.set(key, made);
  made.catch(() => cache.delete(key));
  return made;
}
