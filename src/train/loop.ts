// The GPU training loop behind `hrn train`: epochs of full batches through the Trainer (one
// command buffer per step), a cosine learning-rate schedule per step, the loss read back every few
// steps for the progress bar, test (and, with a held-out split, validation) accuracy after each
// epoch on the inference path (bn folded, helper Executor fed the trained weights), a JSON-lines
// log, and an atomic checkpoint after each epoch and when interrupted (first Ctrl-C or SIGTERM:
// finish the step, save, stop). `resume` continues from the checkpoint exactly where it stopped
// (batches are a pure function of (seed, epoch, index)), and only the run it belongs to
// (src/train/resume.ts). What a run fixes from its options before the first step, and where it
// starts, is in src/train/run-start.ts.

import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { GpuDeviceLostError } from '../runtime/device-watch.js';
import { openTrainer } from '../launch/train.js';
import type { Trainer } from '../runtime/trainer.js';
import { nonFiniteTensors } from '../weights/weights.js';
import { saveCheckpoint, type CheckpointStateInput, type MetricsRecord } from './checkpoint.js';
import { dkdWarmup } from './losses.js';
import { JsonlLogger } from './log.js';
import { MetricsCsv } from './metrics-csv.js';
import { learningRate, type LrSchedule } from './schedule.js';
import { refuseForeignRunFiles, RUN_LOG, RUN_METRICS_CSV } from './run-dir.js';
import { runSettings, startState, type PartialSums, type RunSettings, type StartState, type TrainLoopOptions, type TrainLoopResult } from './run-start.js';
import { Evaluator } from './evaluate.js';
import { SnlSchedule } from './snl.js';

export { Evaluator, type EvalResult } from './evaluate.js';

export { installTrainingInterrupt } from './interrupt.js';

export { checkpointOfRun, RUN_CHECKPOINT, RUN_LOG, RUN_METRICS_CSV } from './run-dir.js';

export { checkResume, type TrainLoopOptions, type TrainLoopResult } from './run-start.js';

/**
 * Training produced NaN or an infinity (nearly always a learning rate too high for the network).
 * Thrown before anything is saved, so the last checkpoint written is the last good one.
 */
export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
}

export async function trainLoop(o: TrainLoopOptions): Promise<TrainLoopResult> {
  if (o.outDir && existsSync(o.outDir)) refuseForeignRunFiles(o.outDir);
  const settings = runSettings(o);
  const start = startState(o, settings);
  const { batch, loss, sgd } = settings;
  // Creating the trainer compiles every kernel (its own progress line, outside the epochs' figures).
  const onCompile = o.progress?.compiling;
  let run: TrainRun | undefined;
  try {
    const trainer = await openTrainer(o.ctx, o.graph, start.weights, { batch, loss, sgd, teacher: o.teacher, momentum: start.momentum, subgroups: o.subgroups, profile: o.profile, tuned: o.tuned, observer: o.observer, onCompile });
    run = new TrainRun(o, settings, start, trainer);
    return await run.all();
  } catch (e) {
    throw e instanceof GpuDeviceLostError ? e.withAftermath(whatIsKept(o, settings, run?.lastSaved)) : e;
  } finally {
    run?.close();
  }
}

/** What a run stopped by a lost device leaves: its last checkpoint, and how to go on from it. */
function whatIsKept(o: TrainLoopOptions, s: RunSettings, saved: string | undefined): string {
  if (s.ckptDir === undefined) return 'nothing was saved (no output directory)';
  if (saved !== undefined) return `the last checkpoint, ${saved}, is kept: ${s.continueHint}`;
  return o.resume ? `the checkpoint this run resumed from, ${s.ckptDir}, is kept: ${s.continueHint}` : 'no checkpoint was written in this run';
}

/** One call of trainLoop: the trainer, the files it writes, and the counters that move. */
class TrainRun {
  private evaluator: Evaluator | undefined;
  private readonly logger: JsonlLogger | undefined;
  private readonly csv: MetricsCsv | undefined;
  private step: number;
  private readonly history: MetricsRecord[];
  private readonly schedule: LrSchedule;
  private trainMs = 0;
  private trainImages = 0;
  private interrupted = false;
  private stoppedEarly = false;
  /** The last checkpoint this run wrote, for the divergence message. */
  private saved: string | undefined;
  private readonly snl: SnlSchedule | undefined;

