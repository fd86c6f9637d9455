// Requests the device cannot hold and damaged sweep results, which once ended in "internal error"
// (exit 70): each is now one line saying what limit was hit and what to do, exit 1. The largest
// batch a message offers is checked here by planning at it and one above it for the same device.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceLimitError } from '../../src/codegen/device-limits.js';
import { compilePlan } from '../../src/codegen/plan.js';
import { compileTrainPlan } from '../../src/codegen/train-plan.js';
import { loadNetworksFromText, lowerNetwork } from '../../src/driver.js';
import type { LayerGraph } from '../../src/ir/graph.js';
import type { RunConfig } from '../../src/sweep/expand.js';
import { RunStore, type RunResult } from '../../src/sweep/store.js';
import { dropHarmlessDawnWarnings } from '../../src/util/dawn-warnings.js';
import { useGpu } from '../gpu-fixtures.js';
import { hrnInProcess, TINY_HRN, writeTinyFashion } from '../sweep-fixtures.js';
import { runHrn } from './bounded.js';

const gpu = useGpu();
let root: string;
let data: string;

// A stem 4,096 channels wide: each image's activations take 12.8 MiB, so a batch of 512 is
// gigabytes on any device, and the data set stays tiny.
const WIDE_HRN = `network Wide {
  input 1x28x28
  classes 10
  stem conv3x3(4096)
  stages depths [1] channels [8]
  head avgpool fc
}
`;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'hrn-internal-errors-'));
  writeFileSync(join(root, 'wide.hrn'), WIDE_HRN);
  writeFileSync(join(root, 'tiny.hrn'), TINY_HRN);
  data = writeTinyFashion(join(root, 'data'), 600);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function graphOf(file: string, set: string[] = []): LayerGraph {
  return lowerNetwork(loadNetworksFromText(file, readFileSync(file, 'utf8'), new Map(), { set }).networks[0]);
}

/** The run's stderr without Dawn's two known start-up warnings: what the user is told. */
const told = (stderr: string) => dropHarmlessDawnWarnings(stderr).trim();

/** The largest batch a message offers for `option`, checked to be the one the message states twice. */
function offered(line: string, option: string, mode: 'training' | 'inference'): number {
  const m = new RegExp(`the largest ${mode} batch that fits is (\\d+): use ${option} (\\d+) or less$`).exec(line);
  expect(m, line).not.toBeNull();
  expect(m![1]).toBe(m![2]);
  return Number(m![1]);
}

// Errors are recognized by name, and the new module is imported where it is used, so that each
// test can be run (and fail on its own) against the code from before these errors were typed.
const isLimitError = (e: unknown): e is DeviceLimitError => e instanceof Error && e.name === 'DeviceLimitError';

/** Plans `graph` for this device at `batch`: undefined when it fits, else the DeviceLimitError. */
function planAt(graph: LayerGraph, mode: 'training' | 'inference', batch: number, head = true): DeviceLimitError | undefined {
  const device = { subgroupSize: gpu().subgroupSize, limits: gpu().limits };
  try {
    if (mode === 'training') compileTrainPlan(graph, { batch, ...device });
    else compilePlan(graph, { batch, head, ...device });
    return undefined;
  } catch (e) {
    if (isLimitError(e)) return e;
    throw e;
  }
}

function expectLargest(graph: LayerGraph, mode: 'training' | 'inference', k: number, head = true): void {
  expect(k).toBeGreaterThan(0);
  expect(planAt(graph, mode, k, head)).toBeUndefined();
  expect(isLimitError(planAt(graph, mode, k + 1, head))).toBe(true);
}

