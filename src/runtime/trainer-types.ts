// What a Trainer (trainer.ts) is given and gives back: its parts, a step's options, the running
// loss sums and a dispatch's profile.

import type { CompileProgress } from './warm-up.js';
import type { GpuClock } from './gpu-timer.js';
import type { Executor } from './executor.js';
import type { Weights } from '../weights/weights.js';

/** One dispatch of a step timed on its own. */
export interface DispatchProfile {
  label: string;
  template: string;
  phase: string;
  /** Milliseconds per run (best of two batches of runs), by `clock`. */
  ms: number;
  /** What timed it: the GPU's timestamps around the pass where the device has them, else the wall clock (gpu-timer.ts). */
  clock: GpuClock;
  /** CPU milliseconds of this process per run, lavapipe's threads included (best of two). */
  cpuMs: number;
  /** CPU milliseconds of the first batch of runs: any lazy shader compilation lands here. */
  firstCpuMs: number;
  flops: number;
}

export interface LossSums {
  /** Sum over steps of the batch-mean loss. */
  loss: number;
  /** Correctly classified training images (argmax of the logits, before the step's update). */
  correct: number;
  steps: number;
  /** Sum of batch-mean cross-entropy (equals loss without distillation). */
  ce: number;
  /** Sum of batch-mean T^2 KL (Hinton) or TCKD (DKD). */
  kd1: number;
  /** Sum of batch-mean NCKD (DKD). */
  kd2: number;
}

/** What a Trainer is built with besides its program and weights. */
export interface TrainerParts {
  /** The teacher for a distillation program: an executor at the same batch, run in the same command buffer. */
  teacher?: Executor;
  /** SGD momentum to resume from (one tensor per trainable parameter, weights.ts layout). */
  momentum?: Weights;
  /** Progress of the kernel compilation, which creation does up front (see warm-up.ts). */
  onCompile?: CompileProgress;
}

export interface StepOptions {
  /** DKD warm-up factor min(epoch / warmup, 1); default 1. */
  warm?: number;
  /** SNL: the L1 penalty's weight on the masks (its gradient is added where a mask is positive); default 0. */
  maskPenalty?: number;
  /**
   * SNL: masks fixed (their gradient 0), as in the fine-tuning after binarization; default false.
   * Masks have no weight decay, so they stay exactly as they are once their momentum is cleared
   * (setMomentum), which the caller does when it freezes them.
   */
  masksFrozen?: boolean;
}
