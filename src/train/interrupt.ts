// Ctrl-C while training: the first SIGINT only raises a flag that the training loop checks after
// each step (to save a checkpoint and exit cleanly); a second one exits at once with status 130.

export interface InterruptOptions {
  /** Printed on the first signal. */
  message?: string;
  stream?: { write(s: string): unknown };
  /** Signals handled (default SIGINT). */
  signals?: NodeJS.Signals[];
  /** Called on the second signal (default: process.exit(130)). */
  exit?: (code: number) => void;
  /** Signals within this many ms of the first count as the same keypress (default 0: none). */
  graceMs?: number;
}

export interface InterruptFlag {
  /** True once a signal has arrived. */
  readonly requested: boolean;
  /** Signals received so far. */
  readonly count: number;
  /** Removes the handlers (the loop is over). */
  dispose(): void;
}

export function installInterruptHandler(o: InterruptOptions = {}): InterruptFlag {
  const stream = o.stream ?? process.stderr;
  const signals = o.signals ?? ['SIGINT'];
  const exit = o.exit ?? ((code: number) => process.exit(code));
  const grace = o.graceMs ?? 0;
  let count = 0;
  let first = 0;
  const handler = (signal: NodeJS.Signals) => {
    const now = Date.now();
    if (count > 0 && grace > 0 && now - first <= grace) return;
    count++;
    if (count === 1) {
      first = now;
      stream.write(`\n${o.message ?? `${signal}: finishing this step, saving a checkpoint, then stopping (press Ctrl-C again to quit at once)`}\n`);
    } else {
      stream.write(`\n${signal} again: quitting without saving\n`);
      exit(130);
    }
  };
  for (const s of signals) process.on(s, handler);
  return {
    get requested() {
      return count > 0;
    },
    get count() {
      return count;
    },
    dispose() {
      for (const s of signals) process.removeListener(s, handler);
    },
  };
}

/**
 * Ctrl-C for a training run: signals arriving within `graceMs` (default 1 s) of the first count as
 * the same keypress. A terminal sends SIGINT to the whole foreground process group, and launchers
 * such as npx (and tsx) forward it to their child again, so one Ctrl-C can arrive twice.
 */
export function installTrainingInterrupt(o: Pick<InterruptOptions, 'stream' | 'graceMs' | 'exit'> = {}): InterruptFlag {
  return installInterruptHandler({ ...o, graceMs: o.graceMs ?? 1000 });
}
