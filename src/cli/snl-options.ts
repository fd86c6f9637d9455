// The options of `hrn train` for the SNL schedule (src/train/snl.ts), read only for a network after
// the `snl BUDGET` pass; given for any other network they are a usage error.

import type { ArchIR } from '../ir/arch.js';
import { defaultSnlSchedule, SNL_DEFAULTS, type SnlScheduleOptions } from '../train/snl.js';
import { UsageError } from '../errors.js';
import { stringOption, type OptionSpec, type ParsedCommand } from './args.js';

export const SNL_OPTIONS: Record<string, OptionSpec> = {
  'snl-search-epochs': { type: 'string', value: 'E', help: 'SNL (after the snl pass): epochs of mask search at most, the rest fine-tune with the masks binarized (default half the epochs, at least 1)' },
  'snl-penalty': { type: 'string', value: 'L', help: `SNL: the L1 weight on the masks in the first epoch (default ${SNL_DEFAULTS.penalty})` },
  'snl-growth': { type: 'string', value: 'G', help: `SNL: factor the L1 weight grows by after each search epoch above the budget (default ${SNL_DEFAULTS.growth})` },
  'snl-threshold': { type: 'string', value: 'T', help: `SNL: a mask above it counts as a kept ReLU during the search (default ${SNL_DEFAULTS.threshold})` },
};

function positive(p: ParsedCommand, name: string, fallback: number, min = 0): number {
  const text = stringOption(p, name);
  if (text === undefined) return fallback;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || !(v > min)) throw new UsageError(`train: --${name}: expected a number above ${min}, got '${text}'`);
  return v;
}

/**
 * The SNL schedule of `net` trained for `epochs`, or undefined when it has no snl plan; an option
 * left out takes the resumed run's value (`recorded`), else the default.
 */
export function snlScheduleOption(p: ParsedCommand, net: ArchIR, epochs: number, recorded?: SnlScheduleOptions): SnlScheduleOptions | undefined {
  const given = Object.keys(SNL_OPTIONS).filter((k) => p.values[k] !== undefined);
  if (net.snl === undefined) {
    if (given.length > 0) throw new UsageError(`train: --${given[0]} applies to a network after the snl pass (--pipeline "snl BUDGET"); ${net.name} has none`);
    return undefined;
  }
  const defaults = recorded ?? defaultSnlSchedule(net.snl.budget, epochs);
  const searchText = stringOption(p, 'snl-search-epochs');
  const searchEpochs = searchText === undefined ? defaults.searchEpochs : Number(searchText);
  if (!Number.isInteger(searchEpochs) || searchEpochs < 1 || searchEpochs > epochs) {
    const what = searchText === undefined ? `the run's ${searchEpochs}` : `'${searchText}'`;
    throw new UsageError(`train: --snl-search-epochs: expected a whole number from 1 to the ${epochs} epochs, got ${what}`);
  }
  const threshold = positive(p, 'snl-threshold', defaults.threshold);
  if (threshold >= 1) throw new UsageError(`train: --snl-threshold: expected a number between 0 and 1, got '${stringOption(p, 'snl-threshold')}'`);
  return {
    budget: net.snl.budget,
    searchEpochs,
    penalty: positive(p, 'snl-penalty', defaults.penalty),
    growth: positive(p, 'snl-growth', defaults.growth, 1 - Number.EPSILON),
    threshold,
  };
}
