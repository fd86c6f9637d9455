// Per-epoch metrics as CSV (OUT/metrics.csv), for spreadsheets and plotting tools. One row per
// finished epoch with a fixed header, appended and written line by line like train.jsonl; a resumed
// run continues the same file. Every cell is a number or empty, so no quoting is ever needed.

import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MetricsRecord } from './checkpoint.js';

/**
 * The columns, in order; distillation runs fill ce/kd (and nckd for DKD), runs with --val-split
 * valAccuracy/valLoss, others leave them empty.
 */
export const METRICS_COLUMNS = ['epoch', 'step', 'loss', 'trainAccuracy', 'testAccuracy', 'testLoss', 'lr', 'seconds', 'imagesPerSecond', 'ce', 'kd', 'nckd', 'valAccuracy', 'valLoss'] as const;

export class MetricsCsv {
  readonly path: string;
  private readonly fd: number;
  /** The file's own header: a run resumed from a file written with fewer columns keeps its shape. */
  private readonly columns: readonly string[];

  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    const fresh = !existsSync(path) || statSync(path).size === 0;
    this.columns = fresh ? METRICS_COLUMNS : readFileSync(path, 'utf8').split('\n', 1)[0].split(',');
    this.fd = openSync(path, 'a', 0o644);
    if (fresh) this.write(METRICS_COLUMNS.join(','));
  }

  append(rec: MetricsRecord): void {
    this.write(this.columns.map((c) => (typeof rec[c] === 'number' ? String(rec[c]) : '')).join(','));
  }

  close(): void {
    closeSync(this.fd);
  }

  private write(line: string): void {
    const bytes = Buffer.from(`${line}\n`, 'utf8');
    let at = 0;
    while (at < bytes.length) at += writeSync(this.fd, bytes, at, bytes.length - at);
  }
}
