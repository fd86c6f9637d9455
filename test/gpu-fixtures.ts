// What the GPU test files share: the device for a file's tests, seeded weights and inputs, and
// the comparison of a GPU run with the reference executor.

import { afterAll, beforeAll, expect } from 'vitest';
import type { LayerGraph } from '../src/ir/graph.js';
import { runReference } from '../src/reference/index.js';
import { openDevice, type Executor, type GpuContext } from '../src/runtime/index.js';
import { initWeights, perturbWeights, Rng, type Weights } from '../src/weights/index.js';
import { normwiseError } from './numeric.js';

/**
 * Opens the device (lavapipe in CI) before the calling file's tests and closes it after them.
 * Call at the top level of a test file; the returned function gives the open device in tests.
 */
export function useGpu(): () => GpuContext {
  let ctx: GpuContext | undefined;
  beforeAll(async () => {
    ctx = await openDevice();
  });
  afterAll(() => ctx?.close());
  return () => {
    if (!ctx) throw new Error('the GPU device is opened in beforeAll: use it inside tests or hooks');
    return ctx;
  };
}

/** Normwise relative error: max |got - ref| / max |ref| (the absolute error when ref is all 0). */
export function relError(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  expect(got.length).toBe(ref.length);
  return normwiseError(got, ref);
}

/** Initial weights with random batch-norm parameters, statistics and biases (so folding is exercised), seeded. */
export const weightsFor = (graph: LayerGraph, seed: number): Weights => perturbWeights(initWeights(graph, seed), seed + 1);

/** A batch of standard-normal inputs for `graph`, seeded. */
export function inputFor(graph: LayerGraph, batch: number, seed: number): Float32Array {
  const s = graph.nodes[0].shape;
  return new Rng(seed).fillNormal(new Float32Array(batch * s.c * s.h * s.w), 1);
}

/**
 * Runs `graph` on the GPU with weights and an input from `seed`, and returns the normwise error
 * against the reference executor. `executor` builds the executor for the weights (compiling the
 * plan as the test wants); it is disposed here.
 */
export async function errorVsReference(
  graph: LayerGraph,
  batch: number,
  seed: number,
  executor: (w: Weights) => Promise<Executor>,
): Promise<number> {
  const w = weightsFor(graph, seed);
  const ex = await executor(w);
  try {
    const x = inputFor(graph, batch, seed + 2);
    return relError(await ex.run(x), runReference(graph, w, x, batch));
  } finally {
    ex.dispose();
  }
}
