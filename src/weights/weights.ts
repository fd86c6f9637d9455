/**
 * Weights of a layer graph: a map from tensor name to shape and float32 data.
 *
 * Tensor naming (every name starts with the graph node's `name`, e.g. `S2.b1.conv1`):
 *
 * | node | tensor                  | shape                              |
 * |------|-------------------------|------------------------------------|
 * | conv | `<name>.weight`         | [outC, inC/groups, k, k]           |
 * | conv | `<name>.bias` (if bias) | [outC]                             |
 * | bn   | `<name>.gamma`          | [C]  scale                         |
 * | bn   | `<name>.beta`           | [C]  shift                         |
 * | bn   | `<name>.running_mean`   | [C]                                |
 * | bn   | `<name>.running_var`    | [C]                                |
 * | fc   | `<name>.weight`         | [out, in] (in = C*H*W of the input, flattened NCHW) |
 * | fc   | `<name>.bias`           | [out]                              |
 * | relu (SNL mask, per pixel)   | `<name>.mask` | [end-start, H, W] |
 * | relu (SNL mask, per channel) | `<name>.mask` | [end-start]       |
 *
 * Layouts are PyTorch's, so a checkpoint converts by renaming only. Batch norm uses eps = BN_EPS (src/ops/bn/graph.ts).
 * The same list is in docs/runtime.md.
 */

import { SplitMix32 as Rng } from '../util/rng.js';
import type { GraphNode, LayerGraph } from '../ir/graph.js';
import type { WeightRole } from '../ir/node.js';
import { graphOp, inputShapes } from '../ir/node.js';

export interface WeightTensor {
  shape: number[];
  data: Float32Array;
}

export type Weights = Map<string, WeightTensor>;

export type { WeightRole } from '../ir/node.js';

export interface WeightSpec {
  /** Full tensor name, `<node>.<role>`. */
  name: string;
  /** The graph node the tensor belongs to. */
  node: string;
  role: WeightRole;
  shape: number[];
  /** True for learned parameters; false for batch-norm running statistics (buffers). */
  trainable: boolean;
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The tensors a graph needs, in node order. */
export function weightSpecs(graph: LayerGraph): WeightSpec[] {
  const out: WeightSpec[] = [];
  const push = (n: GraphNode, role: WeightRole, shape: number[], trainable = true) =>
    out.push({ name: `${n.name}.${role}`, node: n.name, role, shape, trainable });
  for (const n of graph.nodes) {
    for (const p of graphOp(n).params(n, inputShapes(n, (id) => graph.nodes[id].shape))) push(n, p.role, p.shape, p.trainable);
  }
  return out;
}

const shapeText = (s: readonly number[]) => `[${s.join(', ')}]`;

/**
 * Throws a one-line error naming the first missing or misshapen tensor (in node order) and how
 * many more differ; extra tensors are allowed (a checkpoint may carry optimizer state or a teacher).
 */
export function checkWeights(graph: LayerGraph, weights: Weights, source = 'weights'): void {
  const problems: string[] = [];
  for (const spec of weightSpecs(graph)) {
    const t = weights.get(spec.name);
    if (!t) {
      problems.push(`missing ${spec.name} ${shapeText(spec.shape)}`);
      continue;
    }
    if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
      problems.push(`${spec.name} has shape ${shapeText(t.shape)}, the network needs ${shapeText(spec.shape)}`);
    } else if (t.data.length !== numel(spec.shape)) {
      problems.push(`${spec.name} has ${t.data.length} values for shape ${shapeText(spec.shape)}`);
    }
  }
  if (problems.length > 0) {
    const rest = problems.length - 1;
    const more = rest === 0 ? '' : rest === 1 ? ' (and 1 more tensor differs)' : ` (and ${rest} more tensors differ)`;
    throw new Error(`${source} do not fit network ${graph.name}: ${problems[0]}${more}`);
  }
}

/** The tensors holding NaN or an infinity, with the first bad value of each, in name order. */
export function nonFiniteTensors(weights: Weights): Array<{ name: string; index: number; value: number; count: number }> {
  const bad: Array<{ name: string; index: number; value: number; count: number }> = [];
  for (const [name, t] of weights) {
    let first = -1;
    let count = 0;
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i])) {
        if (first < 0) first = i;
        count++;
      }
    }
    if (count > 0) bad.push({ name, index: first, value: t.data[first], count });
  }
  return bad.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Weights with a NaN or an infinity: no result computed from them means anything. */
