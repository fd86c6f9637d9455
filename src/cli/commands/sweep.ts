// `hrn sweep FILE [--sweep NAME]`: expands a sweep (a `sweep` block of FILE, or one described on the
// command line) into
// runs with stable ids, and trains them: locally by default, or through a Redis queue that
// `hrn worker` processes serve (--queue). Durable and resumable; see docs/experiments.md.

import { resolve } from 'node:path';
import { dataSpecHelp } from '../../data/spec.js';
import { openDevice } from '../../runtime/device.js';
import { installTrainingInterrupt } from '../../train/loop.js';
import { expandSweep, type RunConfig } from '../../sweep/expand.js';
import { runLocal, type SweepOutcome } from '../../sweep/local.js';
import { SweepProgress } from '../../sweep/progress.js';
import { followQueue } from '../../sweep/queue.js';
import { QUEUE_OPTIONS, queueTarget } from '../queue-options.js';
import { checkRedis } from '../../sweep/redis-check.js';
import { NO_PIPELINE, type SweepAxis, type SweepSpec } from '../../sweep/spec.js';
import { TRAIN_DEFAULTS, type TrainSettings } from '../../train/settings.js';
import { RunStore } from '../../sweep/store.js';
import { checkRunsCanTrain } from '../../sweep/preflight.js';
import { pickSweep, resolveSweep } from '../../sweep/from-source.js';
import { failOnErrors } from '../../driver.js';
import { parseSourceFile } from '../../source-file.js';
import { flag, intOption, listOption, numberOption, stringOption, type OptionSpec, type ParsedCommand } from '../args.js';
import { ADAPTER_OPTION, adapterChoice, progressStream, type Command, type Context } from '../command.js';
import { EXIT_OK, EXIT_USER, UsageError, UserError } from '../../errors.js';
import { againHint, exitStatusFor, installInterruptHandler } from '../../train/interrupt.js';
import { describeEarlyStop, parseEarlyStop } from '../../sweep/early-stop.js';
import { runParallel } from '../../sweep/parallel.js';
import { measureOf, type RunEarlyStop } from '../../sweep/train-run.js';
import { COMMAND_SUMMARIES } from '../summaries.js';
import { TRAINING_OPTIONS, valSplitOption } from '../train-options.js';
import { SEARCH_OPTIONS, searchOption } from '../search-options.js';

/** The most runs `--jobs` trains at once. */
export const MAX_JOBS = 64;

/** The options that describe a sweep (shared with `hrn criticality`). */
export const SWEEP_OPTIONS: Record<string, OptionSpec> = {
  ...TRAINING_OPTIONS,
  epochs: { ...TRAINING_OPTIONS.epochs, help: `epochs per run (default ${TRAIN_DEFAULTS.epochs})` },
  network: { type: 'string', multiple: true, value: 'NAME', help: 'networks of the file to use (repeatable; default all)' },
  out: { type: 'string', value: 'DIR', help: 'runs directory (default runs/SWEEP)' },
  'dry-run': { type: 'boolean', help: 'list the runs with their ReLU and FLOP counts; train nothing' },
  json: { type: 'boolean', help: 'with --dry-run: the runs as JSON' },
  ...ADAPTER_OPTION,
};

function seedsOption(p: ParsedCommand): number[] | undefined {
  const v = stringOption(p, 'seeds');
  if (v === undefined) return undefined;
  const seeds = v.split(',').map((s) => s.trim());
  if (seeds.some((s) => !/^\d+$/.test(s))) throw new UsageError(`--seeds: expected integers separated by commas, got '${v}'`);
  return seeds.map(Number);
}

function axisOption(text: string): SweepAxis {
  const eq = text.indexOf('=');
  if (eq <= 0 || eq === text.length - 1) throw new UsageError(`--grid: expected NAME=V1|V2|..., got '${text}'`);
  return { param: text.slice(0, eq).trim(), values: text.slice(eq + 1).split('|').map((v) => v.trim()) };
}

/** Training settings: the base (defaults or the sweep block's), with the command line's on top. */
export function trainOptions(p: ParsedCommand, base: TrainSettings, command = 'sweep'): TrainSettings {
  const fit = stringOption(p, 'fit') ?? base.fit;
  if (fit !== 'pad' && fit !== 'resize') throw new UsageError(`--fit must be pad or resize, got '${fit}'`);
  const t: TrainSettings = {
    epochs: intOption(p, 'epochs', base.epochs),
    batch: intOption(p, 'batch', base.batch),
    lr: numberOption(p, 'lr', base.lr),
    momentum: numberOption(p, 'momentum', base.momentum),
    weightDecay: numberOption(p, 'weight-decay', base.weightDecay),
    augment: flag(p, 'no-augment') ? false : base.augment,
    fit,
  };
  const subset = stringOption(p, 'subset') !== undefined ? intOption(p, 'subset', 1) : base.subset;
  const testSubset = stringOption(p, 'test-subset') !== undefined ? intOption(p, 'test-subset', 1) : base.testSubset;
  const valSplit = valSplitOption(p, command) ?? base.valSplit;
  if (subset !== undefined) t.subset = subset;
  if (testSubset !== undefined) t.testSubset = testSubset;
  if (valSplit !== undefined) t.valSplit = valSplit;
  if (!(t.lr > 0)) throw new UsageError('--lr must be positive');
  return t;
}

