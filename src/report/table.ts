// A sweep's results as tables: one row per run (finished or failed) for CSV and JSON, each with its
// configuration's mean and spread over the seeds; and one row per configuration as aligned text and
// Markdown. See groups.ts for what is compared on which accuracy.

import { GC_SECONDS_PER_RELU } from '../ir/cost.js';
import type { RunConfig } from '../sweep/expand.js';
import type { RunError, RunResult } from '../sweep/store.js';
import { configurations, selectionOf, type Configuration, type Selection, type Spread } from './groups.js';

export interface ReportRow {
  id: string;
  run: string;
  /**
   * `failed`: the run has an error.json and no result. `stopped`: an early-stopping rule ended it
   * before its last epoch; it is listed but not compared (it did not train as long as the others).
   */
  status: 'finished' | 'stopped' | 'failed';
  /** Why it failed (error.json), null for a finished run. */
  error: string | null;
  /** Why it was stopped early (`after epoch E: RULE: REASON`), null otherwise. */
  stoppedEarly: string | null;
  /** The run's configuration: its label without the seed. */
  config: string;
  network: string;
  set: string;
  pipeline: string;
  seed: number | null;
  relus: number | null;
  flops: number | null;
  params: number | null;
  /** Private-inference latency of one inference (the model of `hrn stats`): GC for the ReLUs. */
  gcLatencySeconds: number | null;
  /** HE for the linear layers; null when the run's network can no longer be built to find it. */
  heLatencySeconds: number | null;
  /** GC + HE; null with either. */
  totalLatencySeconds: number | null;
  /** What runs are compared on: validation accuracy when every run has one, else test accuracy. */
  selectedBy: Selection;
  valAccuracy: number | null;
  bestValAccuracy: number | null;
  /** After the last epoch; when selecting on validation, only for runs of configurations on the front. */
  testAccuracy: number | null;
  /** Best over the epochs; only when selecting on test (picking an epoch by test accuracy is selecting on it). */
  bestTestAccuracy: number | null;
  /** The configuration's runs, and the mean, sample standard deviation and range of the compared accuracy. */
  configRuns: number | null;
  accuracyMean: number | null;
  accuracySd: number | null;
  accuracyMin: number | null;
  accuracyMax: number | null;
  /** The same for the test accuracy, where it is reported. */
  testMean: number | null;
  testSd: number | null;
  epochs: number | null;
  wallSeconds: number | null;
  /** The configuration is on the ReLU-accuracy Pareto front (of the compared accuracy's means). */
  pareto: boolean;
  checkpoint: string | null;
}

export interface Report {
  selection: Selection;
  configurations: Configuration[];
  rows: ReportRow[];
  /** Each run's HE latency by id (src/report/pi-latency.ts), where it is known. */
  he: ReadonlyMap<string, number>;
}

/** The PI latency columns of a network with `relus` ReLUs and HE latency `he`. */
function latency(relus: number | null, he: number | null): Pick<ReportRow, 'gcLatencySeconds' | 'heLatencySeconds' | 'totalLatencySeconds'> {
  const gc = relus === null ? null : relus * GC_SECONDS_PER_RELU;
  return { gcLatencySeconds: gc, heLatencySeconds: he, totalLatencySeconds: gc === null || he === null ? null : gc + he };
}

const best = (xs: unknown[]) => {
  const nums = xs.filter((a): a is number => typeof a === 'number');
  return nums.length > 0 ? Math.max(...nums) : null;
};

/**
 * The report of finished runs `results` and failed runs `failures`; `config` reads a run's
 * run.json, `he` gives a run's HE latency by id.
 */
