// Ctrl-C while training: the first SIGINT only raises a flag that the training loop checks after
// each step (to save a checkpoint and exit cleanly); a second one exits at once with status 130.

export interface InterruptOptions {
  /** Printed on the first signal. */
  message?: string;
  stream?: { write(s: string): boolean };
  /** Signals handled (default SIGINT). */
  signals?: NodeJS.Signals[];
  /** Called on the second signal (default: process.exit(130)). */
  exit?: (code: number) => void;
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
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count++;
    if (count === 1) {
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