  constructor(
    private readonly o: TrainLoopOptions,
    private readonly s: RunSettings,
    private readonly start: StartState,
    private readonly trainer: Trainer,
  ) {
    this.logger = o.outDir ? new JsonlLogger(join(o.outDir, RUN_LOG)) : undefined;
    this.csv = o.outDir ? new MetricsCsv(join(o.outDir, RUN_METRICS_CSV)) : undefined;
    this.step = start.step;
    this.history = start.history;
    this.schedule = start.schedule;
    this.snl = o.snl ? new SnlSchedule(o.graph, o.snl, start.snl) : undefined;
  }

  async all(): Promise<TrainLoopResult> {
    const { o, s, start } = this;
    this.logger?.log({ event: resumedEvent(o.resume), network: o.network.name, epochs: o.epochs, batch: s.batch, stepsPerEpoch: s.stepsPerEpoch, lr: o.lr, loss: s.loss.kind, seed: s.seed });
    // Resumed at an epoch boundary (cut off after a decision point): decide before training on.
    if (start.startBatch === 0 && start.startEpoch > 0 && start.startEpoch < o.epochs) this.askToStop(start.startEpoch);
    for (let epoch = start.startEpoch; epoch < o.epochs && !this.interrupted && !this.stoppedEarly; epoch++) {
      const first = epoch === start.startEpoch;
      await this.epoch(epoch, first ? start.startBatch : 0, first ? start.carried : { loss: 0, correct: 0, steps: 0 });
    }
    const final = await this.trainer.readWeights();
    const { history, step, trainMs } = this;
    const ckptDir = s.ckptDir;
    const epochsDone = history.length > 0 ? (history[history.length - 1].epoch as number) : start.startEpoch;
    if (!this.interrupted) this.logger?.log({ event: 'end', epochs: epochsDone, step, trainSeconds: trainMs / 1000, ...(this.stoppedEarly ? { stoppedEarly: true } : {}) });
    return {
      epochs: epochsDone,
      step,
      interrupted: this.interrupted,
      stoppedEarly: this.stoppedEarly,
      history,
      weights: final,
      trainSeconds: trainMs / 1000,
      imagesPerSecond: trainMs > 0 ? this.trainImages / (trainMs / 1000) : 0,
      checkpoint: ckptDir && existsSync(ckptDir) ? ckptDir : undefined,
    };
  }

  close(): void {
    this.o.progress?.stop();
    this.logger?.close();
    this.csv?.close();
    this.evaluator?.dispose();
    this.trainer.dispose();
  }

  /** Trains one epoch from batch `from`; `base` holds the sums of the batches before it. */
  private async epoch(epoch: number, from: number, base: PartialSums): Promise<void> {
    const { o, s, trainer } = this;
    const warm = s.loss.kind === 'dkd' ? dkdWarmup(epoch + 1, s.loss.warmup) : 1;
    o.progress?.startEpoch(epoch + 1, s.stepsPerEpoch);
    trainer.resetSums();
    const t0 = performance.now();
    let images = 0;
    let lr = learningRate(this.schedule, this.step);
    let lastRead = { loss: 0, steps: 0 };
    for (let i = from; i < s.stepsPerEpoch; i++) {
      const b = o.train.batch(epoch, i);
      lr = learningRate(this.schedule, this.step);
      await trainer.step(b.images, b.labels, lr, { warm, ...this.snl?.stepOptions() });
      this.step++;
      images += b.size;
      const done = i + 1;
      if (done % (o.logEvery ?? 10) === 0 || done === s.stepsPerEpoch) {
        const sums = await trainer.readSums();
        this.checkLoss(sums.loss, epoch, done, lr);
        const recent = sums.steps > lastRead.steps ? (sums.loss - lastRead.loss) / (sums.steps - lastRead.steps) : NaN;
        lastRead = { loss: sums.loss, steps: sums.steps };
        o.progress?.update(done, (done - from) * s.batch, (base.loss + sums.loss) / Math.max(1, base.steps + sums.steps), lr);
        this.logger?.log({ event: 'step', epoch: epoch + 1, batch: done, step: this.step, loss: recent, lr });
      }
      if (o.interrupt?.requested) {
        await this.stopMidEpoch(epoch, done, base, performance.now() - t0, images, lr);
        return;
      }
    }
    await trainer.flush();
    const ms = performance.now() - t0;
    this.trainMs += ms;
    this.trainImages += images;
    await this.endEpoch(epoch, base, ms, images, lr);
  }

