// Stopping a training run on a signal: the first SIGINT (Ctrl-C) or SIGTERM (what schedulers,
// `kill` and `docker stop` send) only raises a flag that the training loop checks after each step
// (to save a checkpoint and exit cleanly); a second one exits at once.

/** The signals a training run stops on gracefully. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/**
 * Exit status of a run stopped by a signal: 128 + the signal's number, as a shell reports a process
 * killed by it, whether the run saved its checkpoint first (the graceful stop) or quit at once (the
 * second signal). Everything that tells "stopped, resumable" from a failure (the sweep worker, the
 * sweep commands) reads it from here.
 */
export const EXIT_ON_SIGNAL: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

/** The exit status after a graceful stop on `signal` (SIGINT's when unknown). */
export function exitStatusFor(signal: NodeJS.Signals | undefined): number {
  return signal !== undefined && signal in EXIT_ON_SIGNAL ? EXIT_ON_SIGNAL[signal as StopSignal] : EXIT_ON_SIGNAL.SIGINT;
}

/** Whether a training process's exit status says it stopped on a signal after saving. */
export function isStoppedBySignal(code: number | null): boolean {
  return code !== null && Object.values(EXIT_ON_SIGNAL).includes(code);
}

export interface InterruptOptions {
  /** Printed on the first signal (default: says which signal and what happens next). */
  message?: string | ((signal: NodeJS.Signals) => string);
  stream?: { write(s: string): unknown };
  /** Signals handled (default SIGINT and SIGTERM). */
  signals?: readonly NodeJS.Signals[];
  /** Called on the second signal (default: process.exit with 128 + the signal's number). */
  exit?: (code: number) => void;
  /** Signals within this many ms of the first count as the same request (default 0: none). */
  graceMs?: number;
  /** Called once, after the first signal's message: for work that waits rather than checks the flag. */
  onRequest?: (signal: NodeJS.Signals) => void;
}

export interface InterruptFlag {
  /** True once a signal has arrived. */
  readonly requested: boolean;
  /** Signals received so far. */
  readonly count: number;
  /** The first signal received (undefined before one, or for a flag raised otherwise). */
  readonly signal?: NodeJS.Signals;
  /** Removes the handlers (the loop is over). */
  dispose(): void;
}

/** How to ask again, for the message on the first signal. */
export function againHint(signal: NodeJS.Signals): string {
  return signal === 'SIGINT' ? 'press Ctrl-C again' : `send ${signal} again`;
}

function firstMessage(signal: NodeJS.Signals): string {
  return `${signal}: finishing this step, saving a checkpoint, then stopping (${againHint(signal)} to quit at once)`;
}

export function installInterruptHandler(o: InterruptOptions = {}): InterruptFlag {
  const stream = o.stream ?? process.stderr;
  const signals = o.signals ?? STOP_SIGNALS;
  const exit = o.exit ?? ((code: number) => process.exit(code));
  const grace = o.graceMs ?? 0;
  let count = 0;
  let first = 0;
  let firstSignal: NodeJS.Signals | undefined;
  const handler = (signal: NodeJS.Signals) => {
    const now = Date.now();
    if (count > 0 && grace > 0 && now - first <= grace) return;
    count++;
    if (count === 1) {
      first = now;
      firstSignal = signal;
      const m = o.message ?? firstMessage;
      stream.write(`\n${typeof m === 'string' ? m : m(signal)}\n`);
      o.onRequest?.(signal);
    } else {
      stream.write(`\n${signal} again: quitting without saving\n`);
      exit(exitStatusFor(signal));
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
    get signal() {
      return firstSignal;
    },
    dispose() {
      for (const s of signals) process.removeListener(s, handler);
    },
  };
}

/**
 * The stop request of a training run: signals arriving within `graceMs` (default 1 s) of the first
 * count as the same request. A terminal sends SIGINT to the whole foreground process group, and
 * launchers such as npx (and tsx), or a supervising parent process, forward SIGINT and SIGTERM to
 * their child again, so one request can arrive twice.
 */
export function installTrainingInterrupt(o: Pick<InterruptOptions, 'stream' | 'graceMs' | 'exit'> = {}): InterruptFlag {
  return installInterruptHandler({ ...o, graceMs: o.graceMs ?? 1000 });
}
