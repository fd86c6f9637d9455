// What a sweep shows while it runs: one line per run as it starts (`[3/12] label`, with an ETA from
// the runs finished so far) and as it ends, and the current run's own progress from the training
// loop's TrainProgress (a bar on a terminal, a line per epoch otherwise).

import { TrainProgress, type ProgressStream } from '../train/progress.js';
import type { RunConfig } from './expand.js';
import type { RunResult } from './store.js';

export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s - 60 * m)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(2)}%`);

/** A finished run's accuracies: the validation accuracy first when it has one (--val-split). */
const accuracies = (r: RunResult) => `${typeof r.valAccuracy === 'number' ? `val ${pct(r.valAccuracy)}, ` : ''}test ${pct(r.testAccuracy)}`;

/** How a finished run ended: trained all its epochs, or stopped by the early-stopping rule. */
const ended = (run: RunConfig, r: RunResult) => (r.stopped ? `stopped early ${run.label} after epoch ${r.stopped.epoch} of ${run.train.epochs}` : `done ${run.label}`);
const stopReason = (r: RunResult) => (r.stopped ? ` (${r.stopped.rule}: ${r.stopped.reason})` : '');

export class SweepProgress {
  private total = 0;
  private finishedCount = 0;
  private timedRuns = 0;
  private timedSeconds = 0;
  /** When each run now training started (several at once with --jobs). */
  private runStarted = new Map<string, number>();
  /** The current run's progress, whose terminal bar must be taken down before any other line. */
  private current: TrainProgress | undefined;

  constructor(
    private readonly stream: ProgressStream,
    private readonly now: () => number = () => performance.now(),
  ) {}

  begin(total: number, alreadyDone: number): void {
    this.total = total;
    this.finishedCount = alreadyDone;
    this.line(`sweep: ${total} run${total === 1 ? '' : 's'}, ${alreadyDone} already finished, ${total - alreadyDone} to train`);
  }

  /** Seconds left, from the mean time of the runs finished in this invocation. */
  eta(): number {
    if (this.timedRuns === 0) return NaN;
    return (this.timedSeconds / this.timedRuns) * (this.total - this.finishedCount);
  }

  startRun(run: RunConfig): void {
    this.runStarted.set(run.id, this.now());
    const eta = this.eta();
    const running = this.runStarted.size;
    this.line(`[${this.finishedCount + running}/${this.total}] ${run.label}  (${run.counts.relus.toLocaleString('en-US')} ReLUs${Number.isNaN(eta) ? '' : `, sweep ETA ${formatDuration(eta / Math.max(1, running))}`})`);
  }

  /** A run trained elsewhere (a --jobs child, a queue worker) has begun epoch `epoch` of its `epochs`. */
  epochElsewhere(run: RunConfig, epoch: number, epochs: number): void {
    this.line(`  ${run.label}: epoch ${epoch}/${epochs}`);
  }

  trainProgress(run: RunConfig): TrainProgress {
    this.current = new TrainProgress({ epochs: run.train.epochs, stream: this.stream });
    return this.current;
  }

  /**
   * The stream for messages that arrive at any moment (the Ctrl-C handler's). A terminal bar,
   * when stopped, moves the cursor back to the line it started on and clears it, so a line
   * written while the bar runs is left below the cursor and the next output is drawn over it:
   * the bar is taken down first.
   */
  messageStream(): ProgressStream {
    return {
      write: (chunk: string) => {
        this.current?.stop();
        return this.stream.write(chunk);
      },
      isTTY: this.stream.isTTY,
    };
  }

  finished(run: RunConfig, r: RunResult): void {
    this.finishedCount++;
    const started = this.runStarted.get(run.id);
    this.runStarted.delete(run.id);
    if (started !== undefined) {
      this.timedRuns++;
      this.timedSeconds += (this.now() - started) / 1000;
    }
    this.line(`[${this.finishedCount}/${this.total}] ${ended(run, r)}: ${accuracies(r)}, ${formatDuration(r.wallSeconds)}${stopReason(r)}`);
  }

  /** A run finished elsewhere (a queue worker). */
  finishedElsewhere(run: RunConfig, r: RunResult): void {
    this.finishedCount++;
    this.line(`[${this.finishedCount}/${this.total}] ${ended(run, r)}: ${accuracies(r)}, ${formatDuration(r.wallSeconds)} (${r.by})${stopReason(r)}`);
  }

  /** A run that was started and ended without a result (interrupted): it no longer counts as running. */
  dropped(run: RunConfig): void {
    this.runStarted.delete(run.id);
  }

  failed(run: RunConfig, message: string): void {
    this.runStarted.delete(run.id);
    this.finishedCount++;
    this.line(`[${this.finishedCount}/${this.total}] FAILED ${run.label}: ${message}`);
  }

  note(line: string): void {
    this.line(line);
  }

  private line(s: string): void {
    this.current?.stop();
    this.stream.write(`${s}\n`);
  }
}
