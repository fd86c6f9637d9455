// Trains one run of a sweep with the training loop of `hrn train` (src/train/loop.ts): its network
// rebuilt from the run's configuration, its data opened with the run's settings, checkpoints and
// the log in the run's directory. A run whose directory holds a checkpoint resumes from it, so an
// interrupted run (Ctrl-C, a killed worker) continues where it stopped. The run's directory is
// locked while it trains (src/train/run-dir.ts), as `hrn train --out` locks its directory.

import { hostname } from 'node:os';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BatchLoader } from '../data/batches.js';
import type { DataPipeline } from '../data/pipeline.js';
import type { ArchIR } from '../ir/arch.js';
import type { GpuContext } from '../runtime/device.js';
import { CheckpointError, type MetricsRecord } from '../train/checkpoint.js';
import type { InterruptFlag } from '../train/interrupt.js';
import { RUN_CHECKPOINT, trainLoop } from '../train/loop.js';
import { defaultSnlSchedule } from '../train/snl.js';
import { ResumeMismatchError } from '../train/resume.js';
import { loopSettings } from '../train/settings.js';
import { ForeignRunFilesError, lockRunDir } from '../train/run-dir.js';
import { DirLockedError, LockFileError, type DirLock } from '../util/dir-lock.js';
import type { TrainProgress } from '../train/progress.js';
import { UserError } from '../errors.js';
import { openTrainingData } from '../train/training-data.js';
import type { RunConfig, RunDistillation } from './expand.js';
import type { TeacherSource } from '../launch/train.js';
import { loadTeacher } from './teacher.js';
import { buildRunNetwork } from './network.js';
import type { EarlyStop, RunResult } from './store.js';
import { earlyStopDecision, type EarlyStopSpec, type Measure } from './early-stop.js';
import { curveOf, peerCurves } from './peers.js';

export interface TrainRunOptions {
  gpu: GpuContext;
  /** The run's directory (checkpoint and log). */
  dir: string;
  progress?: TrainProgress;
  interrupt?: InterruptFlag;
  note?: (line: string) => void;
  /** How to continue the run after an interrupt (the sweep's way, or the queue's). */
  continueHint?: string;
  /** The sweep's early-stopping rule, and the runs directory its other runs are read from. */
  earlyStop?: RunEarlyStop;
}

export interface RunEarlyStop {
  spec: EarlyStopSpec;
  runsDir: string;
}

/** The accuracy a run's early-stopping decisions compare: validation with --val-split, else test. */
export const measureOf = (run: RunConfig): Measure => (run.train.valSplit !== undefined ? 'validation' : 'test');

/** The run's directory is locked by another process training it (another sweep or worker): not the run's fault. */
export class RunBusyError extends Error {
  override name = 'RunBusyError';
}

/** Who is training: host and process, recorded with each result. */
export const trainedBy = (): string => `${hostname()}:${process.pid}`;

/**
 * The run's data as its training reads it, checked against the network: the data set, its class
 * count, the fit of its images, and enough training images for one batch. Problems are UserErrors.
 */
export function openRunData(run: RunConfig, arch: ArchIR): { data: DataPipeline; train: BatchLoader; val?: BatchLoader } {
  return openTrainingData(run.data, arch, { ...run.train, seed: run.seed }, { evalBatch: 250 });
}

/** The teacher a distilled run was planned with; one retrained or replaced since is refused. */
function runTeacher(kd: RunDistillation, sources: Map<string, string>): TeacherSource {
  const teacher = loadTeacher(kd.teacher, kd.teacherFile, sources);
  if (teacher.identity.network !== kd.identity.network || teacher.identity.weights !== kd.identity.weights) {
    throw new UserError(`--teacher ${kd.teacher}: the teacher is no longer the checkpoint this run was planned with (it was retrained or replaced); plan the sweep again`);
  }
  return teacher;
}

