// Workgroup sizes a schedule may use on a target, and the invocation count the gpu profile aims at.

import type { ScheduleTarget } from './types.js';

/**
 * Invocations a dispatch needs to keep a GPU busy: an eighth of an H100's 270,336 resident threads
 * (132 SMs x 2,048). The gpu profile grows dispatches to it where the work allows, and the
 * starvation lint (lint.ts) flags heavy dispatches below it.
 */
export const GPU_MIN_INVOCATIONS = 32_768;

/**
 * The gpu profile's workgroup: `base` invocations (64: two warps of 32, or one wavefront of 64),
 * rounded to whole subgroups and within the device's limit.
 */
export function gpuWorkgroup(target: ScheduleTarget, base = 64): number {
  const unit = Math.max(1, target.subgroupSize);
  const cap = Math.max(unit, Math.floor(target.maxWorkgroupSize / unit) * unit);
  return Math.min(cap, Math.ceil(Math.max(base, unit) / unit) * unit);
}

/**
 * Fails (an internal error: profiles choose within the limits, so only a bad override gets here)
 * when `wg` is above the device's limit, or not whole subgroups in a kernel that uses them.
 */
export function checkWorkgroup(what: string, wg: number, target: ScheduleTarget, usesSubgroups: boolean): void {
  if (!Number.isInteger(wg) || wg < 1) throw new Error(`${what}: workgroup size ${wg} is not a positive integer`);
  if (wg > target.maxWorkgroupSize) throw new Error(`${what}: workgroup size ${wg} is above the device's maxComputeInvocationsPerWorkgroup (${target.maxWorkgroupSize})`);
  const sg = target.subgroupSize;
  if (usesSubgroups && sg > 0 && wg % sg !== 0) throw new Error(`${what}: workgroup size ${wg} is not a multiple of the subgroup width ${sg}`);
}