export function buildReport(results: RunResult[], failures: RunError[], config: (id: string) => RunConfig | undefined, he: ReadonlyMap<string, number> = new Map()): Report {
  const selection = selectionOf(results);
  // A run stopped early trained fewer epochs than its configuration asks for: comparing it with
  // the runs that trained them all would judge the configuration by a run cut short.
  const configs = configurations(results.filter((r) => r.stopped === undefined), config, selection);
  const configOf = new Map(configs.flatMap((c) => c.runs.map((r) => [r.id, c] as const)));
  const rows: ReportRow[] = results.map((r) => {
    const c = configOf.get(r.id);
    return {
      id: r.id,
      run: r.label,
      status: r.stopped ? 'stopped' : 'finished',
      error: null,
      stoppedEarly: r.stopped ? stoppedText(r) : null,
      config: c?.label ?? r.label.replace(/ seed\d+$/, ''),
      network: r.network,
      set: r.set.join(' '),
      pipeline: r.pipeline ?? 'none',
      seed: r.seed,
      relus: r.relus,
      flops: r.flops,
      params: r.params,
      ...latency(r.relus, he.get(r.id) ?? null),
      selectedBy: selection,
      valAccuracy: r.valAccuracy ?? null,
      bestValAccuracy: best(r.history.map((h) => h.valAccuracy)),
      testAccuracy: selection === 'test' || c?.pareto ? r.testAccuracy : null,
      bestTestAccuracy: selection === 'test' ? best(r.history.map((h) => h.testAccuracy)) : null,
      ...spreadColumns(c),
      epochs: r.epochs,
      wallSeconds: Math.round(r.wallSeconds * 10) / 10,
      pareto: c?.pareto ?? false,
      checkpoint: r.checkpoint,
    };
  });
  for (const f of failures) {
    const planned = config(f.id);
    rows.push({
      id: f.id,
      run: f.label,
      status: 'failed',
      error: f.error,
      stoppedEarly: null,
      config: f.label.replace(/ seed\d+$/, ''),
      network: planned?.network ?? '',
      set: planned?.set.join(' ') ?? '',
      pipeline: planned ? (planned.pipeline ?? 'none') : '',
      seed: planned?.seed ?? null,
      relus: planned?.counts.relus ?? null,
      flops: planned?.counts.flops ?? null,
      params: planned?.counts.params ?? null,
      ...latency(planned?.counts.relus ?? null, planned?.counts.heLatencySeconds ?? he.get(f.id) ?? null),
      selectedBy: selection,
      valAccuracy: null,
      bestValAccuracy: null,
      testAccuracy: null,
      bestTestAccuracy: null,
      ...spreadColumns(undefined),
      epochs: null,
      wallSeconds: null,
      pareto: false,
      checkpoint: null,
    });
  }
  rows.sort((a, b) => (a.relus ?? Infinity) - (b.relus ?? Infinity) || a.run.localeCompare(b.run));
  return { selection, configurations: configs, rows, he };
}

function spreadColumns(c: Configuration | undefined): Pick<ReportRow, 'configRuns' | 'accuracyMean' | 'accuracySd' | 'accuracyMin' | 'accuracyMax' | 'testMean' | 'testSd'> {
  return {
    configRuns: c?.runs.length ?? null,
    accuracyMean: c?.accuracy.mean ?? null,
    accuracySd: c?.accuracy.sd ?? null,
    accuracyMin: c?.accuracy.min ?? null,
    accuracyMax: c?.accuracy.max ?? null,
    testMean: c?.test?.mean ?? null,
    testSd: c?.test?.sd ?? null,
  };
}

const CSV_COLUMNS: (keyof ReportRow)[] = [
  'id', 'run', 'status', 'config', 'network', 'set', 'pipeline', 'seed', 'relus', 'flops', 'params', 'gcLatencySeconds', 'heLatencySeconds', 'totalLatencySeconds', 'selectedBy', 'valAccuracy', 'bestValAccuracy', 'testAccuracy', 'bestTestAccuracy',
  'configRuns', 'accuracyMean', 'accuracySd', 'accuracyMin', 'accuracyMax', 'testMean', 'testSd', 'epochs', 'wallSeconds', 'pareto', 'checkpoint', 'stoppedEarly', 'error',
];

