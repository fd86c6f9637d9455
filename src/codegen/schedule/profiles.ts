// Which profile a plan gets: the caller's, or the device heuristic's, or the default.

import type { PlanProfile, ProfileName, ProfileOrigin } from './types.js';

/**
 * The device heuristic: `cpu` on a CPU driver (lavapipe, SwiftShader: a few wide lanes per core,
 * which want few fat invocations), `gpu` on anything else.
 */
export function profileForDevice(device: { cpuDriver: boolean }): ProfileName {
  return device.cpuDriver ? 'cpu' : 'gpu';
}

/**
 * A plan's profile from its options: `profile` as given (`from` says how it was chosen, `option`
 * when not said), else `cpu`, the default without a device.
 */
export function planProfile(profile: ProfileName | undefined, from: ProfileOrigin | undefined): PlanProfile {
  if (profile === undefined) return { name: 'cpu', from: 'default' };
  if (profile !== 'cpu' && profile !== 'gpu') throw new Error(`plan options: profile must be cpu or gpu, got ${String(profile)}`);
  return { name: profile, from: from ?? 'option' };
}
