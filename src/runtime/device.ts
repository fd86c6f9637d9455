// Opening a WebGPU device through Dawn's Node bindings (npm `webgpu`). On machines without a GPU
// this runs on Mesa lavapipe, a CPU Vulkan driver (docs/architecture.md, "Environment").

import { quietDawnPolling } from './dawn-polling.js';
import { create, globals } from 'webgpu';
import { availableParallelism } from 'node:os';
import { adapterAt, describeAdapters, DeviceError, isAdapterIndex, listAdapters } from './adapters.js';
import { contextFromAdapter, isCpuDriver, type GpuContext } from './gpu-context.js';
import type { OpenHelper } from './warm-up.js';

export type { GpuContext };
export { subgroupWidth } from './gpu-context.js';
export { DeviceError, listAdapters, type ListedAdapter } from './adapters.js';

export interface OpenDeviceOptions {
  /**
   * The adapter: its index in Dawn's list (`0`, `1`, ...: see listAdapters) or part of its name as
   * Dawn lists it (e.g. `llvmpipe`, of `llvmpipe (LLVM 19.1.7, 256 bits)`, case-sensitive; the
   * first adapter whose name contains it). One that does not exist is a DeviceError listing them.
   */
  adapter?: string;
  /** Refuse a CPU driver (lavapipe, SwiftShader) with a DeviceError naming the adapter found. */
  requireGpu?: boolean;
  /** Dawn backend (`vulkan`, `null`, ...); default: Dawn's choice. */
  backend?: string;
  powerPreference?: GPUPowerPreference;
  /** Extra Dawn toggles (names as Dawn spells them); passed as `enable-dawn-features=...`. */
  enableToggles?: string[];
  /** Use subgroup operations when the adapter has them (default true). */
  subgroups?: boolean;
  /**
   * Dawn's bounds checks on every buffer access (its `disable_robustness` toggle, which also stops
   * asking Vulkan for robustBufferAccess). Default: off on CPU drivers (lavapipe, SwiftShader),
   * which bound every storage access themselves, so Dawn's clamps only cost time (about a sixth
   * of the conv kernels' CPU time on lavapipe, bench/conv-kernels.ts); on elsewhere.
   */
  robustness?: boolean;
  /**
   * Request the `timestamp-query` feature where the adapter has it, so that profiling and `hrn
   * tune` time passes by the GPU's timestamps (gpu-timer.ts). Default: on, unless the environment
   * has HRN_TIMESTAMPS=0 (which makes them use the wall clock).
   */
  timestamps?: boolean;
  /**
   * On a CPU driver, replace the process's setImmediate with one through which dawn.node's poll of
   * Dawn sleeps between polls instead of spinning a core that the driver's threads need
   * (dawn-polling.ts; a process-wide change). Default: on; no effect on other drivers.
   */
  quietPolling?: boolean;
}

let globalsInstalled = false;

function installGlobals(): void {
  if (!globalsInstalled) {
    // GPUBufferUsage, GPUShaderStage, GPUMapMode, ...: the WebGPU enums as globals.
    Object.assign(globalThis, globals);
    globalsInstalled = true;
  }
}

const INSTALL_HINT =
  'No WebGPU adapter was found. hrn runs WebGPU on the CPU through Mesa lavapipe; Debian 12\'s own Mesa ' +
  'is too old for Dawn. Install Mesa 25 from bookworm-backports (as root): `bash scripts/install-system.sh` ' +
  '(installs mesa-vulkan-drivers and libvulkan1 from bookworm-backports), then run again. ' +
  '`vulkaninfo --summary` should list an llvmpipe device.';


async function requestAdapter(gpu: GPU, options: OpenDeviceOptions): Promise<GPUAdapter> {
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter(options.powerPreference ? { powerPreference: options.powerPreference } : undefined);
  } catch (e) {
    const why = (e as Error).message;
    if (options.adapter) {
      throw new DeviceError(`WebGPU adapter "${options.adapter}" was not found; ${describeAdapters(await listAdapters(options.backend))}. Give --adapter a number from that list or part of a name, or omit it for the default adapter.`);
    }
    throw new DeviceError(`${INSTALL_HINT} (Dawn: ${why.split('\n')[0]})`);
  }
  if (!adapter) throw new DeviceError(options.adapter ? `WebGPU adapter "${options.adapter}" was not found. ${INSTALL_HINT}` : INSTALL_HINT);
  return adapter;
}