function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: ReportRow[]): string {
  return [CSV_COLUMNS.join(','), ...rows.map((r) => CSV_COLUMNS.map((c) => csvField(r[c])).join(','))].join('\n') + '\n';
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${(100 * x).toFixed(2)}%`);
/** Mean ± sample standard deviation (the mean alone for one run), in percent. */
const meanSd = (s: Spread | null) => (s === null ? '-' : s.sd === null ? pct(s.mean) : `${pct(s.mean)} ± ${(100 * s.sd).toFixed(2)}`);
const range = (s: Spread) => (s.n === 1 ? '-' : `${pct(s.min)}-${pct(s.max)}`);
const secs = (x: number | null) => (x === null ? '-' : `${x.toFixed(1)}s`);

/** What the accuracies are, in a sentence, for the top of the text and Markdown reports. */
export function selectionNote(r: Report): string {
  const seeds = 'mean ± sample standard deviation and min-max over the seeds of a configuration';
  return r.selection === 'validation'
    ? `Compared on validation accuracy (--val-split; ${seeds}). Test accuracy is reported only for the configurations on the Pareto front (*), the ones selected.`
    : `Compared on test accuracy (${seeds}): the runs have no validation split (--val-split), so the front is selected on the test set and its test accuracy is optimistic.`;
}

function configCells(r: Report): { head: string[]; body: string[][] } {
  const acc = r.selection === 'validation' ? 'val acc' : 'test acc';
  const head = ['configuration', 'seeds', 'ReLUs', 'FLOPs', 'params', 'GC lat', 'HE lat', 'PI lat', `${acc} (mean ± sd)`, 'min-max', ...(r.selection === 'validation' ? ['test acc (mean ± sd)'] : []), 'Pareto'];
  const body = r.configurations.map((c) => {
    // The seeds of a configuration train one network: its latency is any run's.
    const lat = latency(c.relus, c.runs.map((x) => r.he.get(x.id)).find((h) => h !== undefined) ?? null);
    return [
    c.label,
    String(c.runs.length),
    c.relus.toLocaleString('en-US'),
    `${(c.flops / 1e6).toFixed(2)}M`,
    c.params.toLocaleString('en-US'),
    secs(lat.gcLatencySeconds),
    secs(lat.heLatencySeconds),
    secs(lat.totalLatencySeconds),
    meanSd(c.accuracy),
    range(c.accuracy),
    ...(r.selection === 'validation' ? [meanSd(c.test)] : []),
    c.pareto ? '*' : '',
    ];
  });
  return { head, body };
}

const stoppedText = (r: RunResult) => `after epoch ${r.stopped!.epoch}: ${r.stopped!.rule}: ${r.stopped!.reason}`;

/** The runs an early-stopping rule ended, with their accuracy at the stop (not part of the comparison above). */
function stoppedLines(r: Report): string[] {
  const stopped = r.rows.filter((x) => x.status === 'stopped');
  if (stopped.length === 0) return [];
  const acc = (x: ReportRow) => (r.selection === 'validation' ? `val ${pct(x.valAccuracy)}` : `test ${pct(x.testAccuracy)}`);
  return ['', `${stopped.length} run${stopped.length === 1 ? '' : 's'} stopped early (--early-stop), not compared above:`, ...stopped.map((x) => `  ${x.run}: ${acc(x)} ${x.stoppedEarly}`)];
}

function failedLines(r: Report): string[] {
  const failed = r.rows.filter((x) => x.status === 'failed');
  return failed.length === 0 ? [] : ['', `${failed.length} failed run${failed.length === 1 ? '' : 's'} (error.json):`, ...failed.map((x) => `  ${x.run}: ${(x.error ?? '').split('\n').join('\n    ')}`)];
}

export function toText(r: Report): string {
  const { head, body } = configCells(r);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ').trimEnd();
  return [selectionNote(r), '', fmt(head), ...body.map(fmt), ...stoppedLines(r), ...failedLines(r)].join('\n');
}

/** A Markdown table (for docs/results.md). */
export function toMarkdown(r: Report): string {
  const { head, body } = configCells(r);
  const lines = [selectionNote(r), '', `| ${head.join(' | ')} |`, `|---|${head.slice(1).map((h) => (h === 'Pareto' ? ':-:' : '---:')).join('|')}|`];
  for (const b of body) lines.push(`| ${b.join(' | ')} |`);
  return [...lines, ...stoppedLines(r), ...failedLines(r)].join('\n');
}
