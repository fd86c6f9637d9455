// The fully connected kernels' schedule (kernels/fc.wgsl, train/fc_dw.wgsl, train/fc_dx.wgsl): one
// invocation per output element, a dot product over the input features each; only the workgroup
// is a choice.

import { workgroupFor } from '../kernels/common.js';
import type { FcSchedule, ProfileName, ScheduleTarget } from './types.js';
import { gpuWorkgroup, profileWorkgroup } from './workgroup.js';
import { workgroupSizes } from './conv.js';

/**
 * cpu: the inference forward's workgroup no larger than its `invocations` need (8 to 64); the
 * training kernels' 64 (their sizes are dispatch arguments, so the source must not depend on
 * them). gpu: gpuWorkgroup.
 */
export function chooseFc(invocations: number | 'any', profile: ProfileName, target: ScheduleTarget, fixed: Partial<FcSchedule> = {}): FcSchedule {
  if (fixed.wg !== undefined) return { wg: profileWorkgroup(fixed.wg, profile, target) };
  if (profile === 'gpu') return { wg: gpuWorkgroup(target) };
  return { wg: invocations === 'any' ? 64 : workgroupFor(invocations) };
}

export const fcCandidates = (target: ScheduleTarget): FcSchedule[] => workgroupSizes(target).map((wg) => ({ wg }));
