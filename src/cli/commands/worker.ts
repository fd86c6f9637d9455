// `hrn worker --queue redis://HOST:PORT`: trains the runs that `hrn sweep --queue` puts on the
// queue, until stopped. Start as many as there are GPUs, on any machines that reach the Redis
// server; see docs/experiments.md (Slurm job array, Kubernetes Deployment).

import { openDevice, type GpuContext } from '../../runtime/device.js';
import { installTrainingInterrupt } from '../../train/loop.js';
import { QUEUE_OPTIONS, queueTarget } from '../../sweep/queue.js';
import { startWorker } from '../../sweep/worker.js';
import { intOption, stringOption } from '../args.js';
import { processIo, type Command } from '../command.js';
import { EXIT_OK, UsageError } from '../errors.js';

export const worker: Command = {
  spec: {
    name: 'worker',
    summary: 'Train runs from a sweep queue (BullMQ on Redis) until stopped.',
    usage: 'hrn worker --queue redis://HOST:PORT [--runs DIR] [--lock-seconds S]',
    details: [
      "Each run's checkpoint goes to the runs directory the sweep named, or to --runs DIR/ID when this",
      'machine mounts it elsewhere. A worker killed mid-run loses no run: after --lock-seconds another',
      'worker takes it, from its last checkpoint when the directory is shared. Ctrl-C or SIGTERM: the',
      'current run saves a checkpoint and goes back to the queue, then the worker exits.',
    ].join('\n'),
    options: {
      ...QUEUE_OPTIONS,
      runs: { type: 'string', value: 'DIR', help: "where this machine sees the sweep's runs directory" },
      'lock-seconds': { type: 'string', value: 'S', help: "seconds without a sign of life before a worker's run is handed to another (default 60)" },
      adapter: { type: 'string', value: 'NAME', help: 'WebGPU adapter to use (default: the first one Dawn finds)' },
    },
    positionals: { min: 0, max: 0 },
  },
  async run(p, ctx) {
    const { io } = ctx;
    const target = queueTarget(p);
    if (!target) throw new UsageError('worker: --queue redis://HOST:PORT is required');
    const stream = ctx.io === processIo ? process.stderr : { write: (s: string) => (io.err(s.replace(/\n$/, '')), true), isTTY: false };
    const interrupt = installTrainingInterrupt({ stream, exit: () => {} });
    let gpu: Promise<GpuContext> | undefined;
    const w = startWorker({
      connection: target.connection,
      queueName: target.name,
      gpu: () => (gpu ??= openDevice({ adapter: stringOption(p, 'adapter') })),
      runsDir: stringOption(p, 'runs'),
      lockMs: 1000 * intOption(p, 'lock-seconds', 60),
      stream,
      interrupt,
      log: (l) => io.out(l),
    });
    w.on('error', (e) => io.err(`hrn worker: ${e.message}`));
    await w.waitUntilReady();
    io.out(`worker: waiting for runs on ${target.url} (queue ${target.name})`);
    const stop = new Promise<void>((done) => {
      const onSignal = () => done();
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
    });
    await stop;
    // The running job sees the interrupt (SIGINT reaches it through installTrainingInterrupt; SIGTERM does not).
    process.emit('SIGINT', 'SIGINT');
    await w.close();
    interrupt.dispose();
    if (gpu) (await gpu).close();
    io.out('worker: stopped');
    return EXIT_OK;
  },
};
