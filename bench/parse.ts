// How long the front end takes: parse, resolve, lower and count every example. The budget is
// 50 ms for the largest example (issue: speed of `hrn stats`), measured here, not in tests.
import '../src/ops/index.js';
import { readFileSync, readdirSync } from 'node:fs';
import { parseHrn, resolveNetwork } from '../src/parser/index.js';
import { networkStats } from '../src/ir/stats.js';
import { median, quartiles, timeRuns } from './stats.js';

const RUNS = 31;
const BUDGET_MS = 50;

function frontEnd(path: string, text: string): number {
  const { file } = parseHrn(text, path);
  const sources = new Map([[path, text]]);
  let relus = 0;
  for (const decl of file.networks) {
    const { arch } = resolveNetwork(decl, [], sources);
    if (arch) relus += networkStats(arch).relus.total;
  }
  return relus;
}

const rows: { file: string; med: number; q: [number, number] }[] = [];
for (const f of readdirSync('examples').filter((f) => f.endsWith('.hrn')).sort()) {
  const path = `examples/${f}`;
  const text = readFileSync(path, 'utf8');
  const times = await timeRuns(() => frontEnd(path, text), RUNS, 3);
  rows.push({ file: f, med: median(times), q: quartiles(times) });
}
console.log(`parse + resolve + lower + count, median of ${RUNS} runs (interquartile range)`);
for (const r of rows) console.log(`  ${r.file.padEnd(16)} ${r.med.toFixed(2).padStart(7)} ms  (${r.q[0].toFixed(2)}-${r.q[1].toFixed(2)})`);
const worst = rows.reduce((a, b) => (b.med > a.med ? b : a));
console.log(`slowest: ${worst.file} at ${worst.med.toFixed(2)} ms; budget ${BUDGET_MS} ms: ${worst.med < BUDGET_MS ? 'within' : 'OVER'}`);
