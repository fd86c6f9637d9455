// The commands that open a WebGPU device run in a child process under a small supervising parent.
// Dawn writes two warnings to descriptor 2 from native code whenever an adapter is requested on
// lavapipe, and nothing inside the process can filter a native write without swapping descriptors
// behind Node's back (which raced with the GPU driver's own threads and lost or misdirected output).
// So the child's descriptor 2 is a pipe that this parent reads, dropping only those two lines, and
// the child writes hrn's own messages straight to the user's stderr, passed to it as descriptor 3
// (stderr.ts). The parent also turns a child killed by a signal (the out-of-memory killer, a crash
// in the GPU driver) into a line that says so, instead of a silent non-zero exit.

import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { DawnWarningFilter } from '../util/dawn-warnings.js';
import { useStderrFd, writeFully } from './stderr.js';
import { argvWantsJson, jsonErrorDocument } from './json.js';

/** Set in the child, so that it (and any hrn it starts) runs the command itself. */
const SUPERVISED_ENV = 'HRN_SUPERVISED';
/** Set for the child alone: the descriptor of the user's stderr there. */
const STDERR_FD_ENV = 'HRN_STDERR_FD';
/** The child's descriptor of the user's stderr: the first after stdin, stdout and the pipe. */
const CHILD_STDERR_FD = 3;

/** The commands that may open a WebGPU device. */
const DEVICE_COMMANDS: ReadonlySet<string> = new Set(['compile', 'infer', 'train', 'sweep', 'worker', 'criticality', 'tune']);

/** Signals the parent passes on; the child's own handlers decide what they mean. */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Whether `argv` should run under the supervisor: a device command, not already supervised, Dawn's
 * warnings not asked for (HRN_DAWN_WARNINGS=1 runs everything in one process, unfiltered), and no
 * debugger attached (`node --inspect`: the process being debugged must be the one doing the work).
 */
export function wantsSupervisor(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((a) => a.startsWith('--inspect'))) return false;
  return DEVICE_COMMANDS.has(argv[0] ?? '') && env[SUPERVISED_ENV] !== '1' && env.HRN_DAWN_WARNINGS !== '1';
}

/** What the user reads when the child died of a signal rather than exiting. */
export function signalMessage(command: string, signal: NodeJS.Signals): string {
  const crash = 'a crash in native code, most likely the WebGPU driver or Dawn';
  const why: Partial<Record<NodeJS.Signals, string>> = {
    SIGKILL: "the system's out-of-memory killer sends it when memory runs out, and so does kill -9",
    SIGSEGV: crash,
    SIGBUS: crash,
    SIGABRT: crash,
    SIGILL: 'native code ran an instruction this CPU does not have',
  };
  const reason = why[signal];
  return `hrn ${command}: error: the process was killed by ${signal}${reason ? `: ${reason}` : ''}`;
}

/** What a child killed by `signal` leaves on stdout under --json (every device command but
 * worker has it): the error document the child had no chance to print. */
export function signalJson(argv: readonly string[], signal: NodeJS.Signals): string | undefined {
  const command = argv[0] ?? 'hrn';
  if (!argvWantsJson(argv.slice(1), command !== 'worker')) return undefined;
  const message = signalMessage(command, signal).slice(`hrn ${command}: error: `.length);
  return `${jsonErrorDocument(command, { message, exitCode: signalStatus(signal) })}\n`;
}

