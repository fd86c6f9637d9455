// Sweeps across machines on a BullMQ queue in Redis. `hrn sweep --queue` puts each unfinished run
// on the queue as a job whose id is the run id (so a run is queued once, however often the sweep
// is started) and follows the jobs until every one has completed or failed, writing results into
// the runs directory exactly as the local mode does. `hrn worker --queue` trains the jobs.
//
// A worker that dies (kill -9) stops renewing its job's lock; BullMQ's stalled-job check then puts
// the job back in the queue and another worker takes it, resuming from the run's checkpoint when
// the runs directory is shared. A training process that dies on its own (the OOM killer) fails an
// attempt, and the job is retried a bounded number of times. A run that fails on its configuration
// fails as an unrecoverable job, its message recorded; the queue goes on. A job that Redis lost
// (restarted without persistence) is put on the queue again: the sweep knows every run it expects.

import { Job, Queue, type JobsOptions } from 'bullmq';
import type { RunConfig } from './expand.js';
import type { RunEarlyStop } from './train-run.js';
import type { SweepOutcome } from './local.js';
import type { SweepProgress } from './progress.js';
import { ConnectionNotices } from './redis-check.js';
import { parseRedisUrl, redactRedisUrl, type RedisTarget } from './redis-url.js';
import type { RunError, RunResult, RunStore } from './store.js';
import { installInterruptHandler, type InterruptFlag } from '../train/interrupt.js';

export const DEFAULT_QUEUE_NAME = 'hrn-runs';

/** Attempts per run before it fails for good (a training process killed by the OOM killer, say). */
export const RUN_ATTEMPTS = 3;
/** The wait before the second attempt; it doubles for each further one. */
export const RETRY_DELAY_MS = 10_000;

/** What a job carries: the run, and the directory its checkpoint goes to (seen from the sweep's machine). */
export interface RunJobData {
  run: RunConfig;
  dir: string;
  /** The sweep's early-stopping rule, with its runs directory (where the other runs' accuracies are read). */
  earlyStop?: RunEarlyStop;
}

export interface QueueTarget extends RedisTarget {
  name: string;
}

/** The queue at `url` (redis:// or rediss://) named `name`. */
export function queueAt(url: string, name: string = DEFAULT_QUEUE_NAME): QueueTarget {
  return { ...parseRedisUrl(url), name };
}

