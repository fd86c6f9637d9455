// Test-set evaluation during training: the inference path (batch norm folded, the Executor's
// kernels) fed the trained weights after each epoch.

import type { BatchLoader } from '../data/batches.js';
import type { LayerGraph } from '../ir/graph.js';
import type { GpuContext } from '../runtime/device.js';
import type { ProfileName } from '../codegen/schedule/types.js';
import type { TunedSchedules } from '../codegen/schedule/tuned.js';
import type { CompileProgress, Executor } from '../runtime/executor.js';
import { openExecutor } from '../launch/infer.js';
import type { Weights } from '../weights/weights.js';

export interface EvalResult {
  correct: number;
  count: number;
  accuracy: number;
  /** Mean cross-entropy over the examples. */
  loss: number;
}

/**
 * Test-set evaluation on the inference path: an Executor with batch norm folded, built once and
 * refreshed with new weights by `update` (the plan's parameter buffers are rewritten).
 */
export class Evaluator {
  private constructor(
    private readonly ex: Executor,
    private readonly graph: LayerGraph,
  ) {}

  /** `profile`: the kernels' schedule profile (default: the device's); `tuned`: schedules hrn tune measured on the device. */
  static async create(ctx: GpuContext, graph: LayerGraph, weights: Weights, batch: number, onCompile?: CompileProgress, profile?: ProfileName, tuned?: TunedSchedules): Promise<Evaluator> {
    return new Evaluator(await openExecutor(ctx, graph, weights, { batch, head: false, profile, ...(tuned ? { tuned } : {}) }, onCompile), graph);
  }

  update(weights: Weights): void {
    this.ex.setWeights(weights);
  }

  /** Accuracy and mean cross-entropy over every batch of `loader` (epoch 0, unshuffled). */
  async evaluate(loader: BatchLoader, limit = Infinity): Promise<EvalResult> {
    const k = this.graph.classes;
    let correct = 0;
    let count = 0;
    let loss = 0;
    const batches = Math.min(loader.batchesPerEpoch, limit);
    for (let i = 0; i < batches; i++) {
      const b = loader.batch(0, i);
      const z = await this.ex.run(b.images);
      for (let n = 0; n < b.size; n++) {
        let best = 0;
        let m = -Infinity;
        for (let j = 0; j < k; j++) m = Math.max(m, z[n * k + j]);
        let s = 0;
        for (let j = 0; j < k; j++) {
          s += Math.exp(z[n * k + j] - m);
          if (z[n * k + j] > z[n * k + best]) best = j;
        }
        loss += m + Math.log(s) - z[n * k + b.labels[n]];
        if (best === b.labels[n]) correct++;
      }
      count += b.size;
    }
    return { correct, count, accuracy: count > 0 ? correct / count : 0, loss: count > 0 ? loss / count : 0 };
  }

  dispose(): void {
    this.ex.dispose();
  }
}
