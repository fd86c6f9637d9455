// The first training a new user runs, repeated: the quick start's training step (scripts/quickstart.sh,
// step 3) on a cold Mesa shader cache (a fresh, empty MESA_SHADER_CACHE_DIR each time), with stdout
// and stderr redirected together to one file (`> log 2>&1`), as a user keeping a log would. Each run
// must exit 0, and its log must hold every line in order with nothing foreign in it; the shader
// cache must hold none of hrn's output (hrn's lines once landed in Mesa's cache index when stderr's
// descriptor was swapped while the Vulkan driver's threads opened cache files). Build first (`npm run
// build`): it runs bin/hrn.js as installed. A failed run's log is kept and its path printed.
//
//   npx tsx bench/first-run.ts [--runs 20]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { median } from './stats.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' } } });
const RUNS = Number(values.runs);
const ROOT = resolve(import.meta.dirname, '..');

/** Step 3 of the quick start. */
const TRAIN = ['train', 'examples/hrn-2x5x3x.hrn', '--set', 'm=2', '--data', 'fashion-mnist:/usr/share/datasets/fashion-mnist', '--subset', '5000', '--test-subset', '1000', '--epochs', '2', '--batch', '64', '--eval-batch', '64'];

/** What the log must hold, in this order. */
const EXPECTED: RegExp[] = [
  /^HRN-2x5x3x: 23,296 ReLUs, 5,000 training images/,
  /^device: /,
  /^compiling kernels (\d+)\/\1 \(/,
  /^epoch 1\/2  loss /,
  /^epoch 2\/2  loss /,
  /^done: 2 epochs, test accuracy \d+\.\d+%/,
  /^wrote: checkpoint /,
];
/** What must never appear in it: Dawn's filtered warnings, crashes, hrn's internal errors. */
const FOREIGN = /artificially reduced|internal error|EBADF|^\s+at |Error:/m;

function problems(log: string): string[] {
  const lines = log.split('\n');
  const found: string[] = [];
  let at = 0;
  for (const p of EXPECTED) {
    const i = lines.findIndex((l, k) => k >= at && p.test(l));
    if (i < 0) found.push(`no line matching ${p} after line ${at}`);
    else at = i + 1;
  }
  const foreign = log.match(FOREIGN);
  if (foreign) found.push(`foreign text: '${foreign[0]}'`);
  return found;
}

/** Files under `dir` whose bytes contain one of hrn's own lines. */
function cacheFilesWithHrnText(dir: string): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/compiling kernels|epoch 1\/2|HRN-2x5x3x/.test(readFileSync(path).toString('latin1'))) hits.push(path);
    }
  };
  walk(dir);
  return hits;
}

const walls: number[] = [];
let good = 0;
for (let run = 1; run <= RUNS; run++) {
  const dir = mkdtempSync(join(tmpdir(), 'hrn-first-run-'));
  const cache = join(dir, 'mesa-cache');
  const log = join(dir, 'log');
  const words = ['node', 'bin/hrn.js', ...TRAIN, '--out', join(dir, 'run')].map((w) => `'${w}'`).join(' ');
  const t0 = performance.now();
  const r = spawnSync('bash', ['-c', `${words} > '${log}' 2>&1`], { cwd: ROOT, env: { ...process.env, MESA_SHADER_CACHE_DIR: cache } });
  const wall = (performance.now() - t0) / 1000;
  walls.push(wall);
  const text = readFileSync(log, 'utf8');
  const wrong = [...(r.status === 0 ? [] : [`exit status ${r.status}`]), ...problems(text), ...cacheFilesWithHrnText(cache).map((f) => `hrn's output inside the shader cache: ${f}`)];
  if (wrong.length === 0) {
    good++;
    console.log(`run ${run}/${RUNS}: exit 0, log complete (${text.trim().split('\n').length} lines), ${wall.toFixed(1)} s`);
    rmSync(dir, { recursive: true, force: true });
  } else {
    console.log(`run ${run}/${RUNS}: FAILED, ${wall.toFixed(1)} s: ${wrong.join('; ')} (log kept: ${log})`);
  }
}
const m = walls.length > 0 ? median(walls) : 0;
console.log(
  `first-run: ${good}/${RUNS} cold first trainings exited 0 with complete logs; wall median ${m.toFixed(1)} s ` +
    `(min ${Math.min(...walls).toFixed(1)}, max ${Math.max(...walls).toFixed(1)})`,
);
process.exit(good === RUNS ? 0 : 1);
