// Start-up cost of the CLI: `hrn check` and `hrn stats` as whole processes against `node -e 0`,
// in alternating rounds so that machine noise hits all alike. Goal: each within 0.4 s of
// `node -e 0` (medians). Runs the installed entry point, so build first (`npm run build`).
//
//   npx tsx bench/startup.ts [--rounds 15] [--file examples/resnet18.hrn] [--bin bin/hrn.js]...
//
// --bin (repeatable) times other entry points too, in the same rounds (e.g. an older build, for a
// before/after comparison).

import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { median, quartiles } from './stats.js';
import { timeNode, type ProcessTime } from './process-time.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '15' },
    file: { type: 'string', default: 'examples/resnet18.hrn' },
    bin: { type: 'string', multiple: true, default: ['bin/hrn.js'] },
  },
});
const ROUNDS = Number(values.rounds);
const BUDGET_MS = 400;

const BINS = values.bin;
if (BINS.includes('bin/hrn.js') && !existsSync('dist/cli-bundle/run.js')) {
  console.error('bench/startup: dist/cli-bundle/run.js is missing; run `npm run build` first');
  process.exit(1);
}

const cases: { name: string; args: string[] }[] = [
  { name: 'node -e 0', args: ['-e', '0'] },
  ...BINS.flatMap((bin) => {
    const label = BINS.length === 1 ? '' : ` (${bin})`;
    return [
      { name: `hrn check${label}`, args: [bin, 'check', values.file] },
      { name: `hrn stats${label}`, args: [bin, 'stats', values.file] },
    ];
  }),
];

const results = new Map<string, ProcessTime[]>(cases.map((c) => [c.name, []]));
for (let r = 0; r < ROUNDS + 1; r++) {
  for (const c of cases) {
    const t = await timeNode(c.args);
    if (t.code !== 0) throw new Error(`${c.name} exited with ${t.code}: ${t.stderr}`);
    if (r > 0) results.get(c.name)!.push(t); // round 0 warms the file cache
  }
}

const W = Math.max(...cases.map((c) => c.name.length));
const fmt = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
const base = results.get('node -e 0')!;
const baseWall = median(base.map((t) => t.wallMs));
const baseCpu = median(base.map((t) => t.cpuMs));
console.log(`${ROUNDS} alternating rounds (after one warm-up round), ${values.file}; medians (interquartile range of wall)`);
console.log('the child CPU time is user + system of the whole process, from node --require bench/child-cpu.cjs\n');
console.log(`${'command'.padEnd(W)}  ${'wall'.padStart(8)}  ${'wall IQR'.padStart(17)}  ${'CPU'.padStart(8)}  ${'wall - node'.padStart(11)}  ${'CPU - node'.padStart(10)}  goal (wall / CPU)`);
for (const c of cases) {
  const ts = results.get(c.name)!;
  const wall = median(ts.map((t) => t.wallMs));
  const cpu = median(ts.map((t) => t.cpuMs));
  const [q1, q3] = quartiles(ts.map((t) => t.wallMs));
  // The goal is per round: this command's wall time minus node -e 0's in the same round.
  const diffs = ts.map((t, i) => t.wallMs - base[i].wallMs);
  const diff = median(diffs);
  const verdict = (ms: number) => (ms <= BUDGET_MS ? 'met' : 'NOT met');
  const goal = c === cases[0] ? '' : `${verdict(diff)} / ${verdict(cpu - baseCpu)}`;
  console.log(
    `${c.name.padEnd(W)}  ${fmt(wall).padStart(8)}  ${`${fmt(q1)}-${fmt(q3)}`.padStart(17)}  ${fmt(cpu).padStart(8)}  ${fmt(diff).padStart(11)}  ${fmt(cpu - baseCpu).padStart(10)}  ${goal}`,
  );
}
console.log(`\nnode -e 0: ${fmt(baseWall)} wall. Goal: hrn check and hrn stats within ${BUDGET_MS / 1000} s of it; wall: median of`);
console.log('per-round differences; CPU: difference of medians (on a loaded machine wall time includes waiting for a core).');