/** The sweep the command line describes, on top of a sweep block's (`base`) when there is one. */
export function sweepSpec(p: ParsedCommand, base?: SweepSpec): SweepSpec {
  const data = stringOption(p, 'data') ?? (base?.data || undefined);
  if (data === undefined) {
    const what = base ? `sweep ${base.name}: no data set; add data "KIND:DIR" to the block or give --data KIND:DIR` : 'sweep: --data KIND:DIR is required';
    throw new UsageError(`${what}; data sets:\n${dataSpecHelp()}`);
  }
  const pipelines = listOption(p, 'pipeline').map((x) => (x === NO_PIPELINE ? null : x));
  const axes = listOption(p, 'grid').map(axisOption);
  const networks = listOption(p, 'network');
  const allAxes = axes.length > 0 ? axes : (base?.axes ?? []);
  const search = searchOption(p, allAxes, base?.search);
  return {
    name: stringOption(p, 'name') ?? base?.name ?? 'sweep',
    file: p.positionals[0],
    networks: networks.length > 0 ? networks : (base?.networks ?? []),
    mode: flag(p, 'list') ? 'list' : axes.length > 0 || base === undefined ? 'grid' : base.mode,
    axes: allAxes,
    pipelines: pipelines.length > 0 ? pipelines : (base?.pipelines ?? [null]),
    seeds: seedsOption(p) ?? base?.seeds ?? [0],
    data,
    train: trainOptions(p, base?.train ?? TRAIN_DEFAULTS),
    ...(search ? { search } : {}),
  };
}

/**
 * The sweep to run: the block `--sweep NAME` of FILE, or the file's only block when the command
 * line gives no axes or draws (--grid, --list, --sample), with the command line's options on top;
 * else the sweep the command line describes.
 */
export function chosenSweep(p: ParsedCommand, sources: Map<string, string>): SweepSpec {
  const name = stringOption(p, 'sweep');
  if (name === undefined && (listOption(p, 'grid').length > 0 || listOption(p, 'sample').length > 0 || flag(p, 'list'))) return sweepSpec(p);
  const file = parseSourceFile(p.positionals[0], sources);
  if (name === undefined && file.sweeps.length === 0) return sweepSpec(p);
  const picked = pickSweep(file, name);
  if (!picked.decl) throw new UserError(picked.problem!);
  const r = resolveSweep(picked.decl, file, sources);
  failOnErrors(r.diagnostics);
  return sweepSpec(p, r.spec);
}

