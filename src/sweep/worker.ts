// The worker side of a queued sweep: pulls runs from the BullMQ queue one at a time and trains
// each in a child process (`hrn worker --train-run`), so that this process stays responsive and
// keeps renewing the job's lock while the child is busy in the GPU driver (compiling kernels on
// lavapipe can hold a thread for minutes). The child reports progress over IPC and exits when its
// parent dies, so a killed worker leaves no orphan training behind. A configuration the run cannot
// be trained with fails the job as unrecoverable (no retry), with the message `hrn train` would
// print; a child that dies otherwise (killed by the OOM killer, a crash) fails one attempt, and
// BullMQ tries the run again (see RUN_ATTEMPTS). SIGINT/SIGTERM: the child saves its checkpoint,
// exits with the status of a stop on that signal (src/train/interrupt.ts), and the run goes back to
// the queue. A job whose lock this worker lost (Redis restarted, or the job was handed to another
// worker after a long stall) is stopped the same way, so that no two processes train one run.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DelayedError, UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import { EXIT_USER } from '../errors.js';
import { DawnWarningFilter, dropHarmlessDawnWarnings } from '../util/dawn-warnings.js';
import type { RunJobData } from './queue.js';
import type { RunResult } from './store.js';
import { isStoppedBySignal } from '../train/interrupt.js';
import { trainedBy } from './train-run.js';

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
  /** What an interrupted run tells its user (default: that it goes back on the queue). */
  continueHint?: string;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** What the worker passes on of its training children's stderr. */
export interface ChildStderrFilter {
  push(chunk: string): string;
  end(): string;
}

/**
 * Dawn's two adapter warnings dropped from a training child's stderr, unless HRN_DAWN_WARNINGS=1
 * asks for Dawn's output untouched (docs/runtime.md), as it does for every other command.
 */
export function childStderrFilter(env: NodeJS.ProcessEnv = process.env): ChildStderrFilter {
  if (env.HRN_DAWN_WARNINGS === '1') return { push: (chunk) => chunk, end: () => '' };
  return new DawnWarningFilter();
}

/**
 * Runs `hrn worker --train-run REQUEST` with the same Node flags and entry point as this process
 * (a queue worker's run, or one job of `hrn sweep --jobs N`); `env` is added to the child's.
 */
export function trainInChild(req: TrainRunRequest, o: Pick<WorkerOptions, 'childArgs' | 'childOutput'> & { env?: NodeJS.ProcessEnv }, onProgress: (p: object) => void, stopSignal: AbortSignal): Promise<ChildExit> {
  const requestPath = `${req.resultPath}.request.json`;
  writeFileSync(requestPath, JSON.stringify(req));
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], 'worker', '--train-run', requestPath, ...o.childArgs], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    ...(o.env ? { env: { ...process.env, ...o.env } } : {}),
  });
  let stderr = '';
  // Dawn's adapter warnings come from native code in the child; only a reader of its stderr can drop them.
  const shown = childStderrFilter();
  child.stdout!.on('data', (d: Buffer) => o.childOutput(d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    const text = shown.push(d.toString());
    if (text !== '') o.childOutput(text);
  });
  child.stderr!.on('end', () => {
    const rest = shown.end();
    if (rest !== '') o.childOutput(rest);
  });
  child.on('message', (m) => onProgress(m as object));
  const stop = () => child.kill('SIGINT');
  if (stopSignal.aborted) stop();
  stopSignal.addEventListener('abort', stop);
  return new Promise((done) =>
    // 'close': after the child's output has ended, so its last lines are part of the reason.
    child.on('close', (code, signal) => {
      stopSignal.removeEventListener('abort', stop);
      rmSync(requestPath, { force: true });
      done({ code, signal, stderr });
    }),
  );
}

/** Lines of a child's stderr that are its training progress, not a reason. */
const PROGRESS_LINE = /^(epoch \d+\/\d+ |compiling kernels |resumed from |SIGINT|SIGTERM|interrupted: )/;

/** The user-facing message in a failed child's stderr: its `hrn worker: error:` line and what follows. */
export function childError(stderr: string): string {
  // Dawn's adapter warnings are in every child's stderr; they are never why a run failed.
  const text = dropHarmlessDawnWarnings(stderr);
  const at = text.lastIndexOf('hrn worker: error: ');
  if (at >= 0) return text.slice(at + 'hrn worker: error: '.length).trim();
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !PROGRESS_LINE.test(l))
    .slice(-5)
    .join('\n');
}

