// A WebGPU device as hrn uses it, opened from an adapter: the largest buffer and workgroup limits
// the adapter offers, and subgroups when their size is fixed. Shared by the Node device (Dawn,
// device.ts) and the browser's (navigator.gpu), so both compile plans for the same limits.

import type { OpenHelper } from './warm-up.js';

export interface GpuContext {
  device: GPUDevice;
  adapter: GPUAdapter;
  /** Adapter description for reports (vendor, architecture, device, description). */
  adapterInfo: string;
  /**
   * The adapter's subgroup size when the `subgroups` feature is enabled and the size is fixed
   * (lavapipe: 8); 0 otherwise. Plans compiled with it share weight loads across lanes.
   */
  subgroupSize: number;
  /** The device limits that code generation checks against. */
  limits: {
    maxStorageBufferBindingSize: number;
    maxBufferSize: number;
    maxComputeWorkgroupsPerDimension: number;
    maxStorageBuffersPerShaderStage: number;
  };
  /** Destroys the device and drops every reference to Dawn so the process can exit. */
  close(): void;
  /**
   * Opens a second device on the same driver to compile kernels on another core (set by hosts
   * that can: Node with Dawn); kernel warm-up uses it when compiling turns out to be slow.
   */
  openCompileHelper?: OpenHelper;
}

/**
 * Requests a device from `adapter` with its largest limits, and the `subgroups` feature when
 * `subgroups` is on and the adapter's subgroup size is fixed. `release` drops whatever keeps the
 * adapter alive, once the device is destroyed.
 */
export async function contextFromAdapter(adapter: GPUAdapter, subgroups: boolean, release: () => void = () => undefined): Promise<GpuContext> {
  const lim = adapter.limits;
  const features: GPUFeatureName[] = [];
  const info = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  const fixedSubgroup =
    subgroups && adapter.features.has('subgroups') && info.subgroupMinSize !== undefined && info.subgroupMinSize === info.subgroupMaxSize
      ? info.subgroupMinSize
      : 0;
  if (fixedSubgroup > 0) features.push('subgroups' as GPUFeatureName);
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
  return {
    device,
    adapter,
    adapterInfo,
    subgroupSize: fixedSubgroup,
    limits: {
      maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
      maxBufferSize: device.limits.maxBufferSize,
      maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
      maxStorageBuffersPerShaderStage: device.limits.maxStorageBuffersPerShaderStage,
    },
    close() {
      if (closed) return;
      closed = true;
      device.destroy();
      release();
    },
  };
}
