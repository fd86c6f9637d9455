// `hrn report`'s outputs for a runs directory: the table in three formats and the four plots.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RunResult } from '../sweep/store.js';
import { writeFileAtomic } from '../util/durable-fs.js';
import { curvesSpec, flopsAccuracySpec, reluAccuracySpec, reluStagesSpec, renderSvg } from './charts.js';
import { reportRows, toCsv, toMarkdown, toText, type ReportRow } from './table.js';

export const REPORT_FILES = ['report.txt', 'report.csv', 'report.json', 'report.md', 'relus-accuracy.svg', 'flops-accuracy.svg', 'curves.svg', 'relus-per-stage.svg'] as const;

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

export async function writeReport(results: RunResult[], outDir: string, he: ReadonlyMap<string, number> = new Map()): Promise<ReportRow[]> {
  const rows = reportRows(results, he);
  mkdirSync(outDir, { recursive: true });
  writeText(join(outDir, 'report.txt'), toText(rows));
  writeText(join(outDir, 'report.csv'), toCsv(rows));
  writeText(join(outDir, 'report.json'), JSON.stringify(rows, null, 2));
  writeText(join(outDir, 'report.md'), toMarkdown(rows));
  writeText(join(outDir, 'relus-accuracy.svg'), await renderSvg(reluAccuracySpec(rows)));
  writeText(join(outDir, 'flops-accuracy.svg'), await renderSvg(flopsAccuracySpec(rows)));
  writeText(join(outDir, 'curves.svg'), await renderSvg(curvesSpec(results)));
  writeText(join(outDir, 'relus-per-stage.svg'), await renderSvg(reluStagesSpec(distinctNetworks(results))));
  return rows;
}
