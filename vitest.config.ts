import { defineConfig } from 'vitest/config';

// Two tiers. `npm test` runs the fast one: every kernel family against its reference, the compiler,
// the CLI and one training, on as many workers as the machine has cores (`--maxWorkers=100%` in
// package.json: most of a file's time is single-threaded start-up and shader compilation, so two
// workers on two cores finish sooner than vitest's default of one). `npm run test:heavy` runs the
// files that need minutes on two cores (many cold kernel compiles, many real trainings, Chromium,
// Redis), one worker fewer; CI runs both.
const HEAVY = [
  'test/backward-kernels.test.ts', // ~60 backward kernels compiled cold, several whole networks
  'test/train-gpu.test.ts', // ten real trainings
  'test/gpu-failures.test.ts', // devices lost and errors injected into trainings
  'test/train-memory-gpu.test.ts', // every network twice, with and without buffer sharing
  'test/sweep-queue.test.ts', // Redis and worker processes
  'test/playground.test.ts', // headless Chromium
  'test/sweep-jobs.test.ts', // sweeps of real trainings, several processes at once
  'test/library-package.test.ts', // builds and packs the package, installs it into a fresh project
  'test/export-onnx.test.ts', // every example under three pipelines, on the GPU and in ONNX Runtime
  'test/hostile/**/*.test.ts', // real hrn processes: trainings, signals, Redis, cold shader caches
  // Six lavapipe processes, one per subgroup size and bounds-check setting, each compiling four
  // schedule points' inference and training kernels: with a cold shader cache it alone took 634 s of
  // a 1,109 s fast run. The fast tier keeps the kernels against the reference under the cpu profile
  // (kernels, snl-train-step), the gpu profile's inference (cli-infer), a tuned plan (tune) and the
  // schedules' invariants (schedules).
  'test/schedule-kernels.test.ts',
  // Lavapipe children at other SIMD widths (kernels compiled cold for each), and the tuner timing
  // dozens of candidate kernels: 23 s and 31 s of a cold fast run.
  'test/subgroup-sizes.test.ts',
  'test/tune.test.ts',
];

const shared = {
  // WebGPU on lavapipe is CPU-bound; give GPU tests room and keep them in one worker each.
  testTimeout: 120_000,
  hookTimeout: 120_000,
  pool: 'forks' as const,
  setupFiles: ['test/setup/node-host.ts'],
};

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'fast', include: ['test/**/*.test.ts'], exclude: HEAVY } },
      { test: { ...shared, name: 'heavy', include: HEAVY } },
    ],
  },
});
