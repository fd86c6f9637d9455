// Random search: the distributions a sweep's `sample` lines (and `--sample`) draw from, checked
// where they are written, and the draws. A draw is a pure function of the sample seed, the trial's
// number and the param's name, so the same command gives the same runs (and resumes them), a sweep
// given more trials keeps the runs of the first ones, and adding a sample line leaves the values
// the other lines draw unchanged.

import { createHash } from 'node:crypto';
import type { SourceSpan } from '../diagnostics.js';
import type { Expr, Name, SampleDistribution, SampleValue, SweepAxisValue } from '../parser/index.js';
import { deriveSeed, SplitMix32 } from '../util/rng.js';
import { didYouMean } from '../util/suggest.js';
import { NUMBER_SETTINGS, SAMPLED_SETTINGS, type NumberSetting } from './train-rules.js';

/** What one value is drawn from; `entries` draws a list param entry by entry. */
export type Distribution =
  | { kind: 'uniform' | 'loguniform'; low: number; high: number }
  | { kind: 'int'; low: number; high: number }
  | { kind: 'choice'; values: string[] }
  | { kind: 'entries'; items: EntryDistribution[] };

export type EntryDistribution = Distribution | { kind: 'fixed'; value: string };

/** A `sample` line: the param (or training setting) and what its values are drawn from. */
export interface SweepSample {
  param: string;
  distribution: Distribution;
}

export const DISTRIBUTION_NAMES = ['uniform', 'loguniform', 'int', 'choice'] as const;

const FORMS = 'uniform(LOW, HIGH), loguniform(LOW, HIGH), int(LOW, HIGH) or choice(V1, V2, ...)';

export interface SampleProblem {
  span: SourceSpan;
  message: string;
}

/** The training setting a sample draws, or undefined for a network param. */
export function sampledSetting(param: string): NumberSetting | undefined {
  return (SAMPLED_SETTINGS as readonly string[]).includes(param) ? (param as NumberSetting) : undefined;
}

/** A plain number, possibly negative; undefined for anything else (a name, a list, arithmetic). */
function literal(e: Expr): number | undefined {
  if (e.kind === 'number') return e.value;
  if (e.kind === 'negate' && e.operand.kind === 'number') return -e.operand.value;
  return undefined;
}

/**
 * The sample `param = value` checked: the distribution's name and arguments, and, for a training
 * setting, that every value it can draw is one the setting takes. Problems come with the place
 * they are about, for a diagnostic in a block or a one-line error on the command line (the caller
 * says which sample each is about).
 */
export function resolveSample(param: Name, value: SampleValue): { sample?: SweepSample; problems: SampleProblem[] } {
  const problems: SampleProblem[] = [];
  const setting = sampledSetting(param.name);
  const at = (span: SourceSpan, message: string) => problems.push({ span, message });
  let distribution: Distribution | undefined;
  if (value.kind === 'entries') {
    if (setting !== undefined) at(value.span, `${param.name} takes one number, not a list; draw it with ${FORMS}`);
    else if (!value.items.some((i) => i.kind === 'distribution')) at(value.span, `nothing in the list is drawn; write a distribution for at least one entry, e.g. [int(2, 6), 6, 2]`);
    else {
      const items = value.items.map((i): EntryDistribution | undefined => (i.kind === 'fixed' ? { kind: 'fixed', value: i.text } : checkDistribution(i, undefined, at)));
      if (items.every((i) => i !== undefined)) distribution = { kind: 'entries', items: items as EntryDistribution[] };
    }
  } else {
    distribution = checkDistribution(value, setting, at);
  }
  return distribution && problems.length === 0 ? { sample: { param: param.name, distribution }, problems } : { problems };
}

