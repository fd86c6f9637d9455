// Loaded with --import into every process that a bounded run starts (hrn and any child it spawns
// with the same Node flags): on exit, each appends its peak resident set size in KiB to the file
// the harness names, so the harness can hold the whole process tree to a memory bound.
import { appendFileSync } from 'node:fs';

const file = process.env.HRN_TEST_PEAK_RSS_FILE;
if (file) {
  process.on('exit', () => {
    try {
      appendFileSync(file, `${process.pid} ${process.resourceUsage().maxRSS}\n`);
    } catch {
      // The harness reports a missing figure; never fail the process under test over it.
    }
  });
}
