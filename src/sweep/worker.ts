// The worker side of a queued sweep: pulls runs from the BullMQ queue one at a time and trains
// each in a child process (`hrn worker --train-run`), so that this process stays responsive and
// keeps renewing the job's lock while the child is busy in the GPU driver (compiling kernels on
// lavapipe can hold a thread for minutes). The child reports progress over IPC and exits when its
// parent dies, so a killed worker leaves no orphan training behind. A configuration the run cannot
// be trained with fails the job as unrecoverable (no retry), with the message `hrn train` would
// print. SIGINT/SIGTERM: the child saves its checkpoint, exits with the status of a stop on that
// signal (src/train/interrupt.ts), and the run goes back to the queue.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DelayedError, UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import { EXIT_USER } from '../cli/errors.js';
import type { RunJobData } from './queue.js';
import type { RunResult } from './store.js';
import { isStoppedBySignal } from '../train/interrupt.js';
import { trainedBy } from './train-run.js';
import { DawnWarningFilter } from '../util/dawn-warnings.js';

/** Exit status of a child whose run's directory another process is training (EX_TEMPFAIL): try later. */
export const EXIT_RUN_BUSY = 75;

export interface WorkerOptions {
  connection: ConnectionOptions;
  queueName: string;
  /** Runs directory on this machine, when it is not the one the sweep named (a different mount). */
  runsDir?: string;
  /** How long a job's lock lasts without renewal: a killed worker's run is taken over after about this long. */
  lockMs: number;
  /** Extra arguments for the child (e.g. --adapter NAME). */
  childArgs: string[];
  log: (line: string) => void;
  /** Where the child's own output (training progress) goes. */
  childOutput: (chunk: string) => void;
}

export interface TrainRunRequest {
  job: RunJobData;
  dir: string;
  /** Where the child writes the result (JSON). */
  resultPath: string;
}

/** Runs `hrn worker --train-run REQUEST` with the same Node flags and entry point as this process. */
function trainInChild(req: TrainRunRequest, o: WorkerOptions, onProgress: (p: object) => void, stopSignal: AbortSignal): Promise<{ code: number | null; stderr: string }> {
  const requestPath = `${req.resultPath}.request.json`;
  writeFileSync(requestPath, JSON.stringify(req));
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], 'worker', '--train-run', requestPath, ...o.childArgs], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stderr = '';
  const filter = new DawnWarningFilter();
  child.stdout!.on('data', (d: Buffer) => o.childOutput(d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    const kept = filter.push(d.toString());
    stderr += kept;
    if (kept) o.childOutput(kept);
  });
  child.on('message', (m) => onProgress(m as object));
  const stop = () => child.kill('SIGINT');
  stopSignal.addEventListener('abort', stop);
  return new Promise((done) =>
    // 'close': after the child's output has ended, so its last lines are part of the reason.
    child.on('close', (code) => {
      stopSignal.removeEventListener('abort', stop);
      const rest = filter.end();
      stderr += rest;
      if (rest) o.childOutput(rest);
      done({ code, stderr });
    }),
  );
}

/** The user-facing message in a failed child's stderr: its `hrn worker: error:` line and what follows. */
function childError(stderr: string): string {
  const at = stderr.lastIndexOf('hrn worker: error: ');
  return at >= 0 ? stderr.slice(at + 'hrn worker: error: '.length).trim() : stderr.trim().split('\n').slice(-5).join('\n');
}

export function startWorker(o: WorkerOptions): { worker: Worker<RunJobData, RunResult>; stop: () => Promise<void> } {
  const stopping = new AbortController();
  const scratch = mkdtempSync(join(tmpdir(), 'hrn-worker-'));
  const worker = new Worker<RunJobData, RunResult>(
    o.queueName,
    async (job, token) => {
      const { run } = job.data;
      const dir = o.runsDir ? join(o.runsDir, run.id) : job.data.dir;
      o.log(`run ${run.label} (${run.id})`);
      const resultPath = join(scratch, `${run.id}.result.json`);
      const { code, stderr } = await trainInChild({ job: job.data, dir, resultPath }, o, (p) => void job.updateProgress(p).catch(() => {}), stopping.signal);
      if (code === 0) {
        // The run is credited to this worker (the child is an implementation detail).
        const result = { ...(JSON.parse(readFileSync(resultPath, 'utf8')) as RunResult), by: trainedBy() };
        rmSync(resultPath, { force: true });
        o.log(`done ${run.label}: test ${result.testAccuracy === null ? '-' : `${(100 * result.testAccuracy).toFixed(2)}%`}`);
        return result;
      }
      if (isStoppedBySignal(code)) {
        // Interrupted with its checkpoint saved: back to the queue for any worker.
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      if (code === EXIT_RUN_BUSY) {
        // Another worker still trains this run (its job was taken over while it was alive): later.
        await job.moveToDelayed(Date.now() + o.lockMs, token);
        throw new DelayedError();
      }
      if (code === EXIT_USER) throw new UnrecoverableError(childError(stderr));
      throw new Error(`training process exited with status ${code}: ${childError(stderr)}`);
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
  return {
    worker,
    stop: async () => {
      stopping.abort();
      await worker.close();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