export class NonFiniteWeightsError extends Error {
  override name = 'NonFiniteWeightsError';
}

/**
 * Throws NonFiniteWeightsError naming the tensors that hold NaN or an infinity (for `infer`,
 * `export`, and anything else that would compute with weights read from a file).
 */
export function assertFiniteWeights(weights: Weights, source = 'weights'): void {
  const bad = nonFiniteTensors(weights);
  if (bad.length === 0) return;
  const shown = bad.slice(0, 5).map((b) => `${b.name} (${b.count} of ${weights.get(b.name)!.data.length} values, first ${b.value} at index ${b.index})`);
  const more = bad.length > shown.length ? ` and ${bad.length - shown.length} more tensors` : '';
  throw new NonFiniteWeightsError(
    `${source} contain non-finite values: ${shown.join(', ')}${more}; these weights are unusable (a diverged training run?)`,
  );
}

/** The data of a tensor, checking its element count. */
export function getWeight(weights: Weights, name: string, size?: number): Float32Array {
  const t = weights.get(name);
  if (!t) throw new Error(`weights: missing tensor ${name}`);
  if (size !== undefined && t.data.length !== size) {
    throw new Error(`weights: ${name} has ${t.data.length} values, want ${size}`);
  }
  return t.data;
}

/**
 * A small, seeded, fast PRNG (sfc32 seeded through splitmix32): identical sequences on every
 * platform, so initializations are reproducible from the seed alone.
 */
/**
 * The seeded generator for weights and test inputs: the same splitmix32 that orders data, so one
 * generator serves the whole project.
 */
export { Rng };

/**
 * Fresh weights for a graph:
 * - conv weights: He (Kaiming) normal, std = sqrt(2 / fan_in), fan_in = inC/groups * k * k;
 *   conv biases 0;
 * - bn: gamma 1, beta 0, running mean 0, running variance 1;
 * - fc: weight uniform in +-1/sqrt(in) (PyTorch's default for the classifier, which has no ReLU
 *   after it), bias 0;
 * - SNL masks 1 (every ReLU kept).
 * The same seed always gives the same weights.
 */
export function initWeights(graph: LayerGraph, seed = 0): Weights {
  const rng = new Rng(seed);
  const w: Weights = new Map();
  const opOf = new Map(graph.nodes.map((n) => [n.name, n.op]));
  for (const spec of weightSpecs(graph)) {
    const data = new Float32Array(numel(spec.shape));
    const kind = opOf.get(spec.node);
    if (kind === 'conv' && spec.role === 'weight') {
      const fanIn = spec.shape[1] * spec.shape[2] * spec.shape[3];
      rng.fillNormal(data, Math.sqrt(2 / fanIn));
    } else if (kind === 'fc' && spec.role === 'weight') {
      const bound = 1 / Math.sqrt(spec.shape[1]);
      rng.fillUniform(data, -bound, bound);
    } else if (spec.role === 'gamma' || spec.role === 'running_var' || spec.role === 'mask') {
      // Masks start at 1: every ReLU kept, SNL's starting point.
      data.fill(1);
    }
    w.set(spec.name, { shape: [...spec.shape], data });
  }
  return w;
}

/**
 * Gives batch-norm parameters and statistics and all biases random values (in place), so that
 * tests and benchmarks exercise folding: gamma and running_var in [0.5, 1.5], beta and
 * running_mean normal with std 0.2, biases normal with std 0.1.
 */
export function perturbWeights(weights: Weights, seed = 1): Weights {
  const rng = new Rng(seed);
  for (const name of [...weights.keys()].sort()) {
    const t = weights.get(name)!;
    if (name.endsWith('.gamma') || name.endsWith('.running_var')) rng.fillUniform(t.data, 0.5, 1.5);
    else if (name.endsWith('.beta') || name.endsWith('.running_mean')) rng.fillNormal(t.data, 0.2);
    else if (name.endsWith('.bias')) rng.fillNormal(t.data, 0.1);
  }
  return weights;
}
