// The worker side of a queued sweep: pulls runs from the BullMQ queue one at a time and trains
// them on this machine's GPU. Progress goes to the job (epoch, batch) for `hrn sweep --queue` to
// show; the result is the job's return value. A configuration the run cannot be trained with
// fails the job as unrecoverable (no retry), with the message a user of `hrn train` would see.
// SIGINT/SIGTERM: the current run saves its checkpoint and goes back to the queue.

import { join } from 'node:path';
import { DelayedError, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { GpuContext } from '../runtime/device.js';
import type { InterruptFlag } from '../train/interrupt.js';
import { TrainProgress, type ProgressStream } from '../train/progress.js';
import { runErrorMessage } from './local.js';
import type { RunJobData } from './queue.js';
import type { RunResult } from './store.js';
import { trainRun } from './train-run.js';

/** A TrainProgress that also reports the epoch and batch to the job. */
class JobProgress extends TrainProgress {
  private epochNow = 0;
  constructor(
    private readonly job: Job<RunJobData, RunResult>,
    epochs: number,
    stream: ProgressStream,
  ) {
    super({ epochs, stream });
  }
  override startEpoch(epoch: number, batches: number): void {
    super.startEpoch(epoch, batches);
    this.epochNow = epoch;
    void this.job.updateProgress({ epoch, batch: 0, batches }).catch(() => {});
  }
  override update(batchesDone: number, images: number, loss: number, lr: number): void {
    super.update(batchesDone, images, loss, lr);
    void this.job.updateProgress({ epoch: this.epochNow, batch: batchesDone, loss }).catch(() => {});
  }
}

export interface WorkerOptions {
  connection: ConnectionOptions;
  queueName: string;
  gpu: () => Promise<GpuContext>;
  /** Runs directory on this machine, when it is not the one the sweep named (a different mount). */
  runsDir?: string;
  /** How long a job's lock lasts without renewal: a killed worker's run is taken over after about this long. */
  lockMs: number;
  stream: ProgressStream;
  interrupt: InterruptFlag;
  log: (line: string) => void;
}

export function startWorker(o: WorkerOptions): Worker<RunJobData, RunResult> {
  const worker = new Worker<RunJobData, RunResult>(
    o.queueName,
    async (job, token) => {
      const { run } = job.data;
      const dir = o.runsDir ? join(o.runsDir, run.id) : job.data.dir;
      o.log(`run ${run.label} (${run.id})`);
      let result: RunResult | undefined;
      try {
        result = await trainRun(run, { gpu: await o.gpu(), dir, progress: new JobProgress(job, run.train.epochs, o.stream), interrupt: o.interrupt, note: o.log });
      } catch (e) {
        const message = runErrorMessage(e);
        if (message !== undefined) throw new UnrecoverableError(message);
        throw e;
      }
      if (!result) {
        // Interrupted with its checkpoint saved: back to the queue for any worker.
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      o.log(`done ${run.label}: test ${result.testAccuracy === null ? '-' : `${(100 * result.testAccuracy).toFixed(2)}%`}`);
      return result;
    },
    {
      connection: o.connection,
      concurrency: 1,
      lockDuration: o.lockMs,
      stalledInterval: Math.max(1000, Math.floor(o.lockMs / 2)),
      // A run whose worker died is not a failing run: take it over however often that happens.
      maxStalledCount: 1000,
    },
  );
  return worker;
}
