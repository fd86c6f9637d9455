// The schedule profile a device gets when the options name none: the device's heuristic
// (profileForDevice), and the adapter's largest subgroup size for rounding workgroups.

import type { ScheduleOptions } from '../codegen/plan-types.js';
import { profileForDevice } from '../codegen/schedule/profiles.js';
import type { GpuContext } from '../runtime/gpu-context.js';

/**
 * Plan options with the schedule profile filled in for `ctx` when they give none (`cpu` on a CPU
 * driver, `gpu` elsewhere: profileForDevice), and the adapter's largest subgroup size when `ctx`
 * knows it and they give none.
 */
export function withDeviceProfile<O extends ScheduleOptions>(ctx: Pick<GpuContext, 'cpuDriver'> & { subgroupMaxSize?: number }, options: O): O {
  const sized = options.subgroupMaxSize === undefined && (ctx.subgroupMaxSize ?? 0) > 0 ? { ...options, subgroupMaxSize: ctx.subgroupMaxSize } : options;
  return sized.profile !== undefined ? sized : { ...sized, profile: profileForDevice(ctx), profileFrom: 'device' };
}
