// Schedules as text for `--debug`: a dispatch's knobs and where they came from, and the plan's profile.

import type { DispatchSchedule, PlanProfile } from './types.js';

/** `profile gpu`, `--profile gpu` (asked for), `override`, or `tuned` (measured by hrn tune for the kernel's signature). */
export function scheduleOrigin(r: Pick<DispatchSchedule, 'profile' | 'from'>): string {
  if (r.from === 'override' || r.from === 'tuned') return r.from;
  return r.from === 'option' ? `--profile ${r.profile}` : `profile ${r.profile}`;
}

/** `conv_dw wg 64, ovb 2, kyb 3, pxb 4, target 2048, chunks 1 (profile cpu)`. */
export function scheduleText(r: DispatchSchedule): string {
  const { family, ...knobs } = r.schedule;
  const parts = Object.entries(knobs).map(([k, v]) => `${k} ${typeof v === 'boolean' ? (v ? 'yes' : 'no') : v}`);
  return `${family} ${parts.join(', ')} (${scheduleOrigin(r)})`;
}

/** The plan's profile and why it was chosen. */
export function profileText(p: PlanProfile): string {
  switch (p.from) {
    case 'option':
      return `--profile ${p.name}`;
    case 'device':
      return `profile ${p.name} (the device is ${p.name === 'cpu' ? 'a CPU driver' : 'a GPU'})`;
    default:
      return `profile ${p.name} (the default without a device)`;
  }
}
