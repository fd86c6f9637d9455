// Run by schedule-kernels.test.ts in a child process whose lavapipe was started with a given SIMD
// width (LP_NATIVE_VECTOR_WIDTH: 128 bits = subgroups of 4, 256 = 8, 512 = 16) and with Dawn's
// bounds checks on or off (HRN_TEST_ROBUST=1 or 0): for a sample of the schedule space (both
// profiles, two points with every family's knobs forced, and the conv halo by subgroupShuffle),
// the inference logits against the reference executor and one training step's gradients against
// the reference backward, on a small network (the halo's point on one of its own). Prints one JSON line: the device, and per point the largest errors and the schedules
// the plans used.
import '../../src/codegen/template-files.js';
import '../../src/ops/index.js';
import '../../src/ops/reference.js';
import type { PlanOptions } from '../../src/codegen/plan-types.js';
import { scheduleText } from '../../src/codegen/schedule/describe.js';
import type { DispatchSchedule } from '../../src/codegen/schedule/types.js';
import { residualNetwork } from '../../src/ir/factory.js';
import type { LayerGraph } from '../../src/ir/graph.js';
import { lowerToGraph } from '../../src/ir/lower.js';
import { backwardGraph, forwardGraph } from '../../src/reference/backward.js';
import { tensor } from '../../src/reference/ops.js';
import { runReference } from '../../src/reference/run.js';
import { inferencePlanFor } from '../../src/launch/infer.js';
import { trainingPlanFor } from '../../src/launch/train.js';
import { openDevice } from '../../src/runtime/device.js';
import { Executor } from '../../src/runtime/executor.js';
import { Trainer } from '../../src/runtime/trainer.js';
import { softmaxCrossEntropy } from '../../src/train/losses.js';
import { initWeights, perturbWeights, Rng } from '../../src/weights/weights.js';
import { copyWeights, normwiseError } from '../numeric.js';

type ScheduleChoice = Pick<PlanOptions, 'profile' | 'schedules' | 'subgroupMaxSize'>;

/** Workgroups are multiples of 16 (the widest subgroup run here); pixel blocks of dX multiples of the strides (1 and 2). */
const POINTS: Array<[string, ScheduleChoice]> = [
  ['profile cpu', { profile: 'cpu' }],
  ['profile gpu', { profile: 'gpu' }],
  [
    'small tiles, many partial sums',
    {
      profile: 'gpu',
      // as on a GPU whose subgroups run up to 64 wide: every workgroup, the forced ones too, rounded to 64
      subgroupMaxSize: 64,
      schedules: {
        conv: { ocb: 4, pxb: 1, wg: 32 },
        conv_dx: { icb: 4, pxb: 2, wg: 32 },
        conv_dw: { ovb: 1, kyb: 1, pxb: 2, target: 1_000_000 },
        fc: { wg: 16 },
        reduction: { target: 1_000_000, splitPlane: true, wg: 128 },
        elementwise: { run: 1, wg: 32 },
      },
    },
  ],
  [
    'large tiles, one partial sum',
    {
      profile: 'cpu',
      schedules: {
        conv: { ocb: 16, pxb: 8, wg: 16 },
        conv_dx: { icb: 8, pxb: 4, wg: 64 },
        conv_dw: { pxb: 1, target: 1 },
        fc: { wg: 256 },
        reduction: { target: 1, splitPlane: false, wg: 16 },
        elementwise: { run: 8, wg: 256 },
      },
    },
  ],
  // The study's lavapipe shape with the halo by subgroupShuffle, on its own network (below).
  ['halo by subgroupShuffle', { profile: 'cpu', schedules: { conv: { ocb: 8, pxb: 4, rows: 2, halo: true } } }],
];

/**
 * One network, as each point's kernels take lavapipe seconds to compile: 3x3 and flat 1x1
 * convolutions, groups, stride 2 and a projection shortcut, odd planes (7x7) for scalar reductions
 * and overhanging pixel blocks and 4x4 ones for vec4 reductions, an odd batch for image chunks
 * with a tail, average pooling and the fc.
 */
const network = (): LayerGraph =>
  lowerToGraph(residualNetwork({ name: 'bottleneck', block: 'bottleneck', depths: [1, 1], channels: [4, 8], input: { c: 3, h: 7, w: 7 }, classes: 5, groups: 2 }));

