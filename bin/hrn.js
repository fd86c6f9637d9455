#!/usr/bin/env node
// The published entry point: the compiled CLI lives in dist/ (npm run build).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    // Anything reaching here is a bug in hrn, not a user error: say so briefly.
    console.error(`hrn: internal error: ${err instanceof Error ? err.message : String(err)}`);
    console.error('please report this with the command you ran');
    process.exit(70);
  },
);
