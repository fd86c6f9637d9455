// A WebGPU device as hrn uses it, opened from an adapter: the largest buffer and workgroup limits
// the adapter offers, and subgroups when their size is fixed. Shared by the Node device (Dawn,
// device.ts) and the browser's (navigator.gpu), so both compile plans for the same limits.

import { watchDevice } from './device-watch.js';
import type { OpenHelper } from './warm-up.js';

export interface GpuContext {
  device: GPUDevice;
  adapter: GPUAdapter;
  /** Adapter description for reports (vendor, architecture, device, description). */
  adapterInfo: string;
  /**
   * The width plans share loads across (subgroupBroadcast): the adapter's smallest subgroup size
   * when the `subgroups` feature is enabled (lavapipe: 8, SwiftShader: 4, NVIDIA: 32); 0 otherwise.
   * A kernel generated for this width is correct for every real subgroup size at least as large.
   */
  subgroupSize: number;
  /**
   * The adapter's largest subgroup size when it reports one as a power of two (NVIDIA: 32, AMD: 64,
   * lavapipe: its vector width), else 0: the gpu profile rounds workgroups up to a multiple of it
   * (plan option `subgroupMaxSize`; 32 when 0).
   */
  subgroupMaxSize: number;
  /** The device limits that code generation checks against. */
  limits: {
    maxStorageBufferBindingSize: number;
    maxBufferSize: number;
    maxComputeWorkgroupsPerDimension: number;
    maxStorageBuffersPerShaderStage: number;
    maxComputeInvocationsPerWorkgroup: number;
  };
  /** Whether the WebGPU implementation bounds-checks buffer accesses on this device (always in a browser). */
  robust: boolean;
  /** Whether kernels may use f16 (the `shader-f16` feature, requested when the adapter has it): plan option `f16Weights`. */
  f16: boolean;
  /**
   * Whether the adapter is a CPU driver (Mesa's llvmpipe/lavapipe, SwiftShader): one that compiles
   * a shader only when it first runs, so kernels are warmed up by running them (warm-up.ts).
   */
  cpuDriver: boolean;
  /**
   * Destroys the device (and runs the host's `release`, given to contextFromAdapter). Only this is a
   * deliberate end: any other loss of the device, and any uncaptured WebGPU error, fails the
   * runtime's pending and later waits on it (device-watch.ts).
   */
  close(): void;
  /**
   * Opens a second device on the same GPU driver to compile kernels on another core (set by hosts
   * that can: Node with Dawn); kernel warm-up uses it when compiling turns out to be slow.
   */
  openCompileHelper?: OpenHelper;
}

/** Mesa's llvmpipe (lavapipe) and SwiftShader: CPU drivers, which compile lazily and bound every storage access. */
export function isCpuDriver(info: Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'>): boolean {
  return /llvmpipe|lavapipe|swiftshader/i.test([info.vendor, info.architecture, info.device, info.description].join(' '));
}

/** The subgroup width to generate kernels for: the smallest subgroup size when it is a power of two, else 0. */
export function subgroupWidth(minSize: number | undefined): number {
  return minSize !== undefined && minSize >= 1 && (minSize & (minSize - 1)) === 0 ? minSize : 0;
}

/**
 * Requests a device from `adapter` with its largest limits, the `subgroups` feature when
 * `subgroups` is on and the adapter reports a usable subgroup width, and `timestamp-query` when
 * `timestamps` is on and the adapter has it (passes are then timed by the GPU: gpu-timer.ts), and
 * `shader-f16` when the adapter has it.
 * `release` drops whatever keeps the adapter alive, once the device is destroyed; `robust` records
 * whether accesses are bounds-checked.
 */
export async function contextFromAdapter(adapter: GPUAdapter, subgroups: boolean, release: () => void = () => undefined, robust = true, timestamps = true): Promise<GpuContext> {
  const lim = adapter.limits;
  const features: GPUFeatureName[] = [];
  const info = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  const sgWidth = subgroups && adapter.features.has('subgroups') ? subgroupWidth(info.subgroupMinSize) : 0;
  if (sgWidth > 0) features.push('subgroups' as GPUFeatureName);
  if (timestamps && adapter.features.has('timestamp-query')) features.push('timestamp-query');
  const f16 = adapter.features.has('shader-f16');
  if (f16) features.push('shader-f16');
  const device = await adapter.requestDevice({
    requiredFeatures: features,
    requiredLimits: {
      maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
      maxBufferSize: lim.maxBufferSize,
      maxComputeWorkgroupStorageSize: lim.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: lim.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: lim.maxComputeWorkgroupSizeX,
      maxStorageBuffersPerShaderStage: lim.maxStorageBuffersPerShaderStage,
    },
  });
  const adapterInfo = [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(' / ') || 'unknown adapter';
  let closed = false;
  watchDevice(device, () => closed);
  return {
    device,
    adapter,
    adapterInfo,
    subgroupSize: sgWidth,
    subgroupMaxSize: subgroupWidth(info.subgroupMaxSize),
    robust,
    f16,
    cpuDriver: isCpuDriver(info),
    limits: {
      maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
      maxBufferSize: device.limits.maxBufferSize,
      maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
      maxStorageBuffersPerShaderStage: device.limits.maxStorageBuffersPerShaderStage,
      maxComputeInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
    },
    close() {
      if (closed) return;
      closed = true;
      device.destroy();
      release();
    },
  };
}
