// Runs vitest with its stderr read through the same filter hrn's supervisor uses, so that a test
// run does not print Dawn's two adapter warnings once per WebGPU test file (they come from native
// code in the test workers, which inherit this process's stderr). Every other line passes through,
// in order, as it arrives. Arguments go to vitest unchanged; the exit status is vitest's.

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { DawnWarningFilter } from '../src/util/dawn-warnings.js';

const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const child = spawn(process.execPath, [vitest, ...process.argv.slice(2)], { stdio: ['inherit', 'inherit', 'pipe'] });
const filter = new DawnWarningFilter();
child.stderr.setEncoding('utf8');
child.stderr.on('data', (chunk: string) => process.stderr.write(filter.push(chunk)));
child.stderr.on('end', () => process.stderr.write(filter.end()));

// The terminal's Ctrl-C reaches vitest itself (same process group); a signal sent to this process
// alone (a CI runner's timeout) is passed on so that vitest's workers are not left running.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => child.kill(signal));
}
child.on('close', (code, signal) => {
  process.exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
});
