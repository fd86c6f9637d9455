// The training passes (fuse, params, values, forward, loss, backward, update, allocate): visible in
// `hrn compile --train --debug` and `hrn train --debug`, selectable with --debug-only, diffable
// with --debug=diff, each a pure step on the training state.

import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { fuseGraph } from '../src/codegen/graph/fuse.js';
import { compileTrainNetwork, compileTrainPlan, TRAIN_PASSES, type TrainState } from '../src/codegen/train-plan.js';
import { printTrainState } from '../src/codegen/train/print.js';
import { DEFAULT_LIMITS } from '../src/codegen/plan-types.js';
import { SGD_DEFAULTS } from '../src/codegen/kernels/index.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { resnet18 } from './passes-fixtures.js';

async function hrn(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`) });
  return { code, out, err };
}

const headers = (out: string) => [...out.matchAll(/^\/\/ ----- graph IR after (\S+) \((\S+)\) -----$/gm)].map((m) => m[1]);
const TRAINING = ['fuse', 'params', 'values', 'forward', 'loss', 'backward', 'update', 'allocate', 'program'];

describe('hrn compile --train --debug', () => {
  it('prints the IR after lower and after every training pass, in order', async () => {
    const r = await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--train', '--batch', '2', '--debug');
    expect(r.code).toBe(0);
    expect(headers(r.out)).toEqual(['lower', ...TRAINING]);
    // Training keeps each conv alone: its bn needs the batch statistics of the conv's output.
    expect(r.out).toContain('conv conv(%0)  // stem.conv1');
    expect(r.out).toMatch(/^ {2}stem\.conv1\.weight \[16, 3, 3, 3\] @0 \+432 conv-weight$/m);
    expect(r.out).toMatch(/^HRN-2x5x3x: training step at batch 2: \d+ kernels, \d+ dispatches/m);
    // After program: the trainable tensors packed flat and the running statistics are its uploads.
    expect(r.out).toMatch(/^ {4}buffer \d+ params <- 62 trainable tensors packed flat \(\d+ floats\)$/m);
    expect(r.out).toMatch(/^ {4}buffer \d+ running-stats <- running statistics of 20 batch norms$/m);
  });

  it('--debug-only backward prints the IR after backward only, before the update exists', async () => {
    const r = await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--train', '--debug-only', 'backward');
    expect(r.code).toBe(0);
    expect(headers(r.out)).toEqual(['backward']);
    expect(r.out).toMatch(/^ {2}dispatch \d+ backward: \S+ \[.*\] .* {2}\/\/ S1\.b1\.conv1 dW$/m);
    expect(r.out).toMatch(/^ {2}dispatch \d+ loss: /m);
    expect(r.out).not.toMatch(/^ {2}dispatch \d+ optimizer: /m);
  });

  it("--debug shows each dispatch's schedule and where it came from: the default profile, or --profile", async () => {
    const dispatchThen = (label: string) => new RegExp(`^ {2}dispatch \\d+ backward: .* {2}// ${label.replace(/[.()+]/g, '\\$&')}\n {4}schedule (.*)$`, 'm');
    const plain = await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--train', '--batch', '2', '--debug-only', 'backward');
    expect(plain.out).toMatch(/^kernels: \d+ kernels, \d+ dispatches; schedules: profile cpu \(the default without a device\)$/m);
    expect(plain.out.match(dispatchThen('S1.b1.conv1 dX'))?.[1]).toMatch(/^conv_dx icb \d+, pxb \d+, wg \d+, rows 4, gemm no \(profile cpu\)$/);
    const gpu = await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--train', '--batch', '2', '--profile', 'gpu', '--debug-only', 'backward');
    expect(gpu.out).toMatch(/^kernels: \d+ kernels, \d+ dispatches; schedules: --profile gpu$/m);
    expect(gpu.out.match(dispatchThen('S1.b1.conv1 dW partial'))?.[1]).toMatch(/^conv_dw wg \d+, ovb \d, kyb \d, pxb \d, target 100000, chunks \d+ \(--profile gpu\)$/);
    expect(gpu.out.match(dispatchThen('S1.b1.bn1 + S1.b1.relu1 d(gamma, beta) partial'))?.[1]).toMatch(/^reduction level 1, target 32768, splitPlane yes, wg 64, partials \d+ \(--profile gpu\)$/);
  });

  it('--debug=diff shows what a training pass added', async () => {
    const r = await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--train', '--debug=diff', '--debug-only', 'update');
    expect(r.code).toBe(0);
    expect(r.out).toContain('--- before update (HRN-2x5x3x)');
    expect(r.out).toMatch(/^\+ {2}dispatch \d+ optimizer: \S+ .* {2}\/\/ sgd \[0, \d+\)$/m);
    // The backward dispatches were there before: context, not additions.
    expect(r.out).not.toMatch(/^\+ {2}dispatch \d+ backward:/m);
  });

  it('--debug-only rejects an unknown pass with a suggestion', async () => {
    const r = await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--train', '--debug-only', 'updat');
    expect(r.code).toBe(2);
    expect(r.err).toContain("--debug-only: unknown pass 'updat'; did you mean 'update'?");
  });

  it('refuses the options that only apply to inference plans', async () => {
    const r = await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--train', '--emit-wgsl', 'stem.conv1');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--emit-wgsl applies to the inference plan, not to --train');
  });
});