  /** First Ctrl-C inside an epoch: count what ran, save where it stopped, and end the run. */
  private async stopMidEpoch(epoch: number, done: number, base: PartialSums, ms: number, images: number, lr: number): Promise<void> {
    const { o, s, trainer } = this;
    this.interrupted = true;
    await trainer.flush();
    this.trainMs += ms;
    this.trainImages += images;
    const sums = await trainer.readSums();
    this.checkLoss(sums.loss, epoch, done, lr);
    const partial = { loss: base.loss + sums.loss, correct: base.correct + sums.correct, steps: base.steps + sums.steps };
    o.progress?.stop();
    if (done < s.stepsPerEpoch) {
      await this.save(epoch, done, partial);
    } else {
      // the epoch's last step: record it as complete (without its test evaluation)
      this.history.push({ epoch: epoch + 1, step: this.step, loss: partial.loss / partial.steps, trainAccuracy: partial.correct / (partial.steps * s.batch), testAccuracy: null, lr });
      await this.save(epoch + 1, 0);
    }
    this.logger?.log({ event: 'interrupted', epoch: epoch + 1, batch: done, step: this.step });
    if (s.ckptDir) s.note(`interrupted: checkpoint saved to ${s.ckptDir} (epoch ${epoch + 1}, batch ${done}/${s.stepsPerEpoch}); ${s.continueHint}`);
  }

  /** A finished epoch: its metrics, the test evaluation, the log lines and the checkpoint. */
  private async endEpoch(epoch: number, base: PartialSums, ms: number, images: number, lr: number): Promise<void> {
    const { o, s, trainer } = this;
    const sums = await trainer.readSums();
    this.checkLoss(sums.loss, epoch, s.stepsPerEpoch, lr);
    const tot = { loss: base.loss + sums.loss, correct: base.correct + sums.correct, steps: base.steps + sums.steps };
    const rec: MetricsRecord = {
      epoch: epoch + 1,
      step: this.step,
      loss: tot.loss / Math.max(1, tot.steps),
      trainAccuracy: tot.correct / Math.max(1, tot.steps * s.batch),
      testAccuracy: null,
      testLoss: null,
      lr,
      seconds: ms / 1000,
      imagesPerSecond: images / (ms / 1000),
    };
    if (s.loss.kind !== 'ce') {
      rec.ce = sums.ce / Math.max(1, sums.steps);
      rec.kd = sums.kd1 / Math.max(1, sums.steps);
      if (s.loss.kind === 'dkd') rec.nckd = sums.kd2 / Math.max(1, sums.steps);
    }
    if (this.snl) {
      // Before the evaluation, so that the epoch that binarizes the masks is tested with them.
      const line = await this.snl.endEpoch(epoch + 1, trainer);
      const st = this.snl.record();
      rec.snlPhase = st.phase;
      rec.snlRelus = st.count;
      this.logger?.log({ event: 'snl', epoch: epoch + 1, ...st });
      s.note(line);
    }
    const evaluated = o.test ?? o.val;
    if (evaluated) {
      const w = await trainer.readWeights();
      if (!this.evaluator) this.evaluator = await Evaluator.create(o.ctx, o.graph, w, o.evalBatch ?? evaluated.batchSize, o.progress?.compiling, o.profile, o.tuned);
      else this.evaluator.update(w);
      if (o.test) {
        const ev = await this.evaluator.evaluate(o.test, o.testLimit);
        rec.testAccuracy = ev.accuracy;
        rec.testLoss = ev.loss;
      }
      if (o.val) {
        const ev = await this.evaluator.evaluate(o.val);
        rec.valAccuracy = ev.accuracy;
        rec.valLoss = ev.loss;
      }
    }
    this.history.push(rec);
    this.logger?.log({ event: 'epoch', ...rec });
    this.csv?.append(rec);
    o.progress?.endEpoch({
      loss: rec.loss as number,
      lr,
      accuracy: rec.trainAccuracy as number,
      testAccuracy: rec.testAccuracy === null ? undefined : (rec.testAccuracy as number),
      // The evaluation above (and, in the first epoch, its kernels' compilation) is not training:
      // the line shows the rate the run's summary counts.
      imagesPerSecond: rec.imagesPerSecond as number,
    });
    await this.save(epoch + 1, 0);
    if (o.interrupt?.requested) {
      this.interrupted = true;
      this.logger?.log({ event: 'interrupted', epoch: epoch + 1, step: this.step });
      if (s.ckptDir) s.note(`interrupted: checkpoint saved to ${s.ckptDir} (after epoch ${epoch + 1}); ${s.continueHint}`);
    } else if (epoch + 1 < o.epochs) this.askToStop(epoch + 1);
  }