function checkDistribution(d: SampleDistribution, setting: NumberSetting | undefined, at: (span: SourceSpan, message: string) => void): Distribution | undefined {
  const name = d.name.name;
  if (!(DISTRIBUTION_NAMES as readonly string[]).includes(name)) {
    at(d.name.span, `unknown distribution '${name}'${didYouMean(name, DISTRIBUTION_NAMES)}; expected ${FORMS}`);
    return undefined;
  }
  const rule = setting === undefined ? undefined : NUMBER_SETTINGS[setting];
  const allowed = (v: number, span: SourceSpan): boolean => {
    if (rule === undefined || ((!rule.integer || Number.isInteger(v)) && rule.ok(v))) return true;
    at(span, `${setting} takes ${rule.expected}; ${v} is not one`);
    return false;
  };
  if (name === 'choice') {
    if (d.args.length === 0) {
      at(d.span, 'choice needs at least one value: choice(V1, V2, ...)');
      return undefined;
    }
    if (rule !== undefined) {
      let ok = true;
      for (const a of d.args) {
        const v = literal(a.value);
        if (v === undefined) {
          at(a.span, `${setting} takes a number, found '${a.text}'`);
          ok = false;
        } else ok = allowed(v, a.span) && ok;
      }
      if (!ok) return undefined;
    }
    return { kind: 'choice', values: d.args.map((a) => a.text) };
  }
  if (d.args.length !== 2) {
    at(d.span, `${name} takes two numbers, ${name}(LOW, HIGH); found ${d.args.length}`);
    return undefined;
  }
  const [lo, hi] = d.args.map((a: SweepAxisValue) => {
    const v = literal(a.value);
    if (v === undefined) at(a.span, `${name}: expected a number, found '${a.text}'${/\d[eE]/.test(a.text) ? ' (write numbers in decimal, 0.0001 rather than 1e-4)' : ''}`);
    return v;
  });
  if (lo === undefined || hi === undefined) return undefined;
  if (!(lo < hi)) {
    at(d.span, `${name}: LOW (${lo}) must be below HIGH (${hi})`);
    return undefined;
  }
  if (name === 'loguniform' && lo <= 0) {
    at(d.args[0].span, `loguniform: LOW must be above 0 (it draws on a log scale), found ${lo}`);
    return undefined;
  }
  if (name === 'int' && !(Number.isInteger(lo) && Number.isInteger(hi))) {
    at(d.span, `int: LOW and HIGH must be whole numbers, found ${lo} and ${hi}`);
    return undefined;
  }
  if (rule?.integer && name !== 'int') {
    at(d.name.span, `${setting} takes whole numbers; draw it with int(LOW, HIGH) or choice(...)`);
    return undefined;
  }
  if (!allowed(lo, d.args[0].span) || !allowed(hi, d.args[1].span)) return undefined;
  return { kind: name as 'uniform' | 'loguniform' | 'int', low: lo, high: hi };
}

/** A 32-bit key of a param's name, so that each param draws from its own stream. */
function nameKey(name: string): number {
  return createHash('sha256').update(name).digest().readUInt32LE(0);
}

/** The generator trial `trial` of a search seeded `seed` draws `name`'s value from. */
export function drawStream(seed: number, trial: number, name: string): SplitMix32 {
  return new SplitMix32(deriveSeed(seed, trial, nameKey(name)));
}

/**
 * A drawn real number as it is written into the run's settings and label: four significant digits
 * (a label stays readable, and the value is exactly the one the run trains with), in decimal
 * notation (a param's value is parsed as `--set` parses it), kept within [low, high].
 */
export function formatDrawn(x: number, low: number, high: number): string {
  const decimals = x === 0 ? 0 : Math.min(20, Math.max(0, 3 - Math.floor(Math.log10(Math.abs(x)))));
  const rounded = Math.min(high, Math.max(low, Number(x.toFixed(decimals))));
  return String(rounded).includes('e') ? rounded.toFixed(20).replace(/0+$/, '').replace(/\.$/, '') : String(rounded);
}

/** One value drawn from `d`, written as `--set` takes it (a number for a training setting). */
export function draw(d: Distribution, rng: SplitMix32): string {
  switch (d.kind) {
    case 'uniform':
      return formatDrawn(rng.uniform(d.low, d.high), d.low, d.high);
    case 'loguniform':
      return formatDrawn(Math.exp(rng.uniform(Math.log(d.low), Math.log(d.high))), d.low, d.high);
    case 'int':
      return String(d.low + rng.int(d.high - d.low + 1));
    case 'choice':
      return d.values[rng.int(d.values.length)];
    case 'entries':
      return `[${d.items.map((i) => (i.kind === 'fixed' ? i.value : draw(i, rng))).join(',')}]`;
  }
}

/** The distribution as it would be written (for sweep.json readers and messages). */
export function describeDistribution(d: Distribution): string {
  switch (d.kind) {
    case 'choice':
      return `choice(${d.values.join(', ')})`;
    case 'entries':
      return `[${d.items.map((i) => (i.kind === 'fixed' ? i.value : describeDistribution(i))).join(', ')}]`;
    default:
      return `${d.kind}(${d.low}, ${d.high})`;
  }
}
