// A sweep as data: which networks of which .hrn file, the `--set` values to vary (a grid, or lists
// taken in step), the pipelines, the seeds, the data set and the training settings. The `hrn
// sweep` command line produces this (and `hrn criticality` its own), and `expand.ts` turns it into
// runs.

import type { LossSpec } from '../codegen/kernels/index.js';
import { formatCount, formatLimit, LIMITS } from '../ir/limits.js';
import { UserError } from '../errors.js';
import type { TrainSettings } from '../train/settings.js';
import type { SweepSample } from './distributions.js';

/** One param varied over values, each written as `--set` would take it (`4`, `[2,5,3]`). */
export interface SweepAxis {
  param: string;
  values: string[];
}

export interface SweepSpec {
  name: string;
  /** The .hrn file the networks come from. */
  file: string;
  /** Networks of the file to use; every one when empty. */
  networks: string[];
  /** `grid`: every combination of the axes; `list`: the i-th values of all axes together. */
  mode: 'grid' | 'list';
  axes: SweepAxis[];
  /** Pipelines (names or step text); `null` trains the network as declared. */
  pipelines: (string | null)[];
  seeds: number[];
  /** A data spec, `KIND:DIR`. */
  data: string;
  train: TrainSettings;
  /** Every run distils from this teacher with this loss (`hrn criticality --teacher`). */
  kd?: SweepDistillation;
  /** Random search: `trials` draws instead of every combination of the axes (points.ts). */
  search?: SweepSearch;
}

/**
 * A random search: each trial draws one value of every axis (uniformly among its values; a `list`
 * sweep's axes together) and of every sample's distribution, from `seed`.
 */
export interface SweepSearch {
  trials: number;
  seed: number;
  samples: SweepSample[];
}

export interface SweepDistillation {
  /** The teacher: a run directory or a checkpoint. */
  teacher: string;
  /** The teacher's .hrn file, when not the one its checkpoint records. */
  teacherFile?: string;
  loss: LossSpec;
}

/** The pipeline entry meaning "no pipeline" on the command line. */
export const NO_PIPELINE = 'none';

/** The value combinations a spec's axes produce, each as `NAME=VALUE` --set texts. */
export function axisCombinations(spec: Pick<SweepSpec, 'mode' | 'axes'>): string[][] {
  const axes = spec.axes;
  if (axes.length === 0) return [[]];
  if (spec.mode === 'list') {
    const n = axes[0].values.length;
    const bad = axes.find((a) => a.values.length !== n);
    if (bad) throw new UserError(`a list sweep takes its axes in step, so they need equally many values: ${axes[0].param} has ${n}, ${bad.param} has ${bad.values.length}`);
    return Array.from({ length: n }, (_, i) => axes.map((a) => `${a.param}=${a.values[i]}`));
  }
  let out: string[][] = [[]];
  for (const a of axes) out = out.flatMap((prefix) => a.values.map((v) => [...prefix, `${a.param}=${v}`]));
  return out;
}

/** How many value combinations the axes make (a search: its trials), counted without making them. */
export function axisCombinationCount(spec: { mode: SweepSpec['mode']; axes: readonly { values?: readonly unknown[] }[]; search?: { trials: number } }): number {
  if (spec.search) return spec.search.trials;
  if (spec.axes.length === 0) return 1;
  return spec.mode === 'list' ? (spec.axes[0].values?.length ?? 0) : spec.axes.reduce((n, a) => n * (a.values?.length ?? 0), 1);
}

/** What a sweep multiplies into runs, before any pipeline makes a family. */
export interface SweepSize {
  networks: number;
  /** Value combinations of the axes, or a search's trials (`trials` set). */
  combinations: number;
  trials?: boolean;
  pipelines: number;
  seeds: number;
}

const plural = (n: number, what: string) => `${formatCount(n)} ${what}${n === 1 ? '' : 's'}`;

/** Why a sweep of this size is refused (above LIMITS.sweepRuns), or undefined. */
export function sweepSizeProblem(s: SweepSize): string | undefined {
  const runs = s.networks * s.combinations * s.pipelines * s.seeds;
  if (runs <= LIMITS.sweepRuns) return undefined;
  const parts = [plural(s.networks, 'network'), plural(s.combinations, s.trials ? 'trial' : 'value combination'), plural(s.pipelines, 'pipeline'), plural(s.seeds, 'seed')];
  return `${plural(runs, 'run')} (${parts.join(' x ')}), above the limit of ${formatLimit(LIMITS.sweepRuns)} runs in one sweep; use fewer ${s.trials ? 'trials' : 'values'}, or split the sweep`;
}

/** Why a sweep whose pipelines' families make `runs` runs (so far) is refused. */
export function familyRunsProblem(runs: number): string {
  return `the pipelines make families: at least ${plural(runs, 'run')}, above the limit of ${formatLimit(LIMITS.sweepRuns)} runs in one sweep; use fewer values, or split the sweep`;
}
