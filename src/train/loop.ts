// The GPU training loop behind `hrn train`: epochs of full batches through the Trainer (one
// command buffer per step), a cosine learning-rate schedule per step, the loss read back every few
// steps for the progress bar, test accuracy after each epoch on the inference path (bn folded,
// helper Executor fed the trained weights), a JSON-lines log, and an atomic checkpoint after each
// epoch and when interrupted (first Ctrl-C: finish the step, save, stop). `resume` continues from
// the checkpoint exactly where it stopped: batches are a pure function of (seed, epoch, index).

import { join } from 'node:path';
import { existsSync } from 'node:fs';
import type { BatchLoader } from '../data/batches.js';
import type { LayerGraph } from '../ir/graph.js';
import { packParams } from '../codegen/pack.js';
import { SGD_DEFAULTS, type LossSpec } from '../codegen/kernels/index.js';
import type { GpuContext } from '../runtime/device.js';
import { Executor } from '../runtime/executor.js';
import { Trainer, type TeacherSource } from '../runtime/trainer.js';
import { initWeights, nonFiniteTensors, type Weights } from '../weights/weights.js';
import { loadCheckpoint, saveCheckpoint, STATE_FILE, type CheckpointStateInput, type MetricsRecord } from './checkpoint.js';
import type { InterruptFlag } from './interrupt.js';
import { dkdWarmup } from './losses.js';
import { JsonlLogger } from './log.js';
import { MetricsCsv } from './metrics-csv.js';
import { TrainProgress } from './progress.js';
import { cosineSchedule, learningRate, type LrSchedule } from './schedule.js';

/** The checkpoint directory and log inside a run's output directory. */
export const RUN_CHECKPOINT = 'checkpoint';
export const RUN_LOG = 'train.jsonl';
export const RUN_METRICS_CSV = 'metrics.csv';

/**
 * The checkpoint a path names: a run directory (`hrn train --out DIR`) means the checkpoint inside
 * it; anything else (a checkpoint directory, a missing path) is returned as given, so that
 * loadCheckpoint's own messages still apply.
 */
export function checkpointOfRun(path: string): string {
  const inner = join(path, RUN_CHECKPOINT);
  const isCheckpoint = existsSync(join(path, STATE_FILE));
  return !isCheckpoint && (existsSync(inner) || existsSync(`${inner}.prev`)) ? inner : path;
}

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

  static async create(ctx: GpuContext, graph: LayerGraph, weights: Weights, batch: number): Promise<Evaluator> {
    return new Evaluator(await Executor.forGraph(ctx, graph, weights, { batch, head: false }), graph);
  }

  update(weights: Weights): void {
    const params = packParams(this.ex.plan, weights);
    for (const [id, data] of params) this.ex.device.queue.writeBuffer(this.ex.buffer(id), 0, data.buffer, data.byteOffset, data.byteLength);
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

export interface TrainLoopOptions {
  ctx: GpuContext;
  graph: LayerGraph;
  /** Network identity recorded in (and checked against) checkpoints. */
  network: { name: string; hash: string };
  train: BatchLoader;
  test?: BatchLoader;
  epochs: number;
  lr: number;
  minLr?: number;
  /** Linear warm-up, in epochs (fractions allowed). */
  warmupEpochs?: number;
  sgd?: { momentum?: number; weightDecay?: number; nesterov?: boolean };
  loss?: LossSpec;
  teacher?: TeacherSource;
  /** Initial weights; default initWeights(graph, seed). */
  init?: Weights;
  seed?: number;
  /** Checkpoints and the log go here; none: nothing is written. */
  outDir?: string;
  /** Continue from outDir's checkpoint. */
  resume?: boolean;
  /** Steps between loss read-backs (progress bar and log); default 10. */
  logEvery?: number;
  /** Test batches evaluated per epoch (default all). */
  testLimit?: number;
  evalBatch?: number;
  progress?: TrainProgress;
  interrupt?: InterruptFlag;
  /** Saved in the checkpoint's state (command line, data, normalization, ...). */
  extra?: Record<string, unknown>;
  /** Messages (checkpoint saved, resumed). */
  note?: (line: string) => void;
  subgroups?: boolean;
}

export interface TrainLoopResult {
  /** Epochs completed (including those of the run resumed from). */
  epochs: number;
  step: number;
  interrupted: boolean;
  history: MetricsRecord[];
  weights: Weights;
  /** Seconds of training in this process (evaluation excluded). */
  trainSeconds: number;
  /** Training images per second in this process. */
  imagesPerSecond: number;
  checkpoint?: string;
}

/**
 * Training produced NaN or an infinity (nearly always a learning rate too high for the network).
 * Thrown before anything is saved, so the last checkpoint written is the last good one.
 */
export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
}

