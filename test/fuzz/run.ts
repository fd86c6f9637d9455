// `npm run fuzz [-- --minutes N] [--seed S]`: the fuzz target of test/fuzz.test.ts for a long
// budget. Prints a summary; exits 1 with the shrunk failing input on a finding.
import { parseArgs } from 'node:util';
import { fuzzRun, type FuzzSummary } from './target.js';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, seed: { type: 'string' }, 'max-ms': { type: 'string', default: '2000' } } });
const minutes = Number(values.minutes);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const maxMs = Number(values['max-ms']);
if (!(minutes > 0) || !Number.isFinite(seed) || !(maxMs > 0)) {
  console.error('usage: npm run fuzz -- [--minutes N] [--seed S] [--max-ms MS]');
  process.exit(2);
}

console.log(`fuzzing parse -> resolve -> passes -> lower -> plan for ${minutes} min (seed ${seed}, bound ${maxMs} ms of CPU time per input)`);
const t0 = performance.now();
let summary: FuzzSummary | undefined;
let failure: unknown;
try {
  summary = fuzzRun({ numRuns: Number.MAX_SAFE_INTEGER, seed, maxMs, interruptAfterTimeLimit: minutes * 60_000 });
} catch (e) {
  failure = e;
}
const seconds = (performance.now() - t0) / 1000;
if (failure !== undefined) {
  console.log(`FINDING after ${seconds.toFixed(0)} s:`);
  console.log(failure instanceof Error ? `${failure.message}\n${String(failure.cause ?? '')}` : String(failure));
  process.exit(1);
}
const s = summary!;
const heap = process.memoryUsage().heapUsed / 2 ** 20;
console.log(
  [
    `inputs      ${s.inputs.toLocaleString('en-US')} in ${seconds.toFixed(0)} s (${(s.inputs / seconds).toFixed(0)}/s)`,
    `outcomes    ${Object.entries(s.outcomes).map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ')}`,
    `slowest     ${s.slowest.ms.toFixed(0)} ms of CPU time`,
    `heap        ${heap.toFixed(0)} MiB at the end`,
    `findings    none (no exception, no internal error, no input over ${maxMs} ms)`,
  ].join('\n'),
);
