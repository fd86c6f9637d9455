// Workgroup sizes a schedule may use on a target, and the invocation count the gpu profile aims at.

import { workgroupFor } from '../kernels/common.js';
import type { ProfileName, ScheduleTarget } from './types.js';

/**
 * Invocations a dispatch needs to keep a GPU busy: an eighth of an H100's 270,336 resident threads
 * (132 SMs x 2,048). The gpu profile grows dispatches to it where the work allows, and the
 * starvation lint (lint.ts) flags heavy dispatches below it.
 */
export const GPU_MIN_INVOCATIONS = 32_768;

/**
 * The largest subgroup the gpu profile assumes when the adapter does not report one: NVIDIA's,
 * Intel's and Apple's widest is 32. A device that runs wider subgroups (AMD's 64) only leaves the
 * last subgroup of a workgroup partly idle; one that runs narrower ones loses nothing.
 */
export const DEFAULT_GPU_SUBGROUP_MAX = 32;

/**
 * What the gpu profile rounds every workgroup up to a multiple of: the adapter's largest subgroup
 * size (`subgroupMaxSize`, DEFAULT_GPU_SUBGROUP_MAX when unknown), so that no subgroup of a
 * workgroup runs partly empty (a workgroup of 40 on 32-wide subgroups pays for 64 lanes); 1 under
 * the cpu profile, whose shapes stay as lavapipe wants them. Fails on a size that is not a
 * positive power of two (every GPU's subgroup sizes are).
 */
export function workgroupMultiple(profile: ProfileName, subgroupMaxSize: number | undefined): number {
  if (subgroupMaxSize !== undefined && !(Number.isInteger(subgroupMaxSize) && subgroupMaxSize >= 1 && (subgroupMaxSize & (subgroupMaxSize - 1)) === 0)) {
    throw new Error(`plan options: subgroupMaxSize must be a positive power of two, got ${String(subgroupMaxSize)}`);
  }
  return profile === 'gpu' ? (subgroupMaxSize ?? DEFAULT_GPU_SUBGROUP_MAX) : 1;
}

/** `multiple` within a device's workgroup limit: the largest power of two that fits when it does not. */
export function fitMultiple(multiple: number, maxWorkgroupSize: number): number {
  return Math.max(1, Math.min(multiple, 2 ** Math.floor(Math.log2(Math.max(1, maxWorkgroupSize)))));
}

/** `wg` rounded up to a multiple of `multiple` (the extra invocations have nothing to do: every kernel bounds its work). */
export const roundWorkgroup = (wg: number, multiple = 1) => Math.ceil(wg / multiple) * multiple;

/** The gpu profile's rounding of a family's workgroup (a forced one too); the cpu profile's is kept. */
export const profileWorkgroup = (wg: number, profile: ProfileName, target: ScheduleTarget) => (profile === 'gpu' ? roundWorkgroup(wg, target.workgroupMultiple) : wg);

/**
 * The cpu profile's largest workgroup for the direct convolution kernels (forward and dX). lavapipe
 * hands whole workgroups to its threads, so smaller ones spread a dispatch more evenly over them:
 * on 2 cores, with 16 invocations instead of 64, HRN-2x5x3x's forward convs ran 1.12x faster (m=16
 * batch 16 and m=4 batch 128; 8 about as fast, 32 slower) and its dX 1.05x.
 */
const CPU_CONV_WG = 16;

/** The cpu profile's conv workgroup for `invocations` (8 to CPU_CONV_WG, at least a subgroup). */
export const cpuConvWorkgroup = (invocations: number, target: ScheduleTarget) => Math.max(Math.min(CPU_CONV_WG, workgroupFor(invocations)), target.subgroupSize);

/**
 * The gpu profile's workgroup: `base` invocations (64: two warps of 32, or one wavefront of 64),
 * rounded to whole subgroups (of the largest size the adapter may run) and within the device's limit.
 */
export function gpuWorkgroup(target: ScheduleTarget, base = 64): number {
  const unit = Math.max(1, target.subgroupSize, target.workgroupMultiple ?? 1);
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
