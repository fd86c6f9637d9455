// Shared by bench/infer.ts and bench/train.ts: per-engine timings gathered round by round, and the
// table that compares them (img/s from wall time, GFLOP per CPU-second from process CPU time, and
// hrn's ratio to each peer as the median of per-round ratios).

import { median, quartiles } from './stats.js';

/** Milliseconds per batch (or step) of one round: wall, and CPU time of the process doing it. */
export interface Sample {
  wallMs: number;
  cpuMs: number;
}

/** Times `fn` run `reps` times, with this process's CPU time (all its threads, lavapipe's too). */
export async function timeInProcess(reps: number, fn: () => Promise<unknown>): Promise<Sample> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await fn();
  const wallMs = (performance.now() - t0) / reps;
  const c = process.cpuUsage(c0);
  return { wallMs, cpuMs: (c.user + c.system) / 1000 / reps };
}

export interface EngineRun {
  engine: string;
  samples: Sample[];
}

const f1 = (x: number) => x.toFixed(1);
const ratio = (xs: number[]) => {
  const [q1, q3] = quartiles(xs);
  return `${median(xs).toFixed(2)}x (${q1.toFixed(2)}-${q3.toFixed(2)})`;
};

/**
 * Rows of one network and batch: the first run is hrn, the rest peers. `flops` is the work of one
 * batch (or step), counted once for all engines. Ratios are hrn / peer (above 1: hrn is ahead).
 */
export function compareRows(label: string, batch: number, flops: number, runs: EngineRun[], peakGflops: number | undefined): string[][] {
  const hrn = runs[0];
  return runs.map((r) => {
    const wall = median(r.samples.map((s) => s.wallMs));
    const cpu = median(r.samples.map((s) => s.cpuMs));
    const perCpu = flops / cpu / 1e6;
    const n = Math.min(r.samples.length, hrn.samples.length);
    const idx = Array.from({ length: n }, (_, i) => i);
    return [
      r === hrn ? label : '',
      String(batch),
      r.engine,
      f1((batch * 1000) / wall),
      f1(perCpu),
      peakGflops ? `${((100 * perCpu) / peakGflops).toFixed(1)}%` : '-',
      f1(cpu / wall),
      r === hrn ? '' : ratio(idx.map((i) => r.samples[i].wallMs / hrn.samples[i].wallMs)),
      r === hrn ? '' : ratio(idx.map((i) => r.samples[i].cpuMs / hrn.samples[i].cpuMs)),
    ];
  });
}

export const COMPARE_HEADER = ['network', 'batch', 'engine', 'img/s', 'GFLOP/CPU-s', '% 1-core peak', 'cores busy', 'hrn/peer img/s (IQR)', 'hrn/peer GFLOP/CPU-s (IQR)'];

export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 || i === 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}
