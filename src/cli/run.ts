// Process entry of `hrn`: runs the CLI and exits with its code. Kept apart from main.ts so that
// tests can call main() in-process. Device commands first go through the supervisor
// (supervise.ts), which runs this same entry again as its child.
import { userStderr } from './stderr.js';
import { joinSupervisor, runSupervised, wantsSupervisor } from './supervise.js';

const argv = process.argv.slice(2);

/** Anything reaching here is a bug in hrn, not a user error: say so without a stack trace, unless asked for one. */
function internalError(err: unknown): never {
  const say = (line: string) => userStderr().write(`${line}\n`);
  say(`hrn: internal error: ${err instanceof Error ? err.message : String(err)}`);
  if (process.env.HRN_TRACE && err instanceof Error && err.stack) say(err.stack);
  else say('please report this with the command you ran (HRN_TRACE=1 shows the trace)');
  process.exit(70);
}

async function run(): Promise<number> {
  if (wantsSupervisor(argv)) return runSupervised(argv);
  joinSupervisor();
  process.on('uncaughtException', internalError);
  process.on('unhandledRejection', internalError);
  const { main } = await import('./main.js');
  return main(argv);
}

run().then((code) => process.exit(code), internalError);
