// The per-element kernels' schedule (kernels/ewise.wgsl: batch norm, add and ReLU; train/
// chain_bwd.wgsl: their gradient): each invocation takes a run of consecutive elements of one
// plane, and works out its image and channel, and loads the channel's values, once per run.

import type { ElementwiseSchedule, ProfileName, ScheduleTarget } from './types.js';
import { gpuWorkgroup, profileWorkgroup } from './workgroup.js';

/** The runs worth trying: on lavapipe 4 vec4s per invocation ran about as fast as 8 or 16. */
const RUNS = [1, 2, 4, 8];

/** The run actually taken for a plane of `units` (elements of the kernel's vector type): the longest power of two up to `run` that divides it. */
export function runFor(units: number, run: number): number {
  let r = 1;
  while (r * 2 <= run && units % (r * 2) === 0) r *= 2;
  return r;
}

/**
 * cpu: runs of 4, workgroups of 64. On lavapipe a per-lane load costs a loop over the lanes, and so
 * does every workgroup; 4 vec4s per invocation (one channel's scale and shift loaded once) ran
 * HRN-2x5x3x's batch-norm + ReLU passes 2.4x faster and their gradients 1.8x. gpu: one element
 * per invocation (neighbouring lanes read neighbouring addresses), workgroups of gpuWorkgroup.
 * `units`: the plane in elements of the kernel's vector type.
 */
export function chooseElementwise(units: number, profile: ProfileName, target: ScheduleTarget, fixed: Partial<ElementwiseSchedule> = {}): ElementwiseSchedule {
  const base: ElementwiseSchedule = profile === 'cpu' ? { run: 4, wg: 64 } : { run: 1, wg: gpuWorkgroup(target) };
  const t = { ...base, ...fixed };
  return { run: runFor(units, t.run), wg: profileWorkgroup(t.wg, profile, target) };
}

/** Every schedule worth timing (for a tuner): runs of 1 to 8, workgroups of 64 and 256. */
export function elementwiseCandidates(target: ScheduleTarget): ElementwiseSchedule[] {
  return RUNS.flatMap((run) => [64, 256].filter((w) => w <= target.maxWorkgroupSize).map((wg) => ({ run, wg })));
}
