// The distillation options `hrn train` and `hrn criticality` share: the teacher, the loss and its
// parameters, with the defaults of src/train/losses.ts.

import type { LossSpec } from '../codegen/kernels/index.js';
import { UsageError } from '../errors.js';
import { DKD_DEFAULTS, KD_DEFAULTS } from '../train/losses.js';
import { numberOption, stringOption, type OptionSpec, type ParsedCommand } from './args.js';

export const KD_OPTIONS: Record<string, OptionSpec> = {
  teacher: { type: 'string', value: 'CKPT', help: 'distill from this checkpoint (an hrn train output directory or its checkpoint)' },
  'teacher-file': { type: 'string', value: 'FILE', help: "the teacher's .hrn file (default: the one its checkpoint records)" },
  kd: { type: 'string', value: 'hinton|dkd', help: 'distillation loss with --teacher (default hinton)' },
  'kd-temperature': { type: 'string', value: 'T', help: `distillation temperature (default ${KD_DEFAULTS.temperature})` },
  'kd-ce-weight': { type: 'string', value: 'W', help: `weight of the cross-entropy term (hinton ${KD_DEFAULTS.ceWeight}, dkd ${DKD_DEFAULTS.ceWeight})` },
  'kd-weight': { type: 'string', value: 'W', help: `hinton: weight of T^2 KL (default ${KD_DEFAULTS.kdWeight})` },
  'dkd-alpha': { type: 'string', value: 'A', help: `dkd: TCKD weight (default ${DKD_DEFAULTS.alpha})` },
  'dkd-beta': { type: 'string', value: 'B', help: `dkd: NCKD weight (default ${DKD_DEFAULTS.beta})` },
  'dkd-warmup': { type: 'string', value: 'E', help: `dkd: warm-up epochs of the KD term (default ${DKD_DEFAULTS.warmup})` },
};

/** The loss the options ask for: cross-entropy without a teacher, else hinton or dkd with their parameters. */
export function lossOption(p: ParsedCommand, teacher: boolean, command: string): LossSpec {
  const kd = stringOption(p, 'kd');
  if (!teacher) {
    const stray = ['kd', 'kd-temperature', 'kd-ce-weight', 'kd-weight', 'dkd-alpha', 'dkd-beta', 'dkd-warmup', 'teacher-file'].find((o) => stringOption(p, o) !== undefined);
    if (stray !== undefined) throw new UsageError(`${command}: --${stray} needs --teacher CKPT`);
    return { kind: 'ce' };
  }
  const kind = kd ?? 'hinton';
  // Both distillation losses take a temperature and a cross-entropy weight, with their own defaults.
  const shared = (d: { temperature: number; ceWeight: number }) => ({
    temperature: numberOption(p, 'kd-temperature', d.temperature),
    ceWeight: numberOption(p, 'kd-ce-weight', d.ceWeight),
  });
  if (kind === 'hinton') {
    return { kind: 'hinton', ...shared(KD_DEFAULTS), kdWeight: numberOption(p, 'kd-weight', KD_DEFAULTS.kdWeight) };
  }
  if (kind === 'dkd') {
    return {
      kind: 'dkd',
      ...shared(DKD_DEFAULTS),
      alpha: numberOption(p, 'dkd-alpha', DKD_DEFAULTS.alpha),
      beta: numberOption(p, 'dkd-beta', DKD_DEFAULTS.beta),
      warmup: numberOption(p, 'dkd-warmup', DKD_DEFAULTS.warmup),
    };
  }
  throw new UsageError(`${command}: --kd must be hinton or dkd, got '${kind}'`);
}

/**
 * DKD's KD term grows as min(epoch / warmup, 1): a run shorter than the warm-up never gives it its
 * full weight (with the default 20 epochs, a 3-epoch run ends at 3/20 of it). Undefined: no concern.
 */
export function dkdWarmupWarning(loss: LossSpec, epochs: number): string | undefined {
  if (loss.kind !== 'dkd' || !(loss.warmup > epochs)) return undefined;
  const share = `${Math.round((100 * epochs) / loss.warmup)}%`;
  return `dkd warms its KD term up over ${loss.warmup} epochs, but the run trains ${epochs}: the KD term reaches only ${share} of its weight by the last epoch; give --dkd-warmup ${epochs} (or fewer) for the full term, or more --epochs`;
}