describe('batches the device cannot hold', () => {
  it('train --batch: one line naming --batch, the limit and the largest batch that fits; no data read, no kernel compiled', async () => {
    const args = ['train', join(root, 'wide.hrn'), '--batch', '512', '--epochs', '1'];
    const r = await runHrn([...args, '--data', data, '--out', join(root, 'wide-run')], { timeoutMs: 90_000 });
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(1);
    const line = told(r.stderr);
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(/^hrn train: error: --batch 512 is too large for Wide on this device: at training batch 512, .* above the device's max\w+ \([\d.]+ MiB\); /);
    expectLargest(graphOf(join(root, 'wide.hrn')), 'training', offered(line, '--batch', 'training'));
    expect(r.peakMiB).toBeLessThan(1024);
    // Checked before the data is opened: a data set that is not there is not reached.
    const missing = await runHrn([...args, '--data', `fashion-mnist:${join(root, 'nowhere')}`, '--out', join(root, 'wide-run-2')], { timeoutMs: 90_000 });
    expect(missing.code).toBe(1);
    expect(told(missing.stderr)).toBe(line);
  }, 200_000);

  it('train --eval-batch: refused at the start, not after an epoch of training', async () => {
    const r = await runHrn(['train', join(root, 'tiny.hrn'), '--data', data, '--batch', '8', '--subset', '40', '--epochs', '1', '--eval-batch', '1000000000', '--out', join(root, 'eval-run')], {
      timeoutMs: 90_000,
    });
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(1);
    const line = told(r.stderr);
    expect(line).toMatch(/^hrn train: error: --eval-batch 1000000000 is too large for Tiny on this device: at inference batch 1000000000, .* above the device's max\w+ \([\d.]+ MiB\); /);
    expect(line.split('\n')).toHaveLength(1);
    expect(r.stderr).not.toContain('compiling kernels');
    expect(r.stdout).not.toContain('epoch');
    expectLargest(graphOf(join(root, 'tiny.hrn')), 'inference', offered(line, '--eval-batch', 'inference'), false);
    expect(r.ms).toBeLessThan(60_000);
  }, 120_000);

  it('infer --batch: one line with the largest batch that fits, before the test split is read', async () => {
    const r = await runHrn(['infer', 'examples/hrn-2x5x3x.hrn', '--set', 'm=2', '--weights', 'checkpoints/hrn-2x5x3x-m2', '--data', data, '--batch', '1000000'], { timeoutMs: 90_000 });
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(1);
    const line = told(r.stderr);
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(/^hrn infer: error: --batch 1000000 is too large for HRN-2x5x3x on this device: at inference batch 1000000, layer input \(input, 3x32x32\): its output needs [\d.]+ MiB, above /);
    expectLargest(graphOf('examples/hrn-2x5x3x.hrn', ['m=2']), 'inference', offered(line, '--batch', 'inference'));
    expect(r.stdout).toBe('');
  }, 120_000);

  it('compile --batch (no device: WebGPU\'s default limits): the same diagnosis, exit 1', async () => {
    const r = await hrnInProcess('compile', 'examples/hrn-2x5x3x.hrn', '--set', 'm=2', '--batch', '1000000', '-o', join(root, 'compiled'));
    expect(r.code).toBe(1);
    expect(r.err.trim()).toMatch(/^hrn compile: error: HRN-2x5x3x at inference batch 1000000: layer input .* the largest inference batch that fits this device is \d+$/);
  });
});

describe('the plan compilers find the largest batch that fits', () => {
  it('training and inference: the batch they offer plans, the one above does not', () => {
    const g = graphOf('examples/resnet18.hrn');
    for (const mode of ['training', 'inference'] as const) {
      const e = planAt(g, mode, 100_000);
      expect(e?.advice?.mode).toBe(mode);
      expect(e!.message).toContain(`the largest ${mode} batch that fits this device is ${e!.advice!.largest}`);
      expectLargest(g, mode, e!.advice!.largest);
    }
  });

  it('a network too large at any batch says so, and does not blame the batch', () => {
    const g = graphOf('examples/resnet18.hrn');
    let err: unknown;
    try {
      compilePlan(g, { batch: 64, limits: { maxStorageBufferBindingSize: 64 * 1024 } });
    } catch (e) {
      err = e;
    }
    expect(isLimitError(err)).toBe(true);
    expect((err as DeviceLimitError).advice?.largest).toBe(0);
    expect((err as Error).message).toMatch(/it does not fit this device even at batch 1$/);
  });

  it('the search is exact when the need grows faster than the batch', async () => {
    const { DeviceLimitError, largestBatch } = await import('../../src/codegen/device-limits.js');
    // Needs 1,000 + b^2 of a limit of 1,000,000: a linear guess overshoots, the search corrects it.
    const limit = 1_000_000;
    const need = (b: number) => 1000 + b * b;
    const attempt = (b: number) => (need(b) > limit ? new DeviceLimitError('over', { needed: need(b), limit }) : undefined);
    let expected = 0;
    while (need(expected + 1) <= limit) expected++;
    expect(largestBatch(attempt, 5000, attempt(5000)!)).toBe(expected);
    expect(largestBatch(attempt, 5000, new DeviceLimitError('no hint'))).toBe(expected);
  });
});

describe('a damaged result.json', () => {
  async function runsDir(name: string): Promise<{ dir: string; runs: RunConfig[] }> {
    const plan = await hrnInProcess('sweep', 'examples/hrn-2x5x3x.hrn', '--data', 'cifar100:/nowhere', '--dry-run', '--json', '--grid', 'm=8|16', '--seeds', '0,1');
    expect(plan.code).toBe(0);
    const runs = JSON.parse(plan.out).runs as RunConfig[];
    const dir = join(root, name);
    const store = new RunStore(dir);
    runs.forEach((r, i) => {
      const result: RunResult = {
        id: r.id, label: r.label, network: r.network, set: r.set, pipeline: r.pipeline, seed: r.seed, data: r.data, ...r.counts,
        epochs: 1, history: [{ epoch: 1, loss: 1, testAccuracy: 0.5 + i / 100 }], testAccuracy: 0.5 + i / 100, wallSeconds: 1,
        checkpoint: join(dir, r.id, 'checkpoint'), finishedAt: new Date(0).toISOString(), by: 'test',
      };
      store.writeResult(result);
    });
    return { dir, runs };
  }

  it('report: the file is named with what is wrong, the other runs are reported, exit 1', async () => {
    const { dir, runs } = await runsDir('damaged');
    const cut = join(dir, runs[0].id, 'result.json');
    const text = readFileSync(cut, 'utf8');
    writeFileSync(cut, text.slice(0, text.length / 2));
    const typed = join(dir, runs[1].id, 'result.json');
    writeFileSync(typed, JSON.stringify({ ...JSON.parse(readFileSync(typed, 'utf8')), relus: 'many' }));
    const r = await hrnInProcess('report', dir);
    expect(r.code).toBe(1);
    const errors = r.err.trim().split('\n');
    expect(errors).toHaveLength(2);
    expect(errors.find((l) => l.includes(runs[0].id))).toMatch(/^hrn report: error: .*result\.json: not valid JSON \(.+\): a damaged or partly written result; .*left out of the report$/);
    expect(errors.find((l) => l.includes(runs[1].id))).toMatch(/^hrn report: error: .*result\.json: field 'relus' should be a number, found string "many"; the run is left out of the report$/);
    const reported = JSON.parse(readFileSync(join(dir, 'report', 'report.json'), 'utf8')) as { id: string }[];
    expect(reported.map((x) => x.id).sort()).toEqual(runs.slice(2).map((x) => x.id).sort());
    expect(r.out).toContain(`${runs.length - 2} runs; 2 left out`);
  });

  it('report: when no result can be read, one error and nothing written', async () => {
    const { dir, runs } = await runsDir('all-damaged');
    for (const run of runs) writeFileSync(join(dir, run.id, 'result.json'), '');
    const r = await hrnInProcess('report', dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`none of the ${runs.length} result files can be read`);
    expect(r.err).toMatch(/result\.json: empty: a damaged or partly written result/);
  });

  it('the run store (a resumed sweep) names the file instead of failing on its JSON', async () => {
    const { dir, runs } = await runsDir('store');
    mkdirSync(join(dir, runs[0].id), { recursive: true });
    writeFileSync(join(dir, runs[0].id, 'result.json'), '[1, 2');
    const { RunStoreError } = await import('../../src/sweep/store.js');
    expect(() => new RunStore(dir).result(runs[0].id)).toThrow(RunStoreError);
    expect(() => new RunStore(dir).result(runs[0].id)).toThrow(new RegExp(`${runs[0].id}/result\\.json: not valid JSON`));
  });
});
