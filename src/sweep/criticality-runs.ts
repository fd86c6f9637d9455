// The D + 1 runs of `hrn criticality` (src/sweep/criticality.ts for the formula): one per stage with
// the ReLUs of that stage only, and the all-linear reference, each for every seed; and, once they
// have trained, the measurements the formula takes (mean accuracy over the seeds, each stage run's
// ReLUs), and the same per seed. The accuracy is the validation accuracy when every run has one (--val-split), else the
// test accuracy.

import type { RunConfig } from './expand.js';
import { allLinearPipeline, onlyStagePipeline, type StageMeasurement } from './criticality.js';
import type { RunResult } from './store.js';

/** What a run of the measurement is for: a stage's ReLUs alone, or none at all. */
export type CriticalityRole = { kind: 'stage'; stage: string } | { kind: 'reference' };

/** The pipelines of the D + 1 runs, stages first, each with its role. */
export function criticalityPipelines(stages: string[]): { pipeline: string | null; role: CriticalityRole }[] {
  return [...stages.map((stage) => ({ pipeline: onlyStagePipeline(stages, stage), role: { kind: 'stage', stage } as CriticalityRole })), { pipeline: allLinearPipeline(stages), role: { kind: 'reference' } }];
}

/** The role of a run planned from criticalityPipelines(stages). */
export function roleOf(run: Pick<RunConfig, 'pipeline'>, stages: string[]): CriticalityRole {
  const hit = criticalityPipelines(stages).find((p) => p.pipeline === run.pipeline);
  if (!hit) throw new Error(`run with pipeline '${run.pipeline}' is not one of the criticality runs`);
  return hit.role;
}

export interface CriticalityMeasurements {
  /** Which accuracy the measurements are. */
  accuracy: 'validation' | 'test';
  /** Each stage's accuracy averaged over the seeds: what C_k is computed from. */
  stages: StageMeasurement[];
  reference: { accuracy: number };
  /** The same for each seed alone, so that the spread of C_k and of its order can be shown. */
  perSeed: { seed: number; stages: StageMeasurement[]; reference: { accuracy: number } }[];
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * The formula's inputs from the runs' results, or the labels of the runs that have no accuracy to
 * give (not finished, or failed).
 */
export function criticalityMeasurements(runs: RunConfig[], stages: string[], result: (id: string) => RunResult | undefined): CriticalityMeasurements | { missing: string[] } {
  const results = runs.map((run) => ({ run, result: result(run.id) }));
  const validation = results.every((x) => typeof x.result?.valAccuracy === 'number');
  const accuracyOf = (r: RunResult | undefined) => (validation ? r?.valAccuracy : r?.testAccuracy) ?? undefined;
  const missing = results.filter((x) => accuracyOf(x.result) === undefined).map((x) => x.run.label);
  if (missing.length > 0) return { missing };
  const measure = (seed?: number) => {
    const ofRole = (match: (role: CriticalityRole) => boolean) =>
      results.filter((x) => (seed === undefined || x.run.seed === seed) && match(roleOf(x.run, stages))).map((x) => ({ run: x.run, accuracy: accuracyOf(x.result) as number }));
    const measured = stages.map((stage) => {
      const mine = ofRole((role) => role.kind === 'stage' && role.stage === stage);
      return { stage, relus: mine[0].run.counts.relus, accuracy: mean(mine.map((x) => x.accuracy)) };
    });
    return { stages: measured, reference: { accuracy: mean(ofRole((role) => role.kind === 'reference').map((x) => x.accuracy)) } };
  };
  const seeds = [...new Set(runs.map((r) => r.seed))];
  return { accuracy: validation ? 'validation' : 'test', ...measure(), perSeed: seeds.map((seed) => ({ seed, ...measure(seed) })) };
}