/** Trains (or finishes) one run. Returns undefined when interrupted before the end. */
export async function trainRun(run: RunConfig, o: TrainRunOptions): Promise<RunResult | undefined> {
  const sources = new Map<string, string>();
  const built = buildRunNetwork(run, sources);
  if (built.hash !== run.networkHash) {
    throw new UserError(`${run.source}: ${run.network} is no longer the network this run was planned with (the file or a pipeline changed); plan the sweep again`);
  }
  const { data, train, val } = openRunData(run, built.arch);
  const teacher = run.kd ? runTeacher(run.kd, sources) : undefined;
  const started = performance.now();
  mkdirSync(o.dir, { recursive: true });
  let lock: DirLock;
  try {
    lock = lockRunDir(o.dir, o.note);
  } catch (e) {
    if (e instanceof DirLockedError) throw new RunBusyError(e.message);
    if (e instanceof LockFileError) throw new UserError(e.message);
    throw e;
  }
  const resume = existsSync(join(o.dir, RUN_CHECKPOINT)) || existsSync(join(o.dir, `${RUN_CHECKPOINT}.prev`));
  let stopped: EarlyStop | undefined;
  const stopAfterEpoch = o.earlyStop && decideFor(run, o.earlyStop, (d) => (stopped = d));
  let result;
  try {
    result = await trainLoop({
      ctx: o.gpu,
      graph: built.graph,
      network: { name: built.arch.name, hash: built.hash },
      train,
      test: data.test,
      val,
      ...loopSettings(run.data, { ...run.train, seed: run.seed }),
      ...(run.kd ? { loss: run.kd.loss, teacher } : {}),
      outDir: o.dir,
      resume,
      progress: o.progress,
      interrupt: o.interrupt,
      note: o.note,
      continueHint: o.continueHint,
      ...(stopAfterEpoch ? { stopAfterEpoch } : {}),
      // A run of an snl pipeline trains under SNL's schedule with its defaults (docs/training.md).
      ...(built.arch.snl ? { snl: defaultSnlSchedule(built.arch.snl.budget, run.train.epochs) } : {}),
      extra: { source: run.source, set: run.set, network: run.declared, pipeline: run.pipeline ?? undefined, data: data.spec.text, normalization: data.normalization, classNames: data.classNames, relus: run.counts.relus, sweepRun: run.id },
    });
  } catch (e) {
    if (e instanceof CheckpointError || e instanceof ResumeMismatchError || e instanceof ForeignRunFilesError) throw new UserError(e.message);
    throw e;
  } finally {
    lock.release();
  }
  if (result.interrupted) return undefined;
  const last = result.history[result.history.length - 1];
  return {
    id: run.id,
    label: run.label,
    network: run.network,
    set: run.set,
    pipeline: run.pipeline,
    seed: run.seed,
    data: run.data,
    ...run.counts,
    epochs: result.epochs,
    history: result.history,
    testAccuracy: last && typeof last.testAccuracy === 'number' ? last.testAccuracy : null,
    valAccuracy: last && typeof last.valAccuracy === 'number' ? last.valAccuracy : null,
    wallSeconds: (performance.now() - started) / 1000,
    checkpoint: join(o.dir, RUN_CHECKPOINT),
    finishedAt: new Date().toISOString(),
    by: trainedBy(),
    ...(result.stoppedEarly && stopped ? { stopped } : {}),
  };
}

/** The training loop's question at each epoch boundary, answered by the sweep's rule from the other runs' accuracies. */
function decideFor(run: RunConfig, e: RunEarlyStop, decided: (d: EarlyStop) => void): (history: readonly MetricsRecord[]) => boolean {
  const measure = measureOf(run);
  return (history) => {
    const epoch = history.length > 0 ? (history[history.length - 1].epoch as number) : 0;
    const d = earlyStopDecision(e.spec, curveOf(history, measure), peerCurves(e.runsDir, run.id, measure), epoch, run.train.epochs, measure);
    if (d) decided(d);
    return d !== undefined;
  };
}
