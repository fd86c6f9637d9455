// `hrn worker --queue redis://HOST:PORT`: trains the runs that `hrn sweep --queue` puts on the
// queue, until stopped. Start as many as there are GPUs, on any machines that reach the Redis
// server; see docs/experiments.md (Slurm job array, Kubernetes Deployment).

import { readFileSync } from 'node:fs';
import { openDevice } from '../../runtime/device.js';
import { installTrainingInterrupt } from '../../train/loop.js';
import { againHint, EXIT_ON_SIGNAL, exitStatusFor, installInterruptHandler, type InterruptFlag } from '../../train/interrupt.js';
import { TrainProgress } from '../../train/progress.js';
import { QUEUE_OPTIONS, queueTarget } from '../queue-options.js';
import { checkRedis, ConnectionNotices } from '../../sweep/redis-check.js';
import { redactRedisUrl } from '../../sweep/redis-url.js';
import { writeText } from '../../report/write.js';
import { RunBusyError, trainRun } from '../../sweep/train-run.js';
import { EXIT_RUN_BUSY, startWorker, type TrainRunRequest } from '../../sweep/worker.js';
import { intOption, stringOption, type ParsedCommand } from '../args.js';
import { ADAPTER_OPTION, adapterChoice, progressStream, type Command, type Context } from '../command.js';
import { EXIT_OK, UsageError } from '../../errors.js';
import { COMMAND_SUMMARIES } from '../summaries.js';

/** A TrainProgress that also tells the parent worker the epoch and batch (IPC). */
class ReportingProgress extends TrainProgress {
  private epochNow = 0;
  override startEpoch(epoch: number, batches: number): void {
    super.startEpoch(epoch, batches);
    this.epochNow = epoch;
    process.send?.({ epoch, batch: 0, batches });
  }
  override update(batchesDone: number, images: number, loss: number, lr: number): void {
    super.update(batchesDone, images, loss, lr);
    process.send?.({ epoch: this.epochNow, batch: batchesDone, loss });
  }
}

/** The child side: train one run, write its result, exit (0 done; 130 or 143: stopped by SIGINT or SIGTERM, saved). */
async function trainOne(requestPath: string, p: ParsedCommand): Promise<number> {
  const req = JSON.parse(readFileSync(requestPath, 'utf8')) as TrainRunRequest;
  // The parent is gone (killed): stop at once; the run's last checkpoint is where the next worker starts.
  process.on('disconnect', () => process.exit(EXIT_ON_SIGNAL.SIGINT));
  const interrupt = installTrainingInterrupt({ exit: () => {} });
  const gpu = await openDevice(adapterChoice(p));
  try {
    const progress = new ReportingProgress({ epochs: req.job.run.train.epochs, stream: process.stderr });
    let result;
    try {
      result = await trainRun(req.job.run, {
        gpu,
        dir: req.dir,
        progress,
        interrupt,
        note: (l) => process.stderr.write(`${l}\n`),
        continueHint: req.continueHint ?? 'the run goes back on the queue',
        ...(req.job.earlyStop ? { earlyStop: req.job.earlyStop } : {}),
      });
    } catch (e) {
      if (!(e instanceof RunBusyError)) throw e;
      process.stderr.write(`hrn worker: ${e.message}; the run goes back to the queue\n`);
      return EXIT_RUN_BUSY;
    }
    if (!result) return exitStatusFor(interrupt.signal);
    writeText(req.resultPath, JSON.stringify(result));
    return EXIT_OK;
  } finally {
    interrupt.dispose();
    gpu.close();
  }
}

export const worker: Command = {
  spec: {
    name: 'worker',
    summary: COMMAND_SUMMARIES.worker,
    usage: 'hrn worker --queue redis[s]://[:PASSWORD@]HOST:PORT[/DB] [--runs DIR] [--lock-seconds S]',
    details: [
      "Each run's checkpoint goes to the runs directory the sweep named, or to --runs DIR/ID when this",
      'machine mounts it elsewhere. A worker killed mid-run loses no run: after --lock-seconds another',
      'worker takes it, from its last checkpoint when the directory is shared. Ctrl-C or SIGTERM: the',
      'current run saves a checkpoint and goes back to the queue, then the worker exits. A training',
      'process that dies (the OOM killer) fails one attempt; the run is tried again, 3 attempts in all.',
      'Redis that cannot be reached at the start is an error; a connection lost later is retried.',
    ].join('\n'),
    options: {
      ...QUEUE_OPTIONS,
      runs: { type: 'string', value: 'DIR', help: "where this machine sees the sweep's runs directory" },
      'lock-seconds': { type: 'string', value: 'S', help: "seconds without a sign of life before a worker's run is handed to another (default 30)" },
      ...ADAPTER_OPTION,
      'train-run': { type: 'string', value: 'REQUEST', help: '(internal) train the one run described in REQUEST, as the child of a worker' },
    },
    positionals: { min: 0, max: 0 },
  },
  async run(p, ctx: Context) {
    const { io } = ctx;
    const request = stringOption(p, 'train-run');
    if (request !== undefined) return trainOne(request, p);
    const target = queueTarget(p);
    if (!target) throw new UsageError('worker: --queue redis://HOST:PORT is required');
    const { adapter, requireGpu } = adapterChoice(p);
    // Each run opens the device in a child; a device these options refuse is refused here, once,
    // rather than run after run, each failing an attempt of a run from the queue.
    if (adapter !== undefined || requireGpu) (await openDevice({ adapter, requireGpu })).close();
    // Fail now, with the reason, rather than retry forever against a dead port or a wrong password.
    await checkRedis(target);
    const { worker: w, stop, explained } = startWorker({
      connection: target.connection,
      queueName: target.name,
      runsDir: stringOption(p, 'runs'),
      lockMs: 1000 * intOption(p, 'lock-seconds', 30),
      childArgs: [...(adapter ? ['--adapter', adapter] : []), ...(requireGpu ? ['--require-gpu'] : [])],
      log: (l) => io.out(l),
      childOutput: (chunk) => void progressStream(io).write(chunk),
    });
    // Once running, a lost connection is retried (Redis may be restarting): said once, not at every retry.
    const notices = new ConnectionNotices(target, (l) => io.err(l), 'hrn worker');
    w.on('error', (e) => explained(e) || notices.error(e) || io.err(`hrn worker: ${redactRedisUrl(e.message)}`));
    // From the start: a stop request while connecting counts too. A repeat within the grace period
    // is the same request (a terminal's Ctrl-C also arrives passed on by the supervisor); a later
    // one quits at once, and the training child, seeing its parent gone, stops with it.
    let interrupt: InterruptFlag | undefined;
    const stopRequested = new Promise<void>((done) => {
      interrupt = installInterruptHandler({
        graceMs: 1000,
        stream: progressStream(io),
        message: (s) => `${s}: stopping; the current run saves a checkpoint and goes back to the queue (${againHint(s)} to quit at once)`,
        onRequest: () => done(),
      });
    });
    try {
      await Promise.race([w.waitUntilReady(), stopRequested]);
      if (!interrupt?.requested) {
        (await w.client).on('ready', () => notices.ready());
        io.out(`worker: waiting for runs on ${target.display} (queue ${target.name})`);
        await stopRequested;
      }
      await stop();
    } finally {
      interrupt?.dispose();
    }
    io.out('worker: stopped');
    return EXIT_OK;
  },
};