/** Exit status for death by `signal`, as a shell reports it. */
export function signalStatus(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/** How a process ends: with an exit status, or by a signal (as the child did). */
export type Ending = { code: number } | { signal: NodeJS.Signals };

/**
 * Runs this same hrn invocation in a child and relays its stderr minus Dawn's warnings. Ends as the
 * child did: with its status, or, when the child died of a signal the user sent us too (Ctrl-C,
 * or a kill of the process group), by that signal and without a word, as a shell expects of a
 * program the user stopped (a loop over hrn stops on Ctrl-C only then). A signal we did not see
 * (someone killed the child alone, the out-of-memory killer, a crash) gets a line saying so.
 */
export function runSupervised(argv: readonly string[]): Promise<Ending> {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...argv], {
    // stdin and stdout are the child's own; descriptor 3 is our stderr, for hrn's messages; the
    // IPC channel tells the child when we are gone.
    stdio: ['inherit', 'inherit', 'pipe', 2, 'ipc'],
    env: { ...process.env, [SUPERVISED_ENV]: '1', [STDERR_FD_ENV]: String(CHILD_STDERR_FD) },
  });
  const filter = new DawnWarningFilter();
  const relay = (text: string) => {
    if (text.length > 0) writeFully(2, text);
  };
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => relay(filter.push(chunk)));
  const received = new Set<NodeJS.Signals>();
  const forward = (signal: NodeJS.Signals) => {
    // A terminal's Ctrl-C reaches both processes; the child's handler takes a repeat within its
    // grace period as the same request, so forwarding is safe and covers a signal sent to us alone.
    received.add(signal);
    child.kill(signal);
  };
  for (const s of FORWARDED) process.on(s, forward);
  return new Promise((done) => {
    child.on('error', (e) => {
      relay(`hrn ${argv[0]}: error: could not start the hrn process: ${e.message}\n`);
      done({ code: 1 });
    });
    // 'close' comes after the child's stderr has ended, so every line it wrote is relayed first.
    child.on('close', (code, signal) => {
      for (const s of FORWARDED) process.removeListener(s, forward);
      relay(filter.end());
      if (signal && received.has(signal)) {
        done({ signal });
      } else if (signal) {
        relay(`${signalMessage(argv[0] ?? 'hrn', signal)}\n`);
        const json = signalJson(argv, signal);
        if (json !== undefined) writeFully(1, json);
        done({ code: signalStatus(signal) });
      } else {
        done({ code: code ?? 1 });
      }
    });
  });
}

/**
 * In the supervisor's child (a no-op elsewhere): hrn's messages go to the user's stderr on its own
 * descriptor, and the process ends when the supervisor does. Call it before anything can start a
 * process: the variable is taken out of the environment so that no process hrn starts writes into
 * a descriptor number that means something else there (the sweep worker's children have their IPC
 * channel on descriptor 3).
 */
export function joinSupervisor(): void {
  const fd = process.env[STDERR_FD_ENV];
  if (fd === undefined) return;
  delete process.env[STDERR_FD_ENV];
  useStderrFd(Number(fd));
  // The channel carries no messages; it closes when the supervisor dies, which only a signal it
  // cannot pass on does (kill -9): hrn was meant to stop, so the child stops too.
  process.channel?.unref();
  process.on('disconnect', () => process.exit(signalStatus('SIGKILL')));
  absorbRepeatedSignals();
}

/** A repeat of a signal within this long is the same request (installTrainingInterrupt's window). */
const REPEAT_MS = 1000;

/**
 * A terminal's Ctrl-C reaches the child twice: from the terminal and passed on by the supervisor.
 * The second copy must not act on its own: arriving after a command has stopped on the first and
 * dropped its handler, or while the process exits, it would kill the process. So the child keeps a
 * listener of its own that lets a repeat within REPEAT_MS pass unseen, leaves a signal to the
 * command's handlers when there are any, and otherwise does what the signal does by default.
 */
export function absorbRepeatedSignals(byDefault: (signal: NodeJS.Signals) => void = reRaise, now: () => number = Date.now): () => void {
  const last = new Map<NodeJS.Signals, number>();
  const guard = (signal: NodeJS.Signals) => {
    const at = now();
    const previous = last.get(signal);
    last.set(signal, at);
    if (previous !== undefined && at - previous <= REPEAT_MS) return;
    if (process.listenerCount(signal) > 1) return;
    byDefault(signal);
  };
  for (const s of FORWARDED) process.on(s, guard);
  return () => {
    for (const s of FORWARDED) process.removeListener(s, guard);
  };
}

/** What `signal` does to a process that does not handle it: with no listener left, Node lets it. */
function reRaise(signal: NodeJS.Signals): void {
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
}
