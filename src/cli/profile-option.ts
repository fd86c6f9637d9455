// `--profile cpu|gpu`, shared by compile, train and infer: the schedule profile the kernels are
// shaped by (docs/runtime.md, "Schedules"), overriding the choice made for the device.

import { profileForDevice } from '../codegen/schedule/profiles.js';
import { PROFILE_NAMES, type PlanProfile, type ProfileName } from '../codegen/schedule/types.js';
import { stringOption, type OptionSpec, type ParsedCommand } from './args.js';
import { UsageError } from '../errors.js';

export function profileOptionSpec(without: string): Record<'profile', OptionSpec> {
  return {
    profile: {
      type: 'string',
      value: 'cpu|gpu',
      help: `kernel schedules: cpu (few fat invocations, for lavapipe) or gpu (many threads); ${without}`,
    },
  };
}

/** The profile the runtime uses: the one asked for, else the device's. */
export function deviceProfile(asked: ProfileName | undefined, device: { cpuDriver: boolean }): PlanProfile {
  return asked !== undefined ? { name: asked, from: 'option' } : { name: profileForDevice(device), from: 'device' };
}

/** The profile --profile asks for, if given; a usage error for anything but cpu or gpu. */
export function profileOption(p: ParsedCommand, command: string): ProfileName | undefined {
  const v = stringOption(p, 'profile');
  if (v === undefined) return undefined;
  if (!(PROFILE_NAMES as readonly string[]).includes(v)) throw new UsageError(`${command}: --profile must be cpu or gpu, got '${v}'`);
  return v as ProfileName;
}