/** Why a training child that neither finished nor saved ended, in words. */
export function childFailure(x: ChildExit): string {
  // Killed from outside, the child had nothing to say; its last lines are only progress.
  if (x.signal === 'SIGKILL') return 'the training process was killed by SIGKILL (out of memory?)';
  if (x.signal !== null) return `the training process was killed by ${x.signal}`;
  const said = childError(x.stderr);
  return `the training process exited with status ${x.code}${said === '' ? ' without a message' : `: ${said}`}`;
}

export interface StartedWorker {
  worker: Worker<RunJobData, RunResult>;
  /** True for an error event about a job this worker has already said it lost (BullMQ's own follow-ups). */
  explained: (e: Error) => boolean;
  stop: () => Promise<void>;
}

export function startWorker(o: WorkerOptions): StartedWorker {
  const stopping = new AbortController();
  const scratch = mkdtempSync(join(tmpdir(), 'hrn-worker-'));
  /** Stops the current job's child when this worker no longer holds the job. */
  const lost = new Map<string, AbortController>();
  const toldLost = new Set<string>();
  const worker = new Worker<RunJobData, RunResult>(
    o.queueName,
    async (job, token) => {
      const { run } = job.data;
      const dir = o.runsDir ? join(o.runsDir, run.id) : job.data.dir;
      const attempt = job.attemptsMade + 1;
      const attempts = job.opts.attempts ?? 1;
      o.log(`run ${run.label} (${run.id})${attempt > 1 ? `, attempt ${attempt} of ${attempts}` : ''}`);
      const resultPath = join(scratch, `${run.id}.result.json`);
      const lostLock = new AbortController();
      lost.set(job.id!, lostLock);
      const stopChild = AbortSignal.any([stopping.signal, lostLock.signal]);
      let exit: ChildExit;
      try {
        // The other runs' accuracies are read where this machine sees the runs directory.
        const earlyStop = job.data.earlyStop && { ...job.data.earlyStop, runsDir: o.runsDir ?? job.data.earlyStop.runsDir };
        exit = await trainInChild({ job: { ...job.data, ...(earlyStop ? { earlyStop } : {}) }, dir, resultPath }, o, (p) => void job.updateProgress(p).catch(() => {}), stopChild);
      } finally {
        lost.delete(job.id!);
      }
      if (lostLock.signal.aborted) {
        // Whoever holds the job now (the sweep queues it again if Redis lost it) continues from the checkpoint.
        throw new Error(`this worker lost the job of ${run.label}; it stopped training it`);
      }
      if (exit.code === 0) {
        // The run is credited to this worker (the child is an implementation detail).
        const result = { ...(JSON.parse(readFileSync(resultPath, 'utf8')) as RunResult), by: trainedBy() };
        rmSync(resultPath, { force: true });
        o.log(`done ${run.label}: test ${result.testAccuracy === null ? '-' : `${(100 * result.testAccuracy).toFixed(2)}%`}`);
        return result;
      }
      if (isStoppedBySignal(exit.code)) {
        // Interrupted with its checkpoint saved: back to the queue for any worker.
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      if (exit.code === EXIT_RUN_BUSY) {
        // Another worker still trains this run (its job was taken over while it was alive): later.
        await job.moveToDelayed(Date.now() + o.lockMs, token);
        throw new DelayedError();
      }
      if (exit.code === EXIT_USER) throw new UnrecoverableError(childError(exit.stderr));
      const reason = childFailure(exit);
      o.log(`failed ${run.label}: ${reason}${attempt < attempts ? `; the queue retries it (attempt ${attempt} of ${attempts})` : `; that was its last attempt (${attempts})`}`);
      throw new Error(reason);
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
  worker.on('lockRenewalFailed', (ids) => {
    for (const id of ids) {
      const c = lost.get(id);
      if (!c || c.signal.aborted) continue;
      o.log(`lost the lock of job ${id} (Redis restarted, or the job went to another worker): stopping its training, the checkpoint saved`);
      toldLost.add(id);
      c.abort();
    }
  });
  return {
    worker,
    explained: (e) => [...toldLost].some((id) => e.message.includes(`for job ${id}`)),
    stop: async () => {
      stopping.abort();
      await worker.close();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
