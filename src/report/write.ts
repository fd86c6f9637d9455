// `hrn report`'s outputs: for a runs directory, the tables in four formats and the four plots; for
// one training's directory, its curves.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RunConfig } from '../sweep/expand.js';
import type { RunError, RunResult } from '../sweep/store.js';
import type { MetricsRecord } from '../train/checkpoint.js';
import { writeFileAtomic } from '../util/durable-fs.js';
import { curvesSpec, flopsAccuracySpec, reluAccuracySpec, reluStagesSpec, renderSvg, runCurvesSpec } from './charts.js';
import { buildReport, toCsv, toMarkdown, toText, type Report } from './table.js';

export const REPORT_FILES = ['report.txt', 'report.csv', 'report.json', 'report.md', 'relus-accuracy.svg', 'flops-accuracy.svg', 'curves.svg', 'relus-per-stage.svg'] as const;

/** What `hrn report` writes for a single training's directory. */
export const RUN_REPORT_FILES = ['curves.svg'] as const;

export function writeText(path: string, text: string): void {
  writeFileAtomic(path, new TextEncoder().encode(text.endsWith('\n') ? text : `${text}\n`));
}

/** Distinct networks (by ReLU distribution) among the results, for the per-stage plot. */
function distinctNetworks(results: RunResult[]): { name: string; stages: Record<string, number> }[] {
  const seen = new Map<string, { name: string; stages: Record<string, number> }>();
  for (const r of results) {
    const name = [r.network, ...r.set, r.pipeline ?? ''].filter((s) => s !== '').join(' ');
    if (!seen.has(name)) seen.set(name, { name, stages: r.reluStages });
  }
  return [...seen.values()];
}

/** The report of a runs directory's finished (`results`) and failed runs; `config` reads a run's run.json, `he` a run's HE latency. */
export async function writeReport(results: RunResult[], failures: RunError[], config: (id: string) => RunConfig | undefined, outDir: string, he: ReadonlyMap<string, number> = new Map()): Promise<Report> {
  const report = buildReport(results, failures, config, he);
  mkdirSync(outDir, { recursive: true });
  writeText(join(outDir, 'report.txt'), toText(report));
  writeText(join(outDir, 'report.csv'), toCsv(report.rows));
  writeText(join(outDir, 'report.json'), JSON.stringify(report.rows, null, 2));
  writeText(join(outDir, 'report.md'), toMarkdown(report));
  writeText(join(outDir, 'relus-accuracy.svg'), await renderSvg(reluAccuracySpec(report.configurations, report.selection)));
  writeText(join(outDir, 'flops-accuracy.svg'), await renderSvg(flopsAccuracySpec(report.configurations, report.selection)));
  writeText(join(outDir, 'curves.svg'), await renderSvg(curvesSpec(results, report.selection)));
  writeText(join(outDir, 'relus-per-stage.svg'), await renderSvg(reluStagesSpec(distinctNetworks(results))));
  return report;
}

/** The curves of one training (its train.jsonl epochs) into `outDir`. */
export async function writeRunReport(epochs: MetricsRecord[], title: string, outDir: string): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  writeText(join(outDir, 'curves.svg'), await renderSvg(runCurvesSpec(epochs, title)));
}
