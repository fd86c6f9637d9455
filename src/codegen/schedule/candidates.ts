// The schedules worth timing for one kernel signature, and the family's choice for it, as plain
// knobs: what the tuner times (profile choice first) and what a tuned schedule must be one of.

import { chooseConv, convCandidates, convKnobs } from './conv.js';
import { chooseConvDx, convDxCandidates, convDxKnobs } from './conv-dx.js';
import { chooseConvDw, convDwCandidates } from './conv-dw.js';
import { chooseFc, fcCandidates } from './fc.js';
import { chooseReduction, reductionCandidates } from './reduction.js';
import { chooseElementwise, elementwiseCandidates } from './elementwise.js';
import type { KernelSignature } from './signature.js';
import type { TunedSchedule } from './tuned.js';
import { knobNames } from './tuned.js';
import { PROFILE_NAMES, type FamilySchedules, type ProfileName, type ScheduleFamily, type ScheduleTarget } from './types.js';

/** One family's knobs. */
export type Knobs = FamilySchedules[ScheduleFamily];

/** The invocations a fully connected kernel is scheduled for: the inference forward's own; `any` for training's, whose sizes are arguments. */
export const fcInvocations = (s: Extract<KernelSignature, { family: 'fc' }>): number | 'any' => (s.kernel === 'fc' ? s.batch * s.outFeatures : 'any');

/**
 * The family's schedule for `sig` under `profile`, knobs in `fixed` kept (as far as the shape
 * allows: a pixel block is never longer than a row): the knobs alone, what follows from them left out.
 */
export function knobsFor(sig: KernelSignature, profile: ProfileName, target: ScheduleTarget, fixed: Partial<Knobs> = {}): Knobs {
  switch (sig.family) {
    case 'conv': {
      return convKnobs(chooseConv(sig.shape, profile, target, fixed as Partial<FamilySchedules['conv']>));
    }
    case 'conv_dx': {
      return convDxKnobs(sig.shape, chooseConvDx(sig.shape, profile, target, fixed as Partial<FamilySchedules['conv_dx']>));
    }
    case 'conv_dw': {
      const t = chooseConvDw(sig.shape, profile, target, fixed as Partial<FamilySchedules['conv_dw']>);
      return { wg: t.wg, ovb: t.ovb, kyb: t.kyb, pxb: t.pxb, target: t.target };
    }
    case 'fc':
      return chooseFc(fcInvocations(sig), profile, target, fixed as Partial<FamilySchedules['fc']>);
    case 'elementwise':
      return chooseElementwise(sig.plane / sig.vec, profile, target, fixed as Partial<FamilySchedules['elementwise']>);
    default: {
      const t = chooseReduction(profile, target, fixed as Partial<FamilySchedules['reduction']>);
      return { target: t.target, splitPlane: t.splitPlane, wg: t.wg };
    }
  }
}

/** The family's list of schedules worth timing for `sig` (conv.ts, conv-dx.ts, ...: `convCandidates` and the others). */
export function familyCandidates(sig: KernelSignature, target: ScheduleTarget): Knobs[] {
  switch (sig.family) {
    case 'conv':
      return convCandidates(sig.shape, target);
    case 'conv_dx':
      return convDxCandidates(sig.shape, target);
    case 'conv_dw':
      return convDwCandidates(sig.shape, target);
    case 'fc':
      return fcCandidates(target);
    case 'elementwise':
      return elementwiseCandidates(target);
    default:
      return reductionCandidates(target);
  }
}

/** The knobs of `family` as a string with the knobs in a fixed order: equal knobs, equal keys. */
export function knobsKey(family: ScheduleFamily, knobs: Knobs): string {
  const k = knobs as unknown as Record<string, number | boolean>;
  return knobNames(family)
    .map((n) => `${n} ${k[n]}`)
    .join(', ');
}

/**
 * What the tuner times for `sig`: `profile`'s choice first, the other profile's next, then `list`
 * (the family's candidates unless given), each resolved for the shape under `profile`, without repeats.
 */
export function tuningCandidates(sig: KernelSignature, profile: ProfileName, target: ScheduleTarget, list: Knobs[] = familyCandidates(sig, target)): Knobs[] {
  const seen = new Set<string>();
  const out: Knobs[] = [];
  const others = PROFILE_NAMES.filter((p) => p !== profile).map((p) => knobsFor(sig, p, target));
  for (const raw of [knobsFor(sig, profile, target), ...others, ...list]) {
    const k = knobsFor(sig, profile, target, raw);
    const key = knobsKey(sig.family, k);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(k);
  }
  return out;
}

/** Whether a tuned schedule is one the tuner could have measured for `sig` on `target` (a damaged or foreign cache is not trusted). */
export function isCandidate(sig: KernelSignature, tuned: TunedSchedule, target: ScheduleTarget): boolean {
  if (tuned.family !== sig.family) return false;
  const want = knobsKey(sig.family, tuned.knobs);
  return tuningCandidates(sig, tuned.profile, target).some((k) => knobsKey(sig.family, k) === want);
}
