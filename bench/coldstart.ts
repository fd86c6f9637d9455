// Cold start: from process start to the first completed training step of HRN-2x5x3x (m=4) at
// batch 128, as a whole process (bench/first-step.mjs on the compiled runtime in dist/), once with
// a cold Mesa shader cache (MESA_SHADER_CACHE_DIR pointed at a fresh, empty directory) and then
// with that cache warm. Goal: at most 15 s cold. Build first (`npm run build`). A cold run can take
// minutes on a loaded machine; the child's CPU time is the steadier figure. Creating the trainer
// compiles every kernel ("compiling" is that part of it), so the first step itself is short.
//
// --tree DIR (repeatable) times other checkouts too, each with its own dist/ (e.g. a `git worktree`
// of an earlier commit, built), alternating with this one round by round, so that a change is
// measured against its parent under the same machine load.
//
//   npx tsx bench/coldstart.ts [--batch 128] [--rounds 1] [--tree DIR ...]

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { median } from './stats.js';
import { timeNode } from './process-time.js';

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '128' },
    rounds: { type: 'string', default: '1' },
    tree: { type: 'string', multiple: true, default: [] },
  },
});
const TREES = ['.', ...(values.tree ?? [])];
const BATCH = Number(values.batch);
const ROUNDS = Number(values.rounds);
const GOAL_S = 15;

for (const tree of TREES) {
  if (!existsSync(join(tree, 'dist/runtime/trainer.js')) || !existsSync(join(tree, 'bench/first-step.mjs'))) {
    console.error(`bench/coldstart: ${tree === '.' ? 'dist/ is missing; run \`npm run build\` first' : `${tree} has no dist/runtime/trainer.js or bench/first-step.mjs (build it first)`}`);
    process.exit(1);
  }
}

interface FirstStep {
  batch: number;
  loss: number;
  marks: { imported: number; device: number; compileStart?: number; compiled?: number; created: number; firstStep: number; secondStep: number };
  kernels: number;
  dispatches: number;
  cpuCreatedMs: number;
  cpuFirstStepMs: number;
  cpuMs: number;
}

async function firstStep(cacheDir: string, tree: string): Promise<FirstStep & { wallMs: number }> {
  const t = await timeNode([join(tree, 'bench/first-step.mjs'), String(BATCH)], { env: { MESA_SHADER_CACHE_DIR: cacheDir } });
  const line = t.stdout.split('\n').find((l) => l.startsWith('first-step '));
  if (t.code !== 0 || !line) throw new Error(`bench/first-step.mjs failed (exit ${t.code}):\n${t.stderr.trim()}`);
  return { ...(JSON.parse(line.slice('first-step '.length)) as FirstStep), wallMs: t.wallMs };
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
console.log(`HRN-2x5x3x (m=4), batch ${BATCH}: time from process start to the first completed training step`);
console.log('(times since process start; CPU = user + system of the whole process up to that step)\n');
const header = ['tree', 'cache', 'imports', 'device', 'compiling', 'created', 'CPU', 'first step', 'CPU', 'second step', 'process wall'];
const treeWidth = Math.max(...TREES.map((t) => t.length));
console.log([header[0].padEnd(treeWidth), ...header.slice(1)].join('  '));
const byTree = new Map(TREES.map((t) => [t, { cold: [] as number[], warm: [] as number[], coldCpu: [] as number[], shape: '' }]));
for (let r = 0; r < ROUNDS; r++) {
  for (const tree of TREES) {
    const acc = byTree.get(tree)!;
    const dir = mkdtempSync(join(tmpdir(), 'hrn-mesa-cache-'));
    try {
      for (const kind of ['cold', 'warm'] as const) {
        const f = await firstStep(dir, tree);
        (kind === 'cold' ? acc.cold : acc.warm).push(f.marks.firstStep);
        if (kind === 'cold') acc.coldCpu.push(f.cpuFirstStepMs);
        acc.shape = `${f.kernels} distinct kernels, ${f.dispatches} dispatches per step`;
        const m = f.marks;
        const compiling = m.compiled !== undefined && m.compileStart !== undefined ? s(m.compiled - m.compileStart) : '-';
        console.log(
          [tree.padEnd(treeWidth), kind.padEnd(5), s(m.imported).padStart(7), s(m.device).padStart(6), compiling.padStart(9), s(m.created).padStart(7), s(f.cpuCreatedMs).padStart(7), s(m.firstStep).padStart(10), s(f.cpuFirstStepMs).padStart(7), `+${s(m.secondStep - m.firstStep)}`.padStart(11), s(f.wallMs).padStart(12)].join('  '),
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
console.log('');
for (const [tree, a] of byTree) {
  const label = TREES.length > 1 ? `${tree}: ` : '';
  console.log(`${label}${a.shape}`);
  console.log(`${label}first step, median of ${ROUNDS}: cold cache ${s(median(a.cold))} (CPU ${s(median(a.coldCpu))}), warm cache ${s(median(a.warm))}; goal: at most ${GOAL_S} s cold: ${median(a.cold) <= GOAL_S * 1000 ? 'met' : 'NOT met'}`);
}
