// Sweeps across machines on a BullMQ queue in Redis. `hrn sweep --queue` puts each unfinished run
// on the queue as a job whose id is the run id (so a run is queued once, however often the sweep
// is started) and follows the jobs until every one has completed or failed, writing results into
// the runs directory exactly as the local mode does. `hrn worker --queue` trains the jobs.
//
// A worker that dies (kill -9) stops renewing its job's lock; BullMQ's stalled-job check then puts
// the job back in the queue and another worker takes it, resuming from the run's checkpoint when
// the runs directory is shared. A run that fails on its configuration fails as an unrecoverable
// job, its message recorded; the queue goes on.

import { Job, Queue, type ConnectionOptions } from 'bullmq';
import { stringOption, type OptionSpec, type ParsedCommand } from '../cli/args.js';
import { UsageError } from '../cli/errors.js';
import type { RunConfig } from './expand.js';
import type { SweepOutcome } from './local.js';
import type { SweepProgress } from './progress.js';
import type { RunError, RunResult, RunStore } from './store.js';

export const DEFAULT_QUEUE_NAME = 'hrn-runs';

export const QUEUE_OPTIONS: Record<string, OptionSpec> = {
  queue: { type: 'string', value: 'redis://HOST:PORT', help: 'use a BullMQ queue in this Redis instead of training here' },
  'queue-name': { type: 'string', value: 'NAME', help: `the queue's name (default ${DEFAULT_QUEUE_NAME})` },
};

/** What a job carries: the run, and the directory its checkpoint goes to (seen from the sweep's machine). */
export interface RunJobData {
  run: RunConfig;
  dir: string;
}

export interface QueueTarget {
  connection: ConnectionOptions;
  name: string;
  url: string;
}

export function parseRedisUrl(url: string): ConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--queue: expected redis://HOST:PORT, got '${url}'`);
  }
  if (u.protocol !== 'redis:' || u.hostname === '') throw new UsageError(`--queue: expected redis://HOST:PORT, got '${url}'`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined;
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(db !== undefined && Number.isInteger(db) ? { db } : {}),
    // Workers block on the queue; ioredis must not give up on their commands.
    maxRetriesPerRequest: null,
  };
}

export function queueTarget(p: ParsedCommand): QueueTarget | undefined {
  const url = stringOption(p, 'queue');
  if (url === undefined) return undefined;
  return { connection: parseRedisUrl(url), name: stringOption(p, 'queue-name') ?? DEFAULT_QUEUE_NAME, url };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Queues the unfinished runs and waits for all of them, recording each result or error once. */
export async function followQueue(runs: RunConfig[], store: RunStore, o: QueueTarget & { progress: SweepProgress; pollMs?: number }): Promise<SweepOutcome> {
  const out: SweepOutcome = { done: 0, failed: 0, skipped: 0, interrupted: false };
  const pending = new Map(runs.filter((r) => store.result(r.id) === undefined).map((r) => [r.id, r]));
  out.skipped = runs.length - pending.size;
  o.progress.begin(runs.length, out.skipped);
  const queue = new Queue<RunJobData, RunResult>(o.name, { connection: o.connection });
  try {
    await queue.waitUntilReady();
    // A run that failed earlier gets another try when its sweep is started again.
    for (const r of pending.values()) {
      const job = await Job.fromId<RunJobData, RunResult>(queue, r.id);
      if (job && (await job.getState()) === 'failed') await job.retry('failed');
    }
    await queue.addBulk(
      [...pending.values()].map((r) => ({ name: r.label, data: { run: r, dir: store.runDir(r.id) }, opts: { jobId: r.id, attempts: 1, removeOnComplete: false, removeOnFail: false } })),
    );
    const active = new Set<string>();
    while (pending.size > 0) {
      for (const [id, run] of pending) {
        const job = await Job.fromId<RunJobData, RunResult>(queue, id);
        if (!job) continue;
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
        } else if (state === 'active' && !active.has(id)) {
          active.add(id);
          o.progress.note(`started ${run.label}`);
        }
      }
      if (pending.size > 0) await sleep(o.pollMs ?? 500);
    }
  } finally {
    await queue.close();
  }
  return out;
}
