// Process entry of `hrn`: runs the CLI and exits with its code. Kept apart from main.ts so that
// tests can call main() in-process.
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // Anything reaching here is a bug in hrn, not a user error: say so without a stack trace,
    // unless asked for one.
    console.error(`hrn: internal error: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.HRN_TRACE && err instanceof Error) console.error(err.stack);
    else console.error('please report this with the command you ran (HRN_TRACE=1 shows the trace)');
    process.exit(70);
  },
);
