// Tuned schedules: the fastest schedule `hrn tune` measured for a kernel signature on a device,
// handed to plans (plan option `tuned`) so that every dispatch of that signature takes it instead
// of the profile's choice. Where they are stored (a cache file per device) is the CLI's business;
// here they are a map from signature key to knobs.

import type { FamilySchedules, ProfileName, ScheduleFamily } from './types.js';
import { familyOfKey } from './signature.js';

/**
 * The version of what a tuned schedule means: the knobs of each family and the signature keys.
 * A change to either makes older tuning results meaningless, so it is part of the cache's key.
 */
export const SCHEDULE_FORMAT_VERSION = 3;

/**
 * A family's knobs as measured, and the profile that resolved them (conv dW's chunks follow from
 * its target differently under the two profiles, so the same knobs are resolved the same way again).
 */
export type TunedSchedule = { [F in ScheduleFamily]: { family: F; knobs: FamilySchedules[F]; profile: ProfileName } }[ScheduleFamily];

/** Tuned schedules by signature key (signature.ts). */
export type TunedSchedules = ReadonlyMap<string, TunedSchedule>;

type KnobType = 'number' | 'boolean';

const KNOBS: { [F in ScheduleFamily]: Record<keyof Required<FamilySchedules[F]>, KnobType> } = {
  conv: { ocb: 'number', pxb: 'number', wg: 'number', rows: 'number', gemm: 'boolean', halo: 'boolean' },
  conv_dx: { icb: 'number', pxb: 'number', wg: 'number', rows: 'number', gemm: 'boolean' },
  conv_dw: { wg: 'number', ovb: 'number', kyb: 'number', pxb: 'number', target: 'number' },
  fc: { wg: 'number' },
  reduction: { target: 'number', splitPlane: 'boolean', wg: 'number' },
  elementwise: { run: 'number', wg: 'number' },
};

/** The names of a family's knobs. */
export const knobNames = (family: ScheduleFamily): string[] => Object.keys(KNOBS[family]);

/**
 * A tuned schedule read from outside (a cache file), checked: the family of its key, exactly that
 * family's knobs (positive integers, or booleans), and a profile. Undefined when anything is off.
 */
export function parseTunedSchedule(key: string, value: unknown): TunedSchedule | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { family?: unknown; knobs?: unknown; profile?: unknown };
  const family = familyOfKey(key);
  if (family === undefined || v.family !== family || (v.profile !== 'cpu' && v.profile !== 'gpu')) return undefined;
  if (typeof v.knobs !== 'object' || v.knobs === null) return undefined;
  const knobs = v.knobs as Record<string, unknown>;
  const want = KNOBS[family] as Record<string, KnobType>;
  if (Object.keys(knobs).length !== Object.keys(want).length) return undefined;
  for (const [name, type] of Object.entries(want)) {
    const x = knobs[name];
    if (type === 'boolean' ? typeof x !== 'boolean' : !(Number.isInteger(x) && (x as number) > 0 && (x as number) <= 1e9)) return undefined;
  }
  const picked = Object.fromEntries(Object.keys(want).map((k) => [k, knobs[k]]));
  return { family, knobs: picked, profile: v.profile } as unknown as TunedSchedule;
}