/**
 * Dawn instances, one per set of `create` options, kept for the life of the process. Dawn's Node
 * bindings crash (SIGSEGV, or std::system_error from a mutex) or deadlock when an instance that
 * created devices is garbage-collected while the process goes on: 60 rounds of create, open a
 * device, destroy it, drop the instance, with a collection every third round, fail nearly every
 * time on lavapipe. Reusing the instance avoids it; a kept instance does not keep the process
 * alive once its devices are destroyed.
 */
const instances = new Map<string, GPU>();

function dawnInstance(options: string[]): GPU {
  const key = options.join('\n');
  let gpu = instances.get(key);
  if (!gpu) {
    gpu = create(options);
    instances.set(key, gpu);
  }
  return gpu;
}

/** Opens the adapter and a device with the adapter's largest buffer and workgroup limits. */
export async function openDevice(options: OpenDeviceOptions = {}): Promise<GpuContext> {
  installGlobals();
  const dawnOptions: string[] = [];
  // By index: Dawn selects by name (and backend), so the index becomes the name it lists.
  const chosen = options.adapter !== undefined && isAdapterIndex(options.adapter) ? adapterAt(await listAdapters(options.backend), Number(options.adapter)) : undefined;
  const backend = options.backend ?? chosen?.backend;
  if (options.adapter) dawnOptions.push(`adapter=${chosen?.name ?? options.adapter}`);
  if (backend) dawnOptions.push(`backend=${backend}`);
  // Dawn rounds timestamps to about 65 us by default (a browser's defence against timing attacks):
  // too coarse for a single kernel, and nothing a local process needs
  dawnOptions.push('disable-dawn-features=timestamp_quantization');
  const toggles = options.enableToggles ?? [];
  const withToggles = (t: string[]) => (t.length > 0 ? [...dawnOptions, `enable-dawn-features=${t.join(',')}`] : dawnOptions);
  let robust = options.robustness ?? false;
  let adapter = await requestAdapter(dawnInstance(withToggles(robust ? toggles : [...toggles, 'disable_robustness'])), options);
  if (options.robustness === undefined && !isCpuDriver(adapter.info)) {
    // a GPU driver need not bound accesses itself: ask again with Dawn's checks on
    robust = true;
    adapter = await requestAdapter(dawnInstance(withToggles(toggles)), options);
  }
  if ((options.quietPolling ?? true) && isCpuDriver(adapter.info)) quietDawnPolling();
  if (options.requireGpu && isCpuDriver(adapter.info)) {
    const info = adapter.info;
    const found = [info.vendor, info.architecture, info.device, info.description].filter((x) => x).join(' / ');
    throw new DeviceError(
      `a GPU is required (--require-gpu) but the WebGPU adapter is a CPU driver: ${found}; ${describeAdapters(await listAdapters(options.backend))}. ` +
        'Choose a GPU with --adapter N or NAME, or leave out --require-gpu to run on the CPU.',
    );
  }
  const timestamps = options.timestamps ?? process.env.HRN_TIMESTAMPS !== '0';
  const ctx = await contextFromAdapter(adapter, options.subgroups ?? true, undefined, robust, timestamps);
  ctx.openCompileHelper = helperFor(ctx);
  return ctx;
}

/**
 * A helper on the default adapter when it is the context's GPU driver and the machine has a core to
 * spare; undefined otherwise.
 */
function helperFor(ctx: GpuContext): OpenHelper | undefined {
  if (availableParallelism() < 2) return undefined;
  return async () => {
    const h = await openDevice({ subgroups: ctx.subgroupSize > 0, robustness: ctx.robust }).catch(() => undefined);
    if (!h) return undefined;
    if (h.adapterInfo !== ctx.adapterInfo || h.subgroupSize !== ctx.subgroupSize) {
      h.close();
      return undefined;
    }
    return { device: h.device, close: () => h.close() };
  };
}