/** The halo's point has its own: 3x3 stride-1 convolutions on rows of 16, four blocks of 4 pixels, so lanes have neighbours. */
const haloNetwork = (): LayerGraph => lowerToGraph(residualNetwork({ name: 'rows', depths: [1, 1], channels: [4, 8], input: { c: 3, h: 6, w: 16 }, classes: 5 }));

interface Result {
  point: string;
  inference: number;
  gradients: number;
  /** Every distinct schedule the two plans used, as --debug prints it. */
  schedules: string[];
  /** Whether a reduction cut its planes (the kernels' SPLIT form). */
  planeSplit: boolean;
  /** The distinct workgroup sizes of the two plans' kernels. */
  workgroups: number[];
  /** Kernels of the two plans that take a halo by subgroupShuffle. */
  shuffles: number;
}

const texts = (s: DispatchSchedule[]) => s.map(scheduleText);

/** What a point is checked against: the reference's logits and gradients on one network. */
interface Oracle {
  g: LayerGraph;
  w: ReturnType<typeof initWeights>;
  x: Float32Array;
  labels: number[];
  logits: Float32Array;
  grads: Map<string, Float32Array>;
}

function oracle(g: LayerGraph, batch: number): Oracle {
  const s = g.nodes[0].shape;
  const w = perturbWeights(initWeights(g, 5), 6);
  const x = new Rng(21).fillNormal(new Float32Array(batch * s.c * s.h * s.w), 1);
  const labels = Array.from({ length: batch }, (_, i) => i % g.classes);
  const tape = forwardGraph(g, copyWeights(w), tensor(batch, s.c, s.h, s.w, x), { training: true });
  const ref = backwardGraph(g, w, tape, Float32Array.from(softmaxCrossEntropy(tape.acts[g.output].data, labels, g.classes).grad));
  return { g, w, x, labels, logits: runReference(g, w, x, batch), grads: ref.grads };
}

async function main(): Promise<void> {
  const robustness = process.env.HRN_TEST_ROBUST === '1';
  const ctx = await openDevice({ robustness });
  const results: Result[] = [];
  const batch = 3;
  const oracles = { main: oracle(network(), batch), halo: oracle(haloNetwork(), batch) };
  try {
    for (const [point, choice] of POINTS) {
      const { g, w, x, labels, logits, grads } = point.startsWith('halo') ? oracles.halo : oracles.main;
      const plan = inferencePlanFor(ctx, g, { batch, ...choice });
      const ex = await Executor.create(ctx, plan.program, w);
      let inference: number;
      const schedules = texts(plan.schedules);
      const workgroups = new Set(plan.kernels.map((k) => k.workgroupSize));
      try {
        inference = normwiseError(await ex.run(x), logits);
      } finally {
        ex.dispose();
      }
      const trainPlan = trainingPlanFor(ctx, g, { batch, ...choice });
      const tr = await Trainer.create(ctx, g, trainPlan.program, w);
      let gradients = 0;
      let planeSplit: boolean;
      try {
        await tr.step(x, labels, 0);
        await tr.flush();
        const got = await tr.readGrads();
        for (const [name, r] of grads) gradients = Math.max(gradients, normwiseError(got.get(name)!, r));
        schedules.push(...texts(trainPlan.schedules));
        for (const k of trainPlan.kernels) workgroups.add(k.workgroupSize);
        planeSplit = trainPlan.kernels.some((k) => k.template === 'train/bn_stats' && k.wgsl.includes('args.PCH'));
      } finally {
        tr.dispose();
      }
      const shuffles = [...plan.kernels, ...trainPlan.kernels].filter((k) => k.wgsl.includes('subgroupShuffle')).length;
      results.push({ point, inference, gradients, schedules: [...new Set(schedules)], planeSplit, workgroups: [...workgroups].sort((a, b) => a - b), shuffles });
    }
  } finally {
    ctx.close();
  }
  process.stdout.write(`${JSON.stringify({ subgroupSize: ctx.subgroupSize, subgroupMaxSize: ctx.subgroupMaxSize, robust: ctx.robust, adapter: ctx.adapterInfo, results })}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
