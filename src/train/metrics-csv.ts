// Per-epoch metrics as CSV (OUT/metrics.csv), for spreadsheets and plotting tools. One row per
// finished epoch with a fixed header, appended and written line by line like train.jsonl; a resumed
// run continues the same file. Every cell is a number or empty, so no quoting is ever needed.

import { closeSync, existsSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MetricsRecord } from './checkpoint.js';

/** The columns, in order; distillation runs fill ce/kd (and nckd for DKD), others leave them empty. */
export const METRICS_COLUMNS = ['epoch', 'step', 'loss', 'trainAccuracy', 'testAccuracy', 'testLoss', 'lr', 'seconds', 'imagesPerSecond', 'ce', 'kd', 'nckd'] as const;

export class MetricsCsv {
  readonly path: string;
  private readonly fd: number;

  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    const fresh = !existsSync(path) || statSync(path).size === 0;
    this.fd = openSync(path, 'a', 0o644);
    if (fresh) this.write(METRICS_COLUMNS.join(','));
  }

  append(rec: MetricsRecord): void {
    this.write(METRICS_COLUMNS.map((c) => (typeof rec[c] === 'number' ? String(rec[c]) : '')).join(','));
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
