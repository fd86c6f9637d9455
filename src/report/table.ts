// A sweep's results as a table: one row per finished run, written as aligned text, CSV and JSON.

import type { RunResult } from '../sweep/store.js';
import { paretoFront } from './pareto.js';

export interface ReportRow {
  id: string;
  run: string;
  network: string;
  set: string;
  pipeline: string;
  seed: number;
  relus: number;
  flops: number;
  params: number;
  /** After the last epoch. */
  testAccuracy: number | null;
  bestTestAccuracy: number | null;
  epochs: number;
  wallSeconds: number;
  /** On the ReLU-accuracy Pareto front (no run has fewer or equal ReLUs and higher accuracy). */
  pareto: boolean;
  checkpoint: string;
}

export function reportRows(results: RunResult[]): ReportRow[] {
  const front = paretoFront(results.filter((r) => r.testAccuracy !== null).map((r) => ({ id: r.id, x: r.relus, y: r.testAccuracy as number })));
  return results
    .map((r) => {
      const accs = r.history.map((h) => h.testAccuracy).filter((a): a is number => typeof a === 'number');
      return {
        id: r.id,
        run: r.label,
        network: r.network,
        set: r.set.join(' '),
        pipeline: r.pipeline ?? 'none',
        seed: r.seed,
        relus: r.relus,
        flops: r.flops,
        params: r.params,
        testAccuracy: r.testAccuracy,
        bestTestAccuracy: accs.length > 0 ? Math.max(...accs) : null,
        epochs: r.epochs,
        wallSeconds: Math.round(r.wallSeconds * 10) / 10,
        pareto: front.has(r.id),
        checkpoint: r.checkpoint,
      };
    })
    .sort((a, b) => a.relus - b.relus || a.run.localeCompare(b.run));
}

const CSV_COLUMNS: (keyof ReportRow)[] = ['id', 'run', 'network', 'set', 'pipeline', 'seed', 'relus', 'flops', 'params', 'testAccuracy', 'bestTestAccuracy', 'epochs', 'wallSeconds', 'pareto', 'checkpoint'];

function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: ReportRow[]): string {
  return [CSV_COLUMNS.join(','), ...rows.map((r) => CSV_COLUMNS.map((c) => csvField(r[c])).join(','))].join('\n') + '\n';
}

const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(2)}%`);

export function toText(rows: ReportRow[]): string {
  const head = ['run', 'ReLUs', 'FLOPs', 'params', 'test acc', 'best', 'epochs', 'wall', 'Pareto'];
  const body = rows.map((r) => [
    r.run,
    r.relus.toLocaleString('en-US'),
    `${(r.flops / 1e6).toFixed(2)}M`,
    r.params.toLocaleString('en-US'),
    pct(r.testAccuracy),
    pct(r.bestTestAccuracy),
    String(r.epochs),
    `${r.wallSeconds.toFixed(0)}s`,
    r.pareto ? '*' : '',
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ').trimEnd();
  return [fmt(head), ...body.map(fmt)].join('\n');
}

/** A Markdown table (for docs/results.md). */
export function toMarkdown(rows: ReportRow[]): string {
  const lines = ['| run | ReLUs | FLOPs | params | test accuracy | Pareto |', '|---|---:|---:|---:|---:|:-:|'];
  for (const r of rows) lines.push(`| ${r.run} | ${r.relus.toLocaleString('en-US')} | ${(r.flops / 1e6).toFixed(2)}M | ${r.params.toLocaleString('en-US')} | ${pct(r.testAccuracy)} | ${r.pareto ? '*' : ''} |`);
  return lines.join('\n');
}
