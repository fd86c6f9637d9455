// Progress while training: on a terminal, a cli-progress bar per epoch showing batches, images per
// second, the running loss and the learning rate; when the stream is not a terminal (CI, a log
// file), nothing while the epoch runs and one summary line per epoch. The summary line is printed
// on a terminal too, so the history stays on screen.

import cliProgress from 'cli-progress';

/** Where progress goes: process.stderr by default. */
export interface ProgressStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** Total epochs, for `epoch 3/200`. */
  epochs: number;
  stream?: ProgressStream;
  /** Force bar (true) or line (false) mode; default: the stream's isTTY. */
  tty?: boolean;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

export interface EpochSummary {
  loss: number;
  lr: number;
  /** Training accuracy in [0, 1]. */
  accuracy?: number;
  /** Test accuracy in [0, 1]. */
  testAccuracy?: number;
  /** Images per second of the epoch's training steps alone, as the run's summary counts them;
   * without it, the images over the whole epoch (its evaluation, and kernels compiled for it,
   * included). */
  imagesPerSecond?: number;
  /** Anything else to show, already formatted or numeric. */
  extra?: Record<string, string | number>;
}

const fmtLoss = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x));
const fmtLr = (x: number) => (x >= 1e-3 ? x.toFixed(4) : x.toExponential(2));
const fmtPct = (x: number) => `${(100 * x).toFixed(2)}%`;

function fmtDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${Math.round(s - 60 * m).toString().padStart(2, '0')}s` : `${Math.floor(m / 60)}h${(m % 60).toString().padStart(2, '0')}m`;
}

/**
 * A progress line for kernel compilation, `compiling kernels 12/34`, on `stream`: redrawn in place
 * on a terminal, otherwise written once when done. It is its own line, so the time is not counted
 * in any epoch's images per second or ETA.
 */
export function compileProgress(stream: ProgressStream, tty = stream.isTTY === true, now: () => number = () => performance.now()): (done: number, total: number) => void {
  let started = 0;
  return (done, total) => {
    if (done === 0) started = now();
    const line = `compiling kernels ${done}/${total}`;
    if (done < total) {
      if (tty) stream.write(`\r${line}`);
      return;
    }
    stream.write(`${tty ? '\r' : ''}${line} (${fmtDuration(now() - started)})\n`);
  };
}

export class TrainProgress {
  private readonly o: ProgressOptions;
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly now: () => number;
  private bar: cliProgress.SingleBar | undefined;
  private epoch = 0;
  private started = 0;
  private images = 0;
  /** Reports kernel compilation (Trainer and Executor `onCompile`): see compileProgress. */
  readonly compiling: (done: number, total: number) => void;

  constructor(o: ProgressOptions) {
    this.o = o;
    this.stream = o.stream ?? process.stderr;
    this.tty = o.tty ?? this.stream.isTTY === true;
    this.now = o.now ?? (() => performance.now());
    this.compiling = compileProgress(this.stream, this.tty, this.now);
  }

  get isTTY(): boolean {
    return this.tty;
  }

  /** Epochs count from 1 in messages. */
  startEpoch(epoch: number, batches: number): void {
    this.stopBar();
    this.epoch = epoch;
    this.started = this.now();
    this.images = 0;
    if (!this.tty) return;
    const width = String(this.o.epochs).length;
    this.bar = new cliProgress.SingleBar(
      {
        format: `epoch {epoch}/${this.o.epochs} [{bar}] {value}/{total} | {ips} img/s | loss {loss} | lr {lr} | eta {eta_formatted}`,
        stream: this.stream as unknown as NodeJS.WritableStream,
        barsize: 24,
        hideCursor: false,
        gracefulExit: false, // Ctrl-C belongs to the training loop (interrupt.ts)
        clearOnComplete: true,
        etaBuffer: 50,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(batches, 0, { epoch: String(epoch).padStart(width), ips: '-', loss: '-', lr: '-' });
  }

  /** After each batch: batches done this epoch, images done this epoch, running loss, lr. */
  update(batchesDone: number, images: number, loss: number, lr: number): void {
    this.images = images;
    if (!this.bar) return;
    const secs = (this.now() - this.started) / 1000;
    this.bar.update(batchesDone, { ips: secs > 0 ? Math.round(images / secs) : '-', loss: fmtLoss(loss), lr: fmtLr(lr) });
  }

  /** The one-line summary of an epoch (also what non-terminal output consists of). */
  summaryLine(s: EpochSummary): string {
    const ms = this.now() - this.started;
    const parts = [`epoch ${this.epoch}/${this.o.epochs}`, `loss ${fmtLoss(s.loss)}`];
    if (s.accuracy !== undefined) parts.push(`acc ${fmtPct(s.accuracy)}`);
    if (s.testAccuracy !== undefined) parts.push(`test ${fmtPct(s.testAccuracy)}`);
    parts.push(`lr ${fmtLr(s.lr)}`);
    const ips = s.imagesPerSecond ?? (ms > 0 ? this.images / (ms / 1000) : undefined);
    if (ips !== undefined && Number.isFinite(ips)) parts.push(`${Math.round(ips)} img/s`);
    parts.push(fmtDuration(ms));
    for (const [k, v] of Object.entries(s.extra ?? {})) parts.push(`${k} ${typeof v === 'number' ? fmtLoss(v) : v}`);
    return parts.join('  ');
  }

  endEpoch(s: EpochSummary): void {
    this.stopBar();
    this.stream.write(`${this.summaryLine(s)}\n`);
  }

  /** A line of its own (checkpoint saved, interrupted), without breaking the bar. */
  note(line: string): void {
    if (this.bar) this.stream.write('\n');
    this.stream.write(`${line}\n`);
  }

  stop(): void {
    this.stopBar();
  }

  private stopBar(): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = undefined;
    }
  }
}