export function formatRunTable(runs: RunConfig[]): string {
  const rows = runs.map((r) => [r.id, r.label, r.counts.relus.toLocaleString('en-US'), `${(r.counts.flops / 1e6).toFixed(2)}M`, r.counts.params.toLocaleString('en-US')]);
  const head = ['id', 'run', 'ReLUs', 'FLOPs', 'params'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => (i >= 2 ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd();
  return [fmt(head), ...rows.map(fmt)].join('\n');
}

/** Trains a sweep's runs into --out: locally, or through --queue. */
/** `say`: where the device and summary lines go (stdout unless stdout carries other output). */
export async function executeSweep(spec: SweepSpec, runs: RunConfig[], p: ParsedCommand, ctx: Context, say: (line: string) => void = (l) => ctx.io.out(l)): Promise<{ outcome: SweepOutcome; store: RunStore }> {
  const { io } = ctx;
  const store = new RunStore(resolve(stringOption(p, 'out') ?? `runs/${spec.name}`));
  const queue = queueTarget(p);
  // Reaching Redis takes at most a few seconds and reads nothing; checking the runs reads every
  // data set. So a dead queue is told first, and neither failure leaves anything in --out.
  if (queue) await checkRedis(queue);
  // Every run still to train is checked before the first one trains (or is queued).
  const jobs = stringOption(p, 'jobs') === undefined ? 1 : intOption(p, 'jobs', 1);
  // Each job is a process with its own device and data in memory: a mistyped count must not start thousands.
  if (jobs > MAX_JOBS) throw new UsageError(`sweep: --jobs: at most ${MAX_JOBS} runs at once, got ${jobs}`);
  if (queue && jobs > 1) throw new UsageError('sweep: --jobs runs the sweep here; with --queue, start as many hrn worker processes as runs should train at once');
  const earlyStopText = stringOption(p, 'early-stop');
  const earlyStop: RunEarlyStop | undefined = earlyStopText === undefined ? undefined : { spec: parseEarlyStop(earlyStopText), runsDir: store.dir };
  // Runs directories made before ids showed the seed are continued, not trained again.
  store.adoptLegacyIds(runs);
  const todo = runs.filter((r) => store.result(r.id) === undefined);
  checkRunsCanTrain(todo, ctx.sources, queue ? 'nothing was queued' : 'nothing was trained');
  store.writeSweep(spec, runs);
  const stream = progressStream(io);
  const progress = new SweepProgress(stream);
  if (earlyStop && runs.length > 0) progress.note(describeEarlyStop(earlyStop.spec, measureOf(runs[0]), Math.max(...runs.map((r) => r.train.epochs))));
  let outcome: SweepOutcome;
  if (queue) {
    outcome = await followQueue(runs, store, { ...queue, progress, ...(earlyStop ? { earlyStop } : {}) });
  } else if (jobs > 1) {
    const { adapter, requireGpu } = adapterChoice(p);
    const stop = new AbortController();
    const interrupt = installInterruptHandler({
      graceMs: 1000,
      stream: progress.messageStream(),
      message: (s) => `${s}: stopping; each running job saves a checkpoint, and no new run starts (${againHint(s)} to quit at once)`,
      onRequest: () => stop.abort(),
    });
    try {
      say(`jobs: ${jobs} runs at once, each in its own process`);
      outcome = await runParallel(runs, store, { jobs, progress, interrupt, stop: stop.signal, childArgs: [...(adapter ? ['--adapter', adapter] : []), ...(requireGpu ? ['--require-gpu'] : [])], ...(earlyStop ? { earlyStop } : {}) });
    } finally {
      interrupt.dispose();
    }
  } else {
    const gpu = await openDevice(adapterChoice(p));
    const interrupt = installTrainingInterrupt({ stream: progress.messageStream() });
    try {
      say(`device: ${gpu.adapterInfo}`);
      outcome = await runLocal(runs, store, { gpu, progress, interrupt, ...(earlyStop ? { earlyStop } : {}) });
    } finally {
      interrupt.dispose();
      gpu.close();
    }
  }
  say(`${outcome.interrupted ? 'stopped' : 'done'}: ${outcome.done} trained, ${outcome.skipped} already finished, ${outcome.failed} failed, of ${runs.length}; results in ${store.dir}`);
  return { outcome, store };
}

export const sweep: Command = {
  spec: {
    name: 'sweep',
    summary: COMMAND_SUMMARIES.sweep,
    usage: 'hrn sweep FILE [--sweep NAME] [--grid NAME=V1|V2]... [--trials N --sample NAME=DIST...] [--pipeline P]... [--seeds 0,1] [--data KIND:DIR] [--out DIR] [--jobs N] [--early-stop RULE] [--dry-run] [--queue redis://HOST:PORT]',
    details: [
      'A sweep is a `sweep NAME { ... }` block of FILE (--sweep NAME; the only block of the file is',
      'used when no --grid or --list is given), or is described by the options below; options given',
      'with a block replace its settings.',
      '',
      'The runs: every network of FILE (or --network) x the --grid values x --pipeline x --seeds; with',
      '--trials N, N draws of the --sample distributions (and of the --grid values) instead of every',
      'combination (docs/experiments.md, "Random search"). Each',
      'run gets an id from its exact configuration and a directory OUT/ID with its checkpoint, log and',
      'result.json. Run the same command again to resume: finished runs are skipped, a run that was',
      'cut off continues from its checkpoint.',
      '',
      'Data sets (--data):',
      dataSpecHelp(),
    ].join('\n'),
    options: {
      sweep: { type: 'string', value: 'NAME', help: 'the sweep block of FILE to run (default: its only one)' },
      name: { type: 'string', value: 'NAME', help: "the sweep's name (default: the block's, else sweep)" },
      grid: { type: 'string', multiple: true, value: 'NAME=V1|V2', help: 'vary a param over values, each as --set takes it (repeatable)' },
      list: { type: 'boolean', help: 'take the --grid values in step (i-th with i-th) instead of every combination' },
      pipeline: { type: 'string', multiple: true, value: 'P', help: "a pipeline per variant (repeatable; 'none' trains the network as declared)" },
      seeds: { type: 'string', value: 'S,S,...', help: 'seeds (default 0)' },
      ...SEARCH_OPTIONS,
      jobs: { type: 'string', value: 'N', help: 'train N runs at once, each in its own process (default 1)' },
      'early-stop': { type: 'string', value: 'RULE', help: "stop runs behind the others at an epoch: 'median[:WARMUP]' or 'asha[:ETA[,MIN_EPOCHS]]'" },
      ...SWEEP_OPTIONS,
      ...QUEUE_OPTIONS,
    },
    positionals: { min: 1, max: 1 },
  },
  async run(p, ctx) {
    const { io } = ctx;
    const spec = chosenSweep(p, ctx.sources);
    const runs = expandSweep(spec, ctx.sources);
    if (flag(p, 'dry-run')) {
      io.out(flag(p, 'json') ? JSON.stringify(runs, null, 2) : `${formatRunTable(runs)}\n${runs.length} run${runs.length === 1 ? '' : 's'}`);
      return EXIT_OK;
    }
    const { outcome } = await executeSweep(spec, runs, p, ctx);
    if (outcome.interrupted) return exitStatusFor(outcome.signal);
    return outcome.failed > 0 ? EXIT_USER : EXIT_OK;
  },
};