export function runJobOptions(id: string): JobsOptions {
  return { jobId: id, attempts: RUN_ATTEMPTS, backoff: { type: 'exponential', delay: RETRY_DELAY_MS }, removeOnComplete: false, removeOnFail: false };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What Ctrl-C (or SIGTERM) while a sweep follows its queue says. Following is all this process does:
 * the jobs live in Redis and the workers train them, so stopping loses nothing.
 */
export const QUEUE_STOP_MESSAGE = 'sweep: stopped following the queue; its runs stay on it and the workers go on training them; run the same command again to resume following them';

/** Signals within this long of the first are one request to stop (see installTrainingInterrupt). */
const SAME_REQUEST_MS = 1000;

/**
 * How long a stopped sweep waits for its Redis connection to close before it lets go of it: with
 * Redis unreachable, BullMQ's close waits for a reconnection that may never come.
 */
const STOP_CLOSE_WAIT_MS = 1000;

/**
 * Queues the unfinished runs and waits for all of them, recording each result or error once. The
 * caller has reached Redis once (checkRedis), so that a dead queue stops the sweep with the reason
 * before the runs are checked and written. A first SIGINT or SIGTERM stops following within a
 * second, even while Redis is unreachable (a repeat within a second is the same request: a
 * terminal's Ctrl-C reaches the supervising parent too, which passes it on); the outcome is then
 * `interrupted`.
 */
export async function followQueue(runs: RunConfig[], store: RunStore, o: QueueTarget & { progress: SweepProgress; pollMs?: number; earlyStop?: RunEarlyStop }): Promise<SweepOutcome> {
  const out: SweepOutcome = { done: 0, failed: 0, skipped: 0, interrupted: false };
  const pending = new Map(runs.filter((r) => store.result(r.id) === undefined).map((r) => [r.id, r]));
  out.skipped = runs.length - pending.size;
  o.progress.begin(runs.length, out.skipped);
  const say = (line: string) => o.progress.note(line);
  const notices = new ConnectionNotices(o, say, 'sweep');
  const queue = new Queue<RunJobData, RunResult>(o.name, { connection: o.connection });
  queue.on('error', (e) => notices.error(e) || say(`sweep: Redis: ${redactRedisUrl(e.message)}`));
  let stop: () => void = () => {};
  const stopped = new Promise<void>((done) => (stop = done));
  const interrupt = installInterruptHandler({
    stream: o.progress.messageStream(),
    message: QUEUE_STOP_MESSAGE,
    graceMs: SAME_REQUEST_MS,
    onRequest: () => stop(),
  });
  try {
    const following = followJobs(queue, pending, store, out, { ...o, say, notices, interrupt });
    // Once stopped, a command still waiting on Redis fails when the connection closes, or is left
    // waiting: its answer no longer matters.
    following.catch(() => {});
    await Promise.race([following, stopped]);
    if (interrupt.requested && pending.size > 0) {
      out.interrupted = true;
      out.signal = interrupt.signal;
    }
  } finally {
    if (interrupt.requested) await Promise.race([queue.close().catch(() => {}), sleep(STOP_CLOSE_WAIT_MS)]);
    else await queue.close();
    interrupt.dispose();
  }
  return out;
}

/** The queue's side of followQueue: queues the runs, then polls each job until it ends (or a stop is asked for). */
async function followJobs(
  queue: Queue<RunJobData, RunResult>,
  pending: Map<string, RunConfig>,
  store: RunStore,
  out: SweepOutcome,
  o: QueueTarget & { progress: SweepProgress; pollMs?: number; earlyStop?: RunEarlyStop; say: (line: string) => void; notices: ConnectionNotices; interrupt: InterruptFlag },
): Promise<void> {
  const { say, interrupt } = o;
  const jobData = (r: RunConfig): RunJobData => ({ run: r, dir: store.runDir(r.id), ...(o.earlyStop ? { earlyStop: o.earlyStop } : {}) });
  await queue.waitUntilReady();
  (await queue.client).on('ready', () => o.notices.ready());
  // A run that failed earlier gets another try (all its attempts) when its sweep is started again.
  for (const r of pending.values()) {
    const job = await Job.fromId<RunJobData, RunResult>(queue, r.id);
    if (job && (await job.getState()) === 'failed') await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
  }
  await queue.addBulk([...pending.values()].map((r) => ({ name: r.label, data: jobData(r), opts: runJobOptions(r.id) })));
  say(`sweep: ${pending.size} run${pending.size === 1 ? '' : 's'} on the queue ${o.name} at ${o.display}; waiting for hrn worker processes`);
  const active = new Set<string>();
  const attemptsSeen = new Map<string, number>();
  // The epoch each running job's worker last reported (its training child's progress, over IPC).
  const epochShown = new Map<string, number>();
  const showEpoch = (run: RunConfig, p: unknown) => {
    const epoch = typeof p === 'object' && p !== null && 'epoch' in p && typeof p.epoch === 'number' ? p.epoch : undefined;
    if (epoch === undefined || epochShown.get(run.id) === epoch) return;
    epochShown.set(run.id, epoch);
    o.progress.epochElsewhere(run, epoch, run.train.epochs);
  };
  while (pending.size > 0 && !interrupt.requested) {
    for (const [id, run] of pending) {
      if (interrupt.requested) return;
      const job = await Job.fromId<RunJobData, RunResult>(queue, id);
      if (!job) {
        // Redis no longer holds the run (a restart without persistence, an eviction) and its
        // result is not on disk: without this the sweep would wait for it forever.
        await queue.add(run.label, jobData(run), runJobOptions(id));
        active.delete(id);
        attemptsSeen.delete(id);
        say(`sweep: ${run.label} was no longer on the queue (did Redis restart without persistence?); queued it again`);
        continue;
      }
      const state = await job.getState();
      if (state === 'completed') {
        store.writeResult(job.returnvalue);
        o.progress.finishedElsewhere(run, job.returnvalue);
        pending.delete(id);
        out.done++;
      } else if (state === 'failed') {
        const e: RunError = { id, label: run.label, error: job.failedReason, at: new Date(job.finishedOn ?? Date.now()).toISOString(), by: 'queue' };
        store.writeError(e);
        o.progress.failed(run, e.error);
        pending.delete(id);
        out.failed++;
      } else {
        if (job.attemptsMade > (attemptsSeen.get(id) ?? 0)) {
          attemptsSeen.set(id, job.attemptsMade);
          active.delete(id);
          say(`sweep: ${run.label}: attempt ${job.attemptsMade} of ${job.opts.attempts ?? 1} failed: ${job.failedReason}; it will be tried again`);
        }
        if (state === 'active' && !active.has(id)) {
          active.add(id);
          say(`started ${run.label}`);
        }
        if (state === 'active') showEpoch(run, job.progress);
      }
    }
    if (pending.size > 0) await sleep(o.pollMs ?? 500);
  }
}
