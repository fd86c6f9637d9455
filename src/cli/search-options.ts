// The options of a random search (`hrn sweep --trials N --sample NAME=DIST`), read as a sweep
// block's `trials`, `sample-seed` and `sample` lines are (src/sweep/distributions.ts), so the two
// agree; a bad one is one line naming the option.

import { parseSampleText } from '../parser/index.js';
import { resolveSample, type SweepSample } from '../sweep/distributions.js';
import type { SweepAxis, SweepSearch } from '../sweep/spec.js';
import { UsageError, UserError } from '../errors.js';
import { intOption, listOption, stringOption, type OptionSpec, type ParsedCommand } from './args.js';

export const SEARCH_OPTIONS: Record<string, OptionSpec> = {
  trials: { type: 'string', value: 'N', help: 'random search: N runs drawn from the --sample distributions (and the --grid values) instead of every combination' },
  sample: {
    type: 'string',
    multiple: true,
    value: 'NAME=DIST',
    help: 'draw a param or training setting per trial: uniform(LO,HI), loguniform(LO,HI), int(LO,HI), choice(V1,V2,...), or a list of them for a list param (repeatable)',
  },
  'sample-seed': { type: 'string', value: 'S', help: 'seed of the draws (default 0): the same seed draws the same runs' },
};

/** One `--sample` text, checked as a block's `sample` line is; a problem is one line with its column. */
export function sampleOption(text: string): SweepSample {
  const parsed = parseSampleText(text, '<--sample>');
  const where = (col: number) => (text.length > 20 ? ` (at column ${col})` : '');
  const first = parsed.diagnostics[0];
  if (first !== undefined || parsed.param === undefined || parsed.value === undefined) {
    throw new UserError(`--sample '${text}': ${first?.message ?? 'expected NAME=DISTRIBUTION'}${first ? where(first.span.col) : ''}`);
  }
  const r = resolveSample(parsed.param, parsed.value);
  const problem = r.problems[0];
  if (problem !== undefined || r.sample === undefined) throw new UserError(`--sample '${text}': ${problem?.message ?? 'cannot be drawn'}${problem ? where(problem.span.col) : ''}`);
  return r.sample;
}

/**
 * The search the command line asks for, on top of a block's (`base`): --sample replaces all the
 * block's samples, --trials and --sample-seed its own lines. Undefined: no search, every
 * combination of the axes.
 */
export function searchOption(p: ParsedCommand, axes: readonly SweepAxis[], base?: SweepSearch): SweepSearch | undefined {
  const given = listOption(p, 'sample');
  const samples = given.length > 0 ? given.map(sampleOption) : (base?.samples ?? []);
  const trials = stringOption(p, 'trials') !== undefined ? intOption(p, 'trials', 1) : base?.trials;
  const seed = stringOption(p, 'sample-seed') !== undefined ? intOption(p, 'sample-seed', 0, 0) : (base?.seed ?? 0);
  if (trials === undefined) {
    if (given.length > 0) throw new UsageError('sweep: --sample draws a value per trial; give --trials N, the number of runs to draw');
    if (stringOption(p, 'sample-seed') !== undefined) throw new UsageError('sweep: --sample-seed seeds a random search; give --trials N and --sample NAME=DIST');
    return undefined;
  }
  if (samples.length === 0 && axes.length === 0) throw new UsageError('sweep: --trials: nothing to draw; give --sample NAME=DIST (or --grid axes, whose values are then drawn)');
  const names = [...axes.map((a) => a.param), ...samples.map((s) => s.param)];
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new UsageError(`sweep: '${twice}' is drawn twice: by an axis and a --sample, or by two --sample options`);
  return { trials, seed, samples };
}
