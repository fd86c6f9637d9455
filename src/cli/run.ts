// Process entry of `hrn`: runs the CLI and ends the process as the command ended. Kept apart from
// main.ts so that tests can call main() in-process. Device commands first go through the
// supervisor (supervise.ts), which runs this same entry again as its child.
import { userStderr } from './stderr.js';
import { joinSupervisor, runSupervised, signalStatus, wantsSupervisor, type Ending } from './supervise.js';

const argv = process.argv.slice(2);

/** Anything reaching here is a bug in hrn, not a user error: say so without a stack trace, unless asked for one. */
function internalError(err: unknown): never {
  const say = (line: string) => userStderr().write(`${line}\n`);
  say(`hrn: internal error: ${err instanceof Error ? err.message : String(err)}`);
  if (process.env.HRN_TRACE && err instanceof Error && err.stack) say(err.stack);
  else say('please report this with the command you ran (HRN_TRACE=1 shows the trace)');
  process.exit(70);
}

/**
 * Resolves once everything written to `stream` has been handed to the system. A pipe whose reader
 * is slower than hrn (`hrn compile --debug | less`) holds the rest in Node's queue, and
 * process.exit would throw that away.
 */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((done) => (stream.writableLength === 0 ? done() : stream.write('', () => done())));
}

async function run(): Promise<Ending> {
  if (wantsSupervisor(argv)) return runSupervised(argv);
  joinSupervisor();
  // A reader that stopped early (`hrn compile --json | head`) has all it wanted: end quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' ? process.exit(0) : internalError(e)));
  process.on('uncaughtException', internalError);
  process.on('unhandledRejection', internalError);
  const { main } = await import('./main.js');
  return { code: await main(argv) };
}

async function end(e: Ending): Promise<void> {
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  if ('code' in e) process.exit(e.code);
  // Die of the same signal, as the child did; should it be ignored here (nohup), exit as a shell would report it.
  process.removeAllListeners(e.signal);
  process.kill(process.pid, e.signal);
  setTimeout(() => process.exit(signalStatus(e.signal)), 100);
}

run().then(end, internalError);
