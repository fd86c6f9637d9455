// Progress over a long pass through images (hrn infer over a whole test split): on a terminal, a
// cli-progress bar redrawn in place and cleared at the end; elsewhere (a log file, CI) a line at
// each tenth of the way, so a log shows the command is alive without one line per batch.

import cliProgress from 'cli-progress';
import { startBar } from './progress-bar.js';
import type { ErrStream } from './stderr.js';

export interface ImageProgressOptions {
  /** What is being done, e.g. `infer`. */
  label: string;
  /** Images in all. */
  total: number;
  /** Bar (true) or lines (false); default: the stream's isTTY. */
  tty?: boolean;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

const count = (n: number) => n.toLocaleString('en-US');

export class ImageProgress {
  private readonly bar: cliProgress.SingleBar | undefined;
  private readonly started: number;
  private readonly now: () => number;
  /** The tenths of the way already reported as lines. */
  private tenths = 0;

  constructor(
    private readonly stream: ErrStream,
    private readonly o: ImageProgressOptions,
  ) {
    this.now = o.now ?? (() => performance.now());
    this.started = this.now();
    if (!(o.tty ?? stream.isTTY === true) || o.total <= 0) return;
    this.bar = startBar(stream, `${o.label} [{bar}] {value}/{total} images | {ips} img/s | eta {eta_formatted}`, o.total, { ips: '-' });
  }

  /** `done` images so far. */
  update(done: number): void {
    const secs = (this.now() - this.started) / 1000;
    const ips = secs > 0 ? Math.round(done / secs) : undefined;
    if (this.bar) {
      this.bar.update(done, { ips: ips ?? '-' });
      return;
    }
    const reached = Math.floor((10 * done) / this.o.total);
    if (reached <= this.tenths) return;
    this.tenths = reached;
    const rate = ips === undefined ? '' : `, ${count(ips)} img/s`;
    this.stream.write(`${this.o.label}: ${count(done)}/${count(this.o.total)} images (${Math.round((100 * done) / this.o.total)}%)${rate}\n`);
  }

  stop(): void {
    this.bar?.stop();
  }
}