interface PartialSums {
  loss: number;
  correct: number;
  steps: number;
}

export async function trainLoop(o: TrainLoopOptions): Promise<TrainLoopResult> {
  const { ctx, graph, train } = o;
  const batch = train.batchSize;
  const stepsPerEpoch = Math.floor(train.count / batch);
  if (stepsPerEpoch < 1) throw new Error(`the training set has ${train.count} examples, fewer than one batch of ${batch}`);
  const seed = o.seed ?? 0;
  const loss: LossSpec = o.loss ?? { kind: 'ce' };
  const sgd = { momentum: o.sgd?.momentum ?? SGD_DEFAULTS.momentum, weightDecay: o.sgd?.weightDecay ?? SGD_DEFAULTS.weightDecay, nesterov: o.sgd?.nesterov ?? SGD_DEFAULTS.nesterov };
  const ckptDir = o.outDir ? join(o.outDir, RUN_CHECKPOINT) : undefined;
  const note = o.note ?? (() => {});

  let weights = o.init ?? initWeights(graph, seed);
  let momentum: Weights | undefined;
  let startEpoch = 0;
  let startBatch = 0;
  let step = 0;
  let history: MetricsRecord[] = [];
  let carried: PartialSums = { loss: 0, correct: 0, steps: 0 };
  let schedule: LrSchedule = cosineSchedule({
    baseLr: o.lr,
    minLr: o.minLr ?? 0,
    warmupSteps: Math.round((o.warmupEpochs ?? 0) * stepsPerEpoch),
    totalSteps: o.epochs * stepsPerEpoch,
  });
  if (o.resume) {
    if (!ckptDir) throw new Error('resume needs an output directory');
    const ck = loadCheckpoint(ckptDir, { expect: o.network });
    if (ck.recovered) note(`${ckptDir} was incomplete; resumed from ${ck.path}`);
    weights = ck.weights;
    momentum = ck.optimizer;
    startEpoch = ck.state.epoch;
    startBatch = ck.state.batchInEpoch ?? 0;
    step = ck.state.step;
    history = ck.state.metrics;
    schedule = ck.state.lrSchedule;
    if (schedule.totalSteps !== o.epochs * stepsPerEpoch) {
      schedule = { ...schedule, totalSteps: o.epochs * stepsPerEpoch };
      note(`the learning-rate schedule now spans ${o.epochs} epochs (the checkpoint's run planned ${ck.state.lrSchedule.totalSteps / stepsPerEpoch})`);
    }
    const p = (ck.state.extra as { partial?: PartialSums } | undefined)?.partial;
    if (p && startBatch > 0) carried = p;
    note(`resumed from ${ck.path}: epoch ${startEpoch + (startBatch > 0 ? 1 : 0)}, step ${step}${startBatch > 0 ? `, batch ${startBatch} of the epoch` : ''}`);
  }

  // The driver compiles the kernels when the first steps run; on a CPU driver with a cold shader
  // cache that takes minutes, so say so rather than leave the progress bar standing still.
  note('the first steps compile the GPU kernels: minutes on a CPU driver the first time, seconds once its shader cache has them');
  const trainer = await Trainer.create(ctx, graph, weights, { batch, loss, sgd, teacher: o.teacher, momentum, subgroups: o.subgroups });
  let evaluator: Evaluator | undefined;
  const logger = o.outDir ? new JsonlLogger(join(o.outDir, RUN_LOG)) : undefined;
  const csv = o.outDir ? new MetricsCsv(join(o.outDir, RUN_METRICS_CSV)) : undefined;
  let trainMs = 0;
  let trainImages = 0;
  let interrupted = false;

  let saved: string | undefined;
  /** Stops the run when a read-back value is not finite; `what` says which value. */
  const diverged = (what: string, epoch: number, batchInEpoch: number, lr: number): never => {
    logger?.log({ event: 'diverged', epoch: epoch + 1, batch: batchInEpoch, step, what, lr });
    const kept = ckptDir === undefined ? 'nothing was saved (no --out)' : saved === undefined ? `no checkpoint was written in this run` : `the last good checkpoint, ${saved}, is kept unchanged`;
    throw new TrainingDivergedError(
      `training diverged at step ${step} (epoch ${epoch + 1}, batch ${batchInEpoch}): ${what}. ` +
        `The learning rate (${lr} at this step, --lr ${o.lr}) is the likely cause; try a smaller --lr (or a warm-up). Stopped; ${kept}.`,
    );
  };
  const checkLoss = (sum: number, epoch: number, batchInEpoch: number, lr: number) => {
    if (!Number.isFinite(sum)) diverged(`the loss is ${sum}`, epoch, batchInEpoch, lr);
  };

  const save = async (epochsDone: number, batchInEpoch: number, partial?: PartialSums): Promise<void> => {
    if (!ckptDir) return;
    await trainer.flush();
    const weights = await trainer.readWeights();
    // A finite loss read a few steps ago does not vouch for the weights saved now.
    const bad = nonFiniteTensors(weights);
    if (bad.length > 0) {
      const mid = batchInEpoch > 0;
      diverged(`weight ${bad[0].name} holds ${bad[0].value}`, mid ? epochsDone : epochsDone - 1, mid ? batchInEpoch : stepsPerEpoch, learningRate(schedule, Math.max(0, step - 1)));
    }
    const state: CheckpointStateInput = {
      network: o.network,
      epoch: epochsDone,
      step,
      batchInEpoch,
      dataSeed: seed,
      rng: {},
      lrSchedule: schedule,
      optimizer: { kind: 'sgd', ...sgd },
      metrics: history,
      extra: { ...o.extra, batch, epochs: o.epochs, loss, ...(partial ? { partial } : {}) },
    };
    saveCheckpoint(ckptDir, { weights, optimizer: await trainer.readMomentum(), state });
    saved = `${ckptDir} (epoch ${epochsDone}${batchInEpoch > 0 ? `, batch ${batchInEpoch}` : ''})`;
    logger?.sync();
  };

  try {
    logger?.log({ event: resumedEvent(o.resume), network: o.network.name, epochs: o.epochs, batch, stepsPerEpoch, lr: o.lr, loss: loss.kind, seed });
    for (let epoch = startEpoch; epoch < o.epochs && !interrupted; epoch++) {
      const from = epoch === startEpoch ? startBatch : 0;
      const warm = loss.kind === 'dkd' ? dkdWarmup(epoch + 1, loss.warmup) : 1;
      o.progress?.startEpoch(epoch + 1, stepsPerEpoch);
      trainer.resetSums();
      const base = epoch === startEpoch ? carried : { loss: 0, correct: 0, steps: 0 };
      const t0 = performance.now();
      let imagesThisEpoch = 0;
      let lr = learningRate(schedule, step);
      let lastRead = { loss: 0, steps: 0 };
      for (let i = from; i < stepsPerEpoch; i++) {
        const b = train.batch(epoch, i);
        lr = learningRate(schedule, step);
        await trainer.step(b.images, b.labels, lr, { warm });
        step++;
        imagesThisEpoch += b.size;
        const done = i + 1;
        if (done % (o.logEvery ?? 10) === 0 || done === stepsPerEpoch) {
          const s = await trainer.readSums();
          checkLoss(s.loss, epoch, done, lr);
          const recent = s.steps > lastRead.steps ? (s.loss - lastRead.loss) / (s.steps - lastRead.steps) : NaN;
          lastRead = { loss: s.loss, steps: s.steps };
          o.progress?.update(done, (done - from) * batch, (base.loss + s.loss) / Math.max(1, base.steps + s.steps), lr);
          logger?.log({ event: 'step', epoch: epoch + 1, batch: done, step, loss: recent, lr });
        }
        if (o.interrupt?.requested) {
          interrupted = true;
          await trainer.flush();
          trainMs += performance.now() - t0;
          trainImages += imagesThisEpoch;
          const s = await trainer.readSums();
          checkLoss(s.loss, epoch, done, lr);
          const partial = { loss: base.loss + s.loss, correct: base.correct + s.correct, steps: base.steps + s.steps };
          o.progress?.stop();
          if (done < stepsPerEpoch) {
            await save(epoch, done, partial);
          } else {
            // the epoch's last step: record it as complete (without its test evaluation)
            history.push({ epoch: epoch + 1, step, loss: partial.loss / partial.steps, trainAccuracy: partial.correct / (partial.steps * batch), testAccuracy: null, lr });
            await save(epoch + 1, 0);
          }
          logger?.log({ event: 'interrupted', epoch: epoch + 1, batch: done, step });
          if (ckptDir) note(`interrupted: checkpoint saved to ${ckptDir} (epoch ${epoch + 1}, batch ${done}/${stepsPerEpoch}); continue with --resume`);
          break;
        }
      }
      if (interrupted) break;
      await trainer.flush();
      const ms = performance.now() - t0;
      trainMs += ms;
      trainImages += imagesThisEpoch;
      const s = await trainer.readSums();
      checkLoss(s.loss, epoch, stepsPerEpoch, lr);
      const tot = { loss: base.loss + s.loss, correct: base.correct + s.correct, steps: base.steps + s.steps };
      const rec: MetricsRecord = {
        epoch: epoch + 1,
        step,
        loss: tot.loss / Math.max(1, tot.steps),
        trainAccuracy: tot.correct / Math.max(1, tot.steps * batch),
        testAccuracy: null,
        testLoss: null,
        lr,
        seconds: ms / 1000,
        imagesPerSecond: imagesThisEpoch / (ms / 1000),
      };
      if (loss.kind !== 'ce') {
        rec.ce = s.ce / Math.max(1, s.steps);
        rec.kd = s.kd1 / Math.max(1, s.steps);
        if (loss.kind === 'dkd') rec.nckd = s.kd2 / Math.max(1, s.steps);
      }
      if (o.test) {
        const w = await trainer.readWeights();
        if (!evaluator) evaluator = await Evaluator.create(ctx, graph, w, o.evalBatch ?? o.test.batchSize);
        else evaluator.update(w);
        const ev = await evaluator.evaluate(o.test, o.testLimit);
        rec.testAccuracy = ev.accuracy;
        rec.testLoss = ev.loss;
      }
      history.push(rec);
      logger?.log({ event: 'epoch', ...rec });
      csv?.append(rec);
      o.progress?.endEpoch({
        loss: rec.loss as number,
        lr,
        accuracy: rec.trainAccuracy as number,
        testAccuracy: rec.testAccuracy === null ? undefined : (rec.testAccuracy as number),
      });
      await save(epoch + 1, 0);
      if (o.interrupt?.requested) {
        interrupted = true;
        logger?.log({ event: 'interrupted', epoch: epoch + 1, step });
        if (ckptDir) note(`interrupted: checkpoint saved to ${ckptDir} (after epoch ${epoch + 1}); continue with --resume`);
      }
    }
    const final = await trainer.readWeights();
    const epochsDone = history.length > 0 ? (history[history.length - 1].epoch as number) : startEpoch;
    if (!interrupted) logger?.log({ event: 'end', epochs: epochsDone, step, trainSeconds: trainMs / 1000 });
    return {
      epochs: epochsDone,
      step,
      interrupted,
      history,
      weights: final,
      trainSeconds: trainMs / 1000,
      imagesPerSecond: trainMs > 0 ? trainImages / (trainMs / 1000) : 0,
      checkpoint: ckptDir && existsSync(ckptDir) ? ckptDir : undefined,
    };
  } finally {
    o.progress?.stop();
    logger?.close();
    csv?.close();
    evaluator?.dispose();
    trainer.dispose();
  }
}

