// Early stopping of a sweep's runs, decided at epoch boundaries from the accuracies the sweep's
// runs reached epoch by epoch (peers.ts reads them from the runs directory). Two rules:
//
// - median (`median[:WARMUP]`): after WARMUP epochs, a run whose best accuracy so far is below the
//   median of the other runs' accuracies at the same epoch is stopped (the median stopping rule of
//   Google Vizier, Golovin et al. 2017).
// - asha (`asha[:ETA[,MIN_EPOCHS]]`): asynchronous successive halving (Li et al. 2020). Rungs at
//   MIN_EPOCHS * ETA^k epochs; a run reaching a rung goes on only if its accuracy there is among
//   the best 1/ETA of the runs that have reached that rung so far (at least one goes on).
//
// Both compare with what the other runs have reached when the decision is made, so with runs in
// parallel a decision depends on which runs got there first: the rules are asynchronous by design.
// The decisions are pure functions of the accuracies, for tests; the first run of a sweep has
// nothing to compare with and trains fully.

import { UserError } from '../errors.js';
import type { EarlyStop } from './store.js';

export type EarlyStopSpec = { rule: 'median'; warmup: number } | { rule: 'asha'; eta: number; minEpochs: number };

/** Which accuracy the rules compare: validation with --val-split, else test. */
export type Measure = 'validation' | 'test';

/** A run's compared accuracy after each epoch: entry e-1 is epoch e's (undefined where it has none). */
export type Curve = readonly (number | undefined)[];

export const MEDIAN_DEFAULT_WARMUP = 1;
export const ASHA_DEFAULTS = { eta: 3, minEpochs: 1 } as const;

const FORMS = "'median[:WARMUP]' or 'asha[:ETA[,MIN_EPOCHS]]'";

function whole(text: string, what: string, min: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min) throw new UserError(`--early-stop: ${what} must be a whole number, at least ${min}; got '${text}'`);
  return Number(text);
}

/** `median`, `median:2`, `asha`, `asha:3`, `asha:2,1`; anything else is a one-line error. */
export function parseEarlyStop(text: string): EarlyStopSpec {
  const [rule, args, ...more] = text.trim().split(':');
  if (more.length > 0) throw new UserError(`--early-stop: expected ${FORMS}, got '${text}'`);
  if (rule === 'median') {
    if (args !== undefined && args.includes(',')) throw new UserError(`--early-stop: median takes one number, the warm-up epochs (median:WARMUP); got '${text}'`);
    return { rule: 'median', warmup: args === undefined ? MEDIAN_DEFAULT_WARMUP : whole(args, 'the warm-up (epochs before the first decision)', 0) };
  }
  if (rule === 'asha') {
    const [eta, minEpochs, ...rest] = args === undefined ? [] : args.split(',');
    if (rest.length > 0) throw new UserError(`--early-stop: asha takes at most two numbers (asha:ETA,MIN_EPOCHS); got '${text}'`);
    return { rule: 'asha', eta: eta === undefined ? ASHA_DEFAULTS.eta : whole(eta, 'ETA (the fraction 1/ETA of runs kept at each rung)', 2), minEpochs: minEpochs === undefined ? ASHA_DEFAULTS.minEpochs : whole(minEpochs, 'MIN_EPOCHS (the first rung)', 1) };
  }
  throw new UserError(`--early-stop: unknown rule '${rule}'; expected ${FORMS}`);
}

/** The epochs at which ASHA decides for a run of `epochs` epochs (a rung at the last epoch would stop nothing). */
export function ashaRungs(spec: { eta: number; minEpochs: number }, epochs: number): number[] {
  const rungs: number[] = [];
  for (let r = spec.minEpochs; r < epochs; r *= spec.eta) rungs.push(r);
  return rungs;
}

/** The rule in words, for the sweep's first lines. */
export function describeEarlyStop(spec: EarlyStopSpec, measure: Measure, epochs: number): string {
  const on = measure === 'validation' ? 'on validation accuracy' : 'on test accuracy (no --val-split: the stopped runs are chosen on the test set)';
  if (spec.rule === 'median') return `early stopping: median rule from epoch ${spec.warmup + 1}, ${on}`;
  const rungs = ashaRungs(spec, epochs);
  const at = rungs.length === 0 ? `no rung below ${epochs} epochs, so no run is stopped` : `rungs at epoch${rungs.length === 1 ? '' : 's'} ${rungs.join(', ')}`;
  return `early stopping: ASHA keeping the top 1/${spec.eta}, ${at}, ${on}`;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The others' accuracies at `epoch` (those that reached it). */
const at = (others: readonly Curve[], epoch: number) => others.map((c) => c[epoch - 1]).filter((a): a is number => a !== undefined);

/** The median rule's decision for a run after `epoch` of `epochs`; undefined: it goes on. */
export function medianDecision(spec: { warmup: number }, own: Curve, others: readonly Curve[], epoch: number, epochs: number, measure: Measure): EarlyStop | undefined {
  if (epoch <= spec.warmup || epoch >= epochs) return undefined;
  const mine = own.slice(0, epoch).filter((a): a is number => a !== undefined);
  const theirs = at(others, epoch);
  if (mine.length === 0 || theirs.length === 0) return undefined;
  const best = Math.max(...mine);
  const m = median(theirs);
  if (!(best < m)) return undefined;
  const runs = theirs.length === 1 ? 'the 1 other run' : `the ${theirs.length} other runs`;
  return { rule: `median:${spec.warmup}`, epoch, reason: `best ${measure} accuracy so far ${pct(best)} is below the median ${pct(m)} of ${runs} at epoch ${epoch}` };
}

/** ASHA's decision for a run after `epoch` of `epochs`; undefined: it goes on (or `epoch` is no rung). */
export function ashaDecision(spec: { eta: number; minEpochs: number }, own: Curve, others: readonly Curve[], epoch: number, epochs: number, measure: Measure): EarlyStop | undefined {
  if (!ashaRungs(spec, epochs).includes(epoch)) return undefined;
  const mine = own[epoch - 1];
  if (mine === undefined) return undefined;
  const theirs = at(others, epoch);
  const n = theirs.length + 1;
  const keep = Math.max(1, Math.floor(n / spec.eta));
  const rank = theirs.filter((a) => a > mine).length + 1;
  if (rank <= keep) return undefined;
  return { rule: `asha:${spec.eta},${spec.minEpochs}`, epoch, reason: `${measure} accuracy ${pct(mine)} ranks ${rank} of the ${n} runs at the rung of epoch ${epoch}; the top 1/${spec.eta} (${keep}) go on` };
}

export function earlyStopDecision(spec: EarlyStopSpec, own: Curve, others: readonly Curve[], epoch: number, epochs: number, measure: Measure): EarlyStop | undefined {
  return spec.rule === 'median' ? medianDecision(spec, own, others, epoch, epochs, measure) : ashaDecision(spec, own, others, epoch, epochs, measure);
}