describe('hrn train --debug', () => {
  it('is an option of hrn train, and --debug-only rejects an unknown pass there with a suggestion', async () => {
    const help = await hrn('train', '--help');
    expect(help.out).toContain('--debug-only PASS');
    const r = await hrn('train', 'examples/hrn-2x5x3x.hrn', '--data', 'fashion-mnist:/nonexistent', '--debug-only', 'backwrd');
    expect(r.code).toBe(2);
    expect(r.err).toContain("--debug-only: unknown pass 'backwrd'; did you mean 'backward'?");
  });
});

describe('training passes', () => {
  const graph = lowerToGraph(resnet18(16));
  const start = (): TrainState => ({
    options: { batch: 2, subgroupSize: 0, limits: DEFAULT_LIMITS, reuse: false, fuse: true, convEpilogue: false, head: false, f16Weights: false, schedule: { profile: { name: 'cpu', from: 'default' }, overrides: {} } },
    graph,
    train: { loss: { kind: 'ce' }, sgd: { ...SGD_DEFAULTS }, decay: () => true, bnMomentum: 0.1 },
  });

  it('are pure: each leaves its input as it was, and running one twice gives the same state', () => {
    let state = start();
    for (const pass of TRAIN_PASSES) {
      const before = printTrainState(state);
      const next = pass.run(state);
      expect(printTrainState(state)).toBe(before);
      expect(next).not.toBe(state);
      expect(printTrainState(pass.run(state))).toBe(printTrainState(next));
      state = next;
    }
    expect(state.builder!.dispatches.map((d) => d.phase).at(-1)).toBe('optimizer');
  });

  it('start from the fusion inference uses, without the conv epilogue', () => {
    const fused = TRAIN_PASSES[0].run(start());
    expect(fused.fusion!.steps).toEqual(fuseGraph(graph, { fuse: true, convEpilogue: false }).steps);
  });

  it('report to the observer with a running index after lower', () => {
    const events: string[] = [];
    const { plan } = compileTrainNetwork(resnet18(16), { batch: 2, observer: { graphPass: (e) => events.push(`${e.index} ${e.pass}`) } });
    expect(events).toEqual(['lower', ...TRAINING].map((p, i) => `${i + 1} ${p}`));
    expect(plan).toEqual(compileTrainPlan(graph, { batch: 2 }));
  });

  it('a pass run before the one it needs says so', () => {
    const forward = TRAIN_PASSES.find((p) => p.name === 'forward')!;
    expect(() => forward.run(start())).toThrow(/graph pass forward: no builder yet/);
  });
});
