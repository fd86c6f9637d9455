// One reference training step on the CPU: forward in training mode (batch statistics, running
// statistics updated), loss, backward, SGD. What a GPU training step must reproduce, and a
// (slow) way to train tiny networks without a GPU.

import type { LayerGraph } from '../ir/graph.js';
import { backwardGraph, forwardGraph } from './backward.js';
import { tensor } from './ops.js';
import type { Weights } from '../weights/weights.js';
import { countCorrect, softmaxCrossEntropy, type LossResult } from '../train/losses.js';
import type { Sgd } from '../train/sgd.js';

export interface StepBatch {
  size: number;
  /** size x C x H x W */
  images: Float32Array;
  labels: ArrayLike<number>;
}

export interface StepResult {
  loss: number;
  correct: number;
  logits: Float32Array;
  grads: Map<string, Float32Array>;
}

/**
 * `loss` maps (logits, labels, classes) to value and gradient; cross-entropy by default (for KD,
 * close over the teacher's logits for the batch).
 */
export function referenceTrainStep(
  graph: LayerGraph,
  weights: Weights,
  sgd: Sgd,
  batch: StepBatch,
  lr: number,
  loss: (logits: Float32Array, labels: ArrayLike<number>, classes: number) => LossResult = softmaxCrossEntropy,
): StepResult {
  const s = graph.nodes[0].shape;
  const x = tensor(batch.size, s.c, s.h, s.w, batch.images);
  const tape = forwardGraph(graph, weights, x, { training: true });
  const logits = tape.acts[graph.output].data;
  const l = loss(logits, batch.labels, graph.classes);
  const { grads } = backwardGraph(graph, weights, tape, Float32Array.from(l.grad));
  sgd.step(weights, grads, lr);
  return { loss: l.loss, correct: countCorrect(logits, batch.labels, graph.classes), logits, grads };
}
