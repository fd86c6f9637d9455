// `--no-tune-cache`, and the lookup that compile, train and infer make without it: the tuned
// schedules `hrn tune` wrote for the device they run on (a small JSON read; nothing when there is
// no cache for it).

import type { TunedSchedules } from '../codegen/schedule/tuned.js';
import { hrnVersion } from '../train/checkpoint.js';
import { flag, type OptionSpec, type ParsedCommand } from './args.js';
import type { Context } from './command.js';
import { cacheKey, readTuneCache, tuneCacheDir, tunedSchedulesOf } from './tune-cache.js';

export const TUNE_CACHE_OPTION: Record<'no-tune-cache', OptionSpec> = {
  'no-tune-cache': { type: 'boolean', help: "ignore the schedules hrn tune measured for this device (its cache under ~/.cache/hrn); use the profile's" },
};

/** What a device command needs of its device to find its tuned schedules. */
export interface TunedDevice {
  adapter: { info: Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'> };
  subgroupSize: number;
  /** The adapter's largest subgroup size (0: unknown): gpu-profile schedules are rounded to it. */
  subgroupMaxSize?: number;
  limits: { maxComputeInvocationsPerWorkgroup: number; maxStorageBufferBindingSize: number; maxBufferSize: number };
}

export interface TunedLookup {
  /** The schedules to plan with; undefined without a usable cache or with --no-tune-cache. */
  tuned?: TunedSchedules;
  /** The cache file they came from. */
  path?: string;
}

/** The tuned schedules for `device` unless --no-tune-cache; a cache that cannot be used is a warning of `command`, then ignored. */
export function tunedForDevice(p: ParsedCommand, ctx: Context, command: string, device: TunedDevice): TunedLookup {
  if (flag(p, 'no-tune-cache')) return {};
  const warn = (line: string) => ctx.io.err(`hrn ${command}: warning: ${line}`);
  const cache = readTuneCache(tuneCacheDir(), cacheKey(device.adapter.info, hrnVersion()), warn);
  if (!cache) return {};
  const tuned = tunedSchedulesOf(cache, device, warn);
  return tuned.size > 0 ? { tuned, path: cache.path } : {};
}

/** `; tuned schedules for N kernel signatures (FILE)`, or nothing: for the line naming the profile. */
export function tunedText(t: TunedLookup): string {
  return t.tuned ? `; tuned schedules for ${t.tuned.size} kernel signature${t.tuned.size === 1 ? '' : 's'} where the plan has them (${t.path})` : '';
}
