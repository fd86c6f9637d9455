// What a report compares: configurations (runs that differ only in their seed), each with the mean
// and spread of its accuracy over the seeds, and the Pareto front over them. The accuracy runs are
// compared on is the validation accuracy when every run has one (--val-split): selecting on the
// test set would make the test accuracy of the selected runs an optimistic estimate. The test
// accuracy is then reported only for the configurations selected, those on the front.

import type { RunConfig } from '../sweep/expand.js';
import type { RunResult } from '../sweep/store.js';
import { canonicalJson } from '../util/canonical-json.js';
import { paretoFront } from './pareto.js';

export type Selection = 'validation' | 'test';

/** Mean, sample standard deviation (null for one value) and range of a list of accuracies. */
export interface Spread {
  n: number;
  mean: number;
  sd: number | null;
  min: number;
  max: number;
}

export function spread(xs: number[]): Spread {
  const n = xs.length;
  if (n === 0) throw new Error('spread of no values');
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) : null;
  return { n, mean, sd, min: Math.min(...xs), max: Math.max(...xs) };
}

export interface Configuration {
  /** The runs' label without the seed. */
  label: string;
  runs: RunResult[];
  relus: number;
  flops: number;
  params: number;
  pipeline: string;
  /** The accuracy the configurations are compared on, over the seeds. */
  accuracy: Spread;
  /** The test accuracy over the seeds: always when selecting on test, else only on the front. */
  test: Spread | null;
  pareto: boolean;
}

/** The accuracy configurations are compared on. */
export function selectionOf(results: RunResult[]): Selection {
  return results.length > 0 && results.every((r) => typeof r.valAccuracy === 'number') ? 'validation' : 'test';
}

const withoutSeed = (label: string) => label.replace(/ seed\d+$/, '');

/** What makes two runs the same configuration: everything of their run.json but the seed (and what follows from it). */
function configKey(r: RunResult, config: RunConfig | undefined): string {
  if (config === undefined) return canonicalJson([r.network, r.set, r.pipeline, r.data]);
  // The id, label and sweep name follow from the rest and the seed; a sweep renamed keeps its runs.
  return canonicalJson({ ...config, id: undefined, label: undefined, seed: undefined, sweep: undefined });
}

/**
 * The configurations of `results` (finished runs; `config` gives a run's run.json), compared on
 * `selection`, with the Pareto front of ReLUs against mean accuracy marked.
 */
export function configurations(results: RunResult[], config: (id: string) => RunConfig | undefined, selection: Selection = selectionOf(results)): Configuration[] {
  const groups = new Map<string, RunResult[]>();
  for (const r of results) {
    const key = configKey(r, config(r.id));
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const measured = (r: RunResult) => (selection === 'validation' ? r.valAccuracy : r.testAccuracy);
  const measuredGroups = [...groups].flatMap(([key, runs]) => {
    const accs = runs.map(measured).filter((a): a is number => typeof a === 'number');
    const first = runs[0];
    return accs.length === 0 ? [] : [{ key, label: withoutSeed(first.label), runs, relus: first.relus, flops: first.flops, params: first.params, pipeline: first.pipeline ?? 'none', accuracy: spread(accs) }];
  });
  const front = paretoFront(measuredGroups.map((c) => ({ id: c.key, x: c.relus, y: c.accuracy.mean })));
  return measuredGroups
    .map(({ key, ...c }) => {
      const pareto = front.has(key);
      const tests = c.runs.map((r) => r.testAccuracy).filter((a): a is number => typeof a === 'number');
      return { ...c, pareto, test: (selection === 'test' || pareto) && tests.length > 0 ? spread(tests) : null };
    })
    .sort((a, b) => a.relus - b.relus || a.label.localeCompare(b.label));
}
