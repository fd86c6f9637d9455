// A sweep's results as a table: one row per finished run, written as aligned text, CSV and JSON.

import { GC_SECONDS_PER_RELU } from '../ir/cost.js';
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
  /** Private-inference latency of one inference (the model of `hrn stats`): GC for the ReLUs. */
  gcLatencySeconds: number;
  /** HE for the linear layers; null when the run's network can no longer be built to find it. */
  heLatencySeconds: number | null;
  /** GC + HE; null with heLatencySeconds. */
  totalLatencySeconds: number | null;
  /** After the last epoch. */
  testAccuracy: number | null;
  bestTestAccuracy: number | null;
  epochs: number;
  wallSeconds: number;
  /** On the ReLU-accuracy Pareto front (no run has fewer or equal ReLUs and higher accuracy). */
  pareto: boolean;
  checkpoint: string;
}

/** The rows of `results`; `he` gives each run's HE latency by id (src/report/pi-latency.ts). */
export function reportRows(results: RunResult[], he: ReadonlyMap<string, number> = new Map()): ReportRow[] {
  const front = paretoFront(results.filter((r) => r.testAccuracy !== null).map((r) => ({ id: r.id, x: r.relus, y: r.testAccuracy as number })));
  return results
    .map((r) => {
      const gc = r.relus * GC_SECONDS_PER_RELU;
      const heSeconds = he.get(r.id) ?? null;
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
        gcLatencySeconds: gc,
        heLatencySeconds: heSeconds,
        totalLatencySeconds: heSeconds === null ? null : heSeconds + gc,
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

const CSV_COLUMNS: (keyof ReportRow)[] = ['id', 'run', 'network', 'set', 'pipeline', 'seed', 'relus', 'flops', 'params', 'gcLatencySeconds', 'heLatencySeconds', 'totalLatencySeconds', 'testAccuracy', 'bestTestAccuracy', 'epochs', 'wallSeconds', 'pareto', 'checkpoint'];

function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: ReportRow[]): string {
  return [CSV_COLUMNS.join(','), ...rows.map((r) => CSV_COLUMNS.map((c) => csvField(r[c])).join(','))].join('\n') + '\n';
}

const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(2)}%`);
const secs = (x: number | null) => (x === null ? '-' : `${x.toFixed(1)}s`);

export function toText(rows: ReportRow[]): string {
  const head = ['run', 'ReLUs', 'FLOPs', 'params', 'GC lat', 'HE lat', 'PI lat', 'test acc', 'best', 'epochs', 'wall', 'Pareto'];
  const body = rows.map((r) => [
    r.run,
    r.relus.toLocaleString('en-US'),
    `${(r.flops / 1e6).toFixed(2)}M`,
    r.params.toLocaleString('en-US'),
    secs(r.gcLatencySeconds),
    secs(r.heLatencySeconds),
    secs(r.totalLatencySeconds),
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
  const lines = ['| run | ReLUs | FLOPs | params | GC latency | HE latency | PI latency | test accuracy | Pareto |', '|---|---:|---:|---:|---:|---:|---:|---:|:-:|'];
  for (const r of rows) {
    const lat = [r.gcLatencySeconds, r.heLatencySeconds, r.totalLatencySeconds].map(secs).join(' | ');
    lines.push(`| ${r.run} | ${r.relus.toLocaleString('en-US')} | ${(r.flops / 1e6).toFixed(2)}M | ${r.params.toLocaleString('en-US')} | ${lat} | ${pct(r.testAccuracy)} | ${r.pareto ? '*' : ''} |`);
  }
  return lines.join('\n');
}
