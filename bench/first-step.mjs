// Child process of bench/coldstart.ts: from process start to the first completed training step of
// HRN-2x5x3x (m=4) at a given batch, on the compiled runtime in dist/ (as `hrn train` runs it).
// Plain JavaScript on purpose: a TypeScript loader would add its own start-up to the figure.
// Prints one line `first-step {json}`; times are milliseconds since process start (the second
// step, after the first, shows the steady-state step for comparison), CPU times of the whole
// process up to trainer creation (which includes compiling the kernels) and up to the first step,
// and the plan's distinct kernels and dispatches per step.
//
//   node bench/first-step.mjs [BATCH]

const batch = Number(process.argv[2] ?? 128);
const since = () => performance.now(); // performance.timeOrigin is the process start
const marks = {};

// The kernel templates come from the files under kernels/, as in the CLI.
await import('../dist/codegen/template-files.js');
await import('../dist/ops/index.js');
const { residualNetwork } = await import('../dist/ir/factory.js');
const { lowerToGraph } = await import('../dist/ir/lower.js');
const { initWeights, Rng } = await import('../dist/weights/index.js');
const { openDevice } = await import('../dist/runtime/device.js');
const { openTrainer } = await import('../dist/launch/train.js');
marks.imported = since();

const arch = residualNetwork({ name: 'HRN-2x5x3x(m=4)', m: 4, factors: [2, 5, 3], depths: [2, 2, 2, 2], criticality: ['S3', 'S2', 'S4', 'S1'] });
const graph = lowerToGraph(arch);
const weights = initWeights(graph, 1);
const s = graph.nodes[0].shape;
const input = new Rng(3).fillNormal(new Float32Array(batch * s.c * s.h * s.w), 1);
const labels = Array.from({ length: batch }, (_, i) => (i * 7) % graph.classes);

const ctx = await openDevice();
marks.device = since();
// Creating the trainer compiles every kernel (the Vulkan driver's first run of each: see warmPipelines).
const onCompile = (done, total) => {
  if (done === 0) marks.compileStart = since();
  if (done === total) marks.compiled = since();
};
const trainer = await openTrainer(ctx, graph, weights, { batch, sgd: { momentum: 0.9, weightDecay: 5e-4 }, onCompile });
marks.created = since();
const cpuCreated = process.cpuUsage();
await trainer.step(input, labels, 0.05);
const { loss } = await trainer.readSums(true);
marks.firstStep = since();
const cpuFirst = process.cpuUsage();
await trainer.step(input, labels, 0.05);
await trainer.readSums(true);
marks.secondStep = since();
const cpuMs = (u) => (u.user + u.system) / 1000;
const { kernels, dispatches } = trainer.program;
const shape = { kernels: kernels.length, dispatches: dispatches.length };
console.log(`first-step ${JSON.stringify({ batch, loss, marks, ...shape, cpuCreatedMs: cpuMs(cpuCreated), cpuFirstStepMs: cpuMs(cpuFirst), cpuMs: cpuMs(process.cpuUsage()) })}`);
trainer.dispose();
ctx.close();
process.exit(0);