/**
 * Ctrl-C for a training run: like interrupt.ts's installInterruptHandler (first signal: finish the
 * step, save, stop; another: quit at once with status 130), except that signals arriving within
 * `graceMs` of the first count as the same keypress. A terminal sends SIGINT to the whole
 * foreground process group, and launchers such as npx (and tsx) forward it to their child again,
 * so one Ctrl-C can arrive twice.
 */
export function installTrainingInterrupt(o: { stream?: { write(s: string): unknown }; graceMs?: number; exit?: (code: number) => void } = {}): InterruptFlag {
  const stream = o.stream ?? process.stderr;
  const grace = o.graceMs ?? 1000;
  const exit = o.exit ?? ((code: number) => process.exit(code));
  let count = 0;
  let first = 0;
  const handler = (signal: NodeJS.Signals) => {
    const now = Date.now();
    if (count === 0) {
      count = 1;
      first = now;
      stream.write(`\n${signal}: finishing this step, saving a checkpoint, then stopping (press Ctrl-C again to quit at once)\n`);
    } else if (now - first > grace) {
      count++;
      stream.write(`\n${signal} again: quitting without saving\n`);
      exit(130);
    }
  };
  process.on('SIGINT', handler);
  return {
    get requested() {
      return count > 0;
    },
    get count() {
      return count;
    },
    dispose() {
      process.removeListener('SIGINT', handler);
    },
  };
}

function resumedEvent(resume: boolean | undefined): string {
  return resume ? 'resume' : 'start';
}
