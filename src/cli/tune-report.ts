// What `hrn tune` prints: its progress (a bar on a terminal, a line per tenth otherwise), the table
// of what it measured, and the cache entries it writes.

import cliProgress from 'cli-progress';
import { knobsKey } from '../codegen/schedule/candidates.js';
import type { GpuClock } from '../runtime/gpu-timer.js';
import type { SignatureTuning, TuneProgress, TuneResult } from '../launch/tune/search.js';
import { startBar } from './progress-bar.js';
import type { ErrStream } from './stderr.js';
import type { CacheEntry, Measurement } from './tune-cache.js';

/** Progress on `stream`: a cli-progress bar on a terminal, else a plain line at every tenth of the candidates. */
export class TuneProgressView {
  private bar: cliProgress.SingleBar | undefined;
  private tenth = 0;

  constructor(
    private readonly stream: ErrStream,
    private readonly what: string,
  ) {}

  update(p: TuneProgress): void {
    if (this.stream.isTTY) {
      if (!this.bar) {
        this.bar = startBar(this.stream, `tuning ${this.what} [{bar}] {value}/{total} candidates | {signature}`, p.total, { signature: '' });
      }
      this.bar.setTotal(p.total);
      this.bar.update(p.done, { signature: p.signature });
      return;
    }
    const tenth = Math.floor((10 * p.done) / Math.max(1, p.total));
    if (tenth > this.tenth) {
      this.tenth = tenth;
      this.stream.write(`tuning ${this.what}: ${p.done}/${p.total} candidates (${Math.round((100 * p.done) / p.total)}%)\n`);
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));

/** One row per signature: the default (the profile's choice) time, the winner's, the speed-up and the winner. */
export function tuneTable(results: readonly SignatureTuning[]): string {
  const head = ['signature', 'layers', 'timed', 'default ms', 'winner ms', 'speed-up', 'winner'];
  const rows = results.map((s) => {
    const timed = `${s.tried}/${s.candidates}`;
    if (!s.baseline || !s.best) return [s.key, String(s.dispatches), timed, '-', '-', '-', s.baseline ? 'not measured' : 'not measured (budget)'];
    const same = knobsKey(s.family, s.best.knobs) === knobsKey(s.family, s.baseline.knobs);
    return [s.key, String(s.dispatches), timed, ms(s.baseline.ms), ms(s.best.ms), `${(s.baseline.ms / s.best.ms).toFixed(2)}x`, `${knobsKey(s.family, s.best.knobs)}${same ? ' (the default)' : ''}`];
  });
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const right = new Set([1, 2, 3, 4, 5]);
  const fmt = (r: string[]) => r.map((c, i) => (right.has(i) ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd();
  return [fmt(head), fmt(w.map((n) => '-'.repeat(n))), ...rows.map(fmt)].join('\n');
}

/** The cache entries of a tuning run: every signature with a measured winner. */
export function cacheEntries(result: TuneResult, how: Pick<Measurement, 'mode' | 'network'>, at: Date): Record<string, CacheEntry> {
  const out: Record<string, CacheEntry> = {};
  for (const s of result.signatures) {
    if (!s.best || !s.baseline) continue;
    const measured: Measurement = { at: at.toISOString(), ...how, reps: result.reps, tried: s.tried, candidates: s.candidates };
    out[s.key] = { family: s.family, knobs: s.best.knobs, profile: result.profile.name, ms: s.best.ms, profileMs: s.baseline.ms, measured } as CacheEntry;
  }
  return out;
}

/** A signature of `hrn tune --json`: what was timed, the default's and the winner's times, the winner's knobs. */
export interface TuneJsonSignature {
  signature: string;
  family: string;
  layer: string;
  dispatches: number;
  candidates: number;
  timed: number;
  defaultMs: number | null;
  winnerMs: number | null;
  speedup: number | null;
  winner: Record<string, number | boolean> | null;
  winnerIsDefault: boolean;
  rejected: { knobs: Record<string, number | boolean>; why: string }[];
}

/** The `--json` entry of one network's tuning run. */
/** What timed a run, for the report: `by GPU timestamps` or `by the wall clock`. */
export const clockText = (clock: GpuClock) => (clock === 'timestamp' ? 'by GPU timestamps' : 'by the wall clock');

export function tuneJsonNetwork(result: TuneResult, how: { network: string; mode: Measurement['mode']; batch: number }) {
  const signatures = result.signatures.map((s): TuneJsonSignature => {
    const measured = s.baseline !== undefined && s.best !== undefined;
    return {
      signature: s.key,
      family: s.family,
      layer: s.label,
      dispatches: s.dispatches,
      candidates: s.candidates,
      timed: s.tried,
      defaultMs: s.baseline?.ms ?? null,
      winnerMs: measured ? s.best!.ms : null,
      speedup: measured ? s.baseline!.ms / s.best!.ms : null,
      winner: measured ? ({ ...s.best!.knobs } as Record<string, number | boolean>) : null,
      winnerIsDefault: measured && knobsKey(s.family, s.best!.knobs) === knobsKey(s.family, s.baseline!.knobs),
      rejected: s.rejected.map((r) => ({ knobs: { ...r.knobs } as Record<string, number | boolean>, why: r.why })),
    };
  });
  return { ...how, profile: { name: result.profile.name, from: result.profile.from }, timed: result.tried, candidates: result.total, stopped: result.stopped, clock: result.clock, signatures };
}