  /** At the boundary after `epochs` epochs, with the checkpoint saved: does the caller end the run here? */
  private askToStop(epochs: number): void {
    if (!this.o.stopAfterEpoch?.(this.history)) return;
    this.stoppedEarly = true;
    this.logger?.log({ event: 'stopped', epoch: epochs, step: this.step });
  }

  /** The last checkpoint this run wrote, if any. */
  get lastSaved(): string | undefined {
    return this.saved;
  }

  /** Stops the run when a read-back value is not finite; `what` says which value. */
  private diverged(what: string, epoch: number, batchInEpoch: number, lr: number): never {
    const { o, s, step } = this;
    this.logger?.log({ event: 'diverged', epoch: epoch + 1, batch: batchInEpoch, step, what, lr });
    const kept = s.ckptDir === undefined ? 'nothing was saved (no --out)' : this.saved === undefined ? `no checkpoint was written in this run` : `the last good checkpoint, ${this.saved}, is kept unchanged`;
    throw new TrainingDivergedError(
      `training diverged at step ${step} (epoch ${epoch + 1}, batch ${batchInEpoch}): ${what}. ` +
        `The learning rate (${lr} at this step, --lr ${o.lr}) is the likely cause; try a smaller --lr (or a warm-up). Stopped; ${kept}.`,
    );
  }

  private checkLoss(sum: number, epoch: number, batchInEpoch: number, lr: number): void {
    if (!Number.isFinite(sum)) this.diverged(`the loss is ${sum}`, epoch, batchInEpoch, lr);
  }

  private async save(epochsDone: number, batchInEpoch: number, partial?: PartialSums): Promise<void> {
    const { o, s, trainer } = this;
    if (!s.ckptDir) return;
    await trainer.flush();
    const weights = await trainer.readWeights();
    // A finite loss read a few steps ago does not vouch for the weights saved now.
    const bad = nonFiniteTensors(weights);
    if (bad.length > 0) {
      const mid = batchInEpoch > 0;
      this.diverged(`weight ${bad[0].name} holds ${bad[0].value}`, mid ? epochsDone : epochsDone - 1, mid ? batchInEpoch : s.stepsPerEpoch, learningRate(this.schedule, Math.max(0, this.step - 1)));
    }
    const state: CheckpointStateInput = {
      network: o.network,
      epoch: epochsDone,
      step: this.step,
      batchInEpoch,
      dataSeed: s.seed,
      rng: {},
      lrSchedule: this.schedule,
      optimizer: { kind: 'sgd', ...s.sgd },
      metrics: this.history,
      extra: { ...o.extra, batch: s.batch, epochs: o.epochs, loss: s.loss, settings: s.record, ...(partial ? { partial } : {}), ...(this.snl ? { snl: this.snl.record() } : {}) },
    };
    saveCheckpoint(s.ckptDir, { weights, optimizer: await trainer.readMomentum(), state });
    this.saved = `${s.ckptDir} (epoch ${epochsDone}${batchInEpoch > 0 ? `, batch ${batchInEpoch}` : ''})`;
    this.logger?.sync();
  }
}

function resumedEvent(resume: boolean | undefined): string {
  return resume ? 'resume' : 'start';
}
