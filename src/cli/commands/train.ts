// `hrn train FILE --data KIND:DIR ...`: trains one network of a .hrn file on the GPU (WebGPU; on
// machines without a GPU, Mesa lavapipe) with SGD + momentum and a cosine schedule, optionally
// distilling from a teacher checkpoint (Hinton KD or DKD). Progress bar per epoch, test accuracy
// after each epoch, a JSON-lines log and atomic checkpoints in --out (each epoch, and on the first
// Ctrl-C), --resume to continue. See docs/training.md.

import { join, resolve } from 'node:path';
import { dataSpecHelp } from '../../data/spec.js';
import type { ArchIR } from '../../ir/arch.js';
import { countGraph } from '../../ir/count.js';
import type { LayerGraph } from '../../ir/graph.js';
import { lowerNetwork } from '../../driver.js';
import { CheckpointError, networkHash } from '../../train/checkpoint.js';
import { exitStatusFor } from '../../train/interrupt.js';
import { ResumeMismatchError } from '../../train/resume.js';
import { loopSettings } from '../../train/settings.js';
import { checkResume, RUN_METRICS_CSV, TrainingDivergedError, type TrainLoopResult } from '../../train/loop.js';
import { loadTeacher } from '../../sweep/teacher.js';
import { dkdWarmupWarning, KD_OPTIONS, lossOption } from '../kd-options.js';
import { flag, intOption, listOption, stringOption, type ParsedCommand } from '../args.js';
import { ADAPTER_OPTION, adapterChoice, progressStream, SOURCE_OPTIONS, type Command, type Context } from '../command.js';
import { checkBatchesFit, trainingBatches } from '../device-fit.js';
import { EXIT_OK, UserError } from '../../errors.js';
import { loadNetworks } from '../../source-file.js';
import { applyPipelineOption, DEBUG_OPTIONS, debugObserverFor, PIPELINE_OPTION } from '../pipeline.js';
import { deviceProfile, profileOption, profileOptionSpec } from '../profile-option.js';
import { profileText } from '../../codegen/schedule/describe.js';
import { TUNE_CACHE_OPTION, tunedForDevice, tunedText, type TunedLookup } from '../tune-cache-option.js';
import { displayPath } from '../format.js';
import { SNL_OPTIONS, snlScheduleOption } from '../snl-options.js';
import { openTrainingData } from '../../train/training-data.js';
import { prepareRunDir, recordedRunSettings, trainSettings, type TrainCommandSettings } from '../train-settings.js';
import { COMMAND_SUMMARIES } from '../summaries.js';
import { TRAINING_OPTIONS } from '../train-options.js';
import { JSON_OPTION, jsonObject, wantsJson } from '../json.js';

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

function fmtSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${Math.round(s - 60 * m).toString().padStart(2, '0')}s` : `${Math.floor(m / 60)}h${(m % 60).toString().padStart(2, '0')}m`;
}

export const train: Command = {
  spec: {
    name: 'train',
    summary: COMMAND_SUMMARIES.train,
    usage: 'hrn train FILE --data KIND:DIR [--pipeline P] [--epochs E] [--batch B] [--lr LR] [--seed S] [--out DIR] [--resume] [--teacher CKPT --kd hinton|dkd] [--subset N] [--profile cpu|gpu] [--no-tune-cache] [--debug[=json|=diff]] [--debug-only PASS] [--json]',
    details: [
      'Data sets (--data):',
      dataSpecHelp(),
      '',
      'Everything stays on the GPU: one command buffer per step (forward with batch statistics, loss,',
      'backward, SGD update); the loss is read back every --log-every steps. After each epoch the test',
      'split is evaluated (batch norm folded, the inference kernels) and a checkpoint is written',
      'atomically to OUT/checkpoint; OUT/train.jsonl is the log. Ctrl-C or SIGTERM once: finish the step,',
      'save, stop with status 130 (SIGINT) or 143 (SIGTERM), resume with --resume; twice: quit at once.',
      'The last partial batch of an epoch is dropped.',
      '--debug prints the IR after every pass: the --pipeline passes, then the training passes (fuse,',
      'params, values, forward, loss, backward, update, allocate) when the training step is compiled,',
      "with each dispatch's kernel schedule and where it came from.",
      'Kernels are shaped by the schedule profile chosen for the device (docs/runtime.md, "Schedules"):',
      'cpu on a CPU driver such as lavapipe, gpu on a GPU; --profile overrides it. A kernel whose signature',
      'hrn tune measured on the device takes the tuned schedule instead (--no-tune-cache: the profile\'s). A',
      'run may resume under another profile or schedules (the arithmetic order differs, not what is computed).',
    ].join('\n'),
    options: {
      ...SOURCE_OPTIONS,
      ...PIPELINE_OPTION,
      ...TRAINING_OPTIONS,
      'min-lr': { type: 'string', value: 'LR', help: 'final learning rate (default 0)' },
      'warmup-epochs': { type: 'string', value: 'E', help: 'linear warm-up before the cosine (default 0)' },
      nesterov: { type: 'boolean', help: 'Nesterov momentum' },
      seed: { type: 'string', value: 'S', help: 'seed of the initial weights and the data order (default 0)' },
      out: { type: 'string', value: 'DIR', help: 'checkpoint and log directory (default runs/NETWORK)' },
      resume: { type: 'boolean', help: "continue the run in --out; options left out take the run's values, and other data, batch, seed, lr or loss are refused" },
      force: { type: 'boolean', help: 'start over in an --out that holds a run (its checkpoint is replaced at the first save), or train into a directory of other files (left alone)' },
      ...KD_OPTIONS,
      ...SNL_OPTIONS,
      'eval-batch': { type: 'string', value: 'N', help: 'images per evaluation batch (default 250)' },
      'log-every': { type: 'string', value: 'N', help: 'steps between loss read-backs (default 10)' },
      ...ADAPTER_OPTION,
      ...profileOptionSpec("default: the device's (cpu on a CPU driver such as lavapipe, else gpu)"),
      ...TUNE_CACHE_OPTION,
      ...DEBUG_OPTIONS,
      ...JSON_OPTION,
    },
    positionals: { min: 1, max: 1 },
  },
  async run(p, ctx) {
    const resume = flag(p, 'resume');
    profileOption(p, 'train');
    // Usage errors first, before anything is read; on --resume the checkpoint supplies the rest.
    if (!resume) trainSettings(p);
    const file = p.positionals[0];
    const set = listOption(p, 'set');
    const loaded = loadNetworks(file, ctx.sources, { set, network: stringOption(p, 'network') });
    const observer = debugObserverFor(p, ctx);
    const nets = applyPipelineOption(loaded, p, ctx, observer);
    if (nets.length !== 1) {
      throw new UserError(`train needs one network; ${file}${stringOption(p, 'pipeline') ? ' with this --pipeline' : ''} gives ${nets.length} (${nets.map((n) => n.name).join(', ')}): pick one with --network`);
    }
    const net = nets[0];
    const graph: LayerGraph = lowerNetwork(net);
    const network = { name: net.name, hash: networkHash(graph) };
    const out = resolve(stringOption(p, 'out') ?? `runs/${net.name}`);
    const lock = prepareRunDir(out, resume, flag(p, 'force'), say(p, ctx));
    try {
      const settings = trainSettings(p, resume ? recordedRunSettings(out) : undefined);
      return await trainInto(out, settings, { p, ctx, file, set, net, graph, network, observer });
    } finally {
      lock.release();
    }
  },
};

interface Network {
  p: ParsedCommand;
  ctx: Context;
  file: string;
  set: string[];
  net: ArchIR;
  graph: LayerGraph;
  network: { name: string; hash: string };
  observer: ReturnType<typeof debugObserverFor>;
}

/** Where the command's lines go: stdout, unless it carries the --json document. */
function say(p: ParsedCommand, { io }: Context): (line: string) => void {
  return wantsJson(p) ? (line) => io.err(line) : (line) => io.out(line);
}

/** Trains `net` into `out` (locked and checked) with `settings`; the command's exit status. */
async function trainInto(out: string, settings: TrainCommandSettings, { p, ctx, file, set, net, graph, network, observer }: Network): Promise<number> {
  const { io } = ctx;
  const line = say(p, ctx);
  const resume = flag(p, 'resume');
  const { epochs, batch, lr } = settings;
  // A usage error, so checked before the device and the data are opened.
  const snl = snlScheduleOption(p, net, epochs, settings.recordedSnl);
  const dataText = settings.data;
  const teacherDir = stringOption(p, 'teacher');
  const loss = lossOption(p, !!teacherDir, 'train');
  const warmup = dkdWarmupWarning(loss, epochs);
  if (warmup) io.err(`hrn train: warning: ${warmup}`);
  const teacher = teacherDir ? loadTeacher(teacherDir, stringOption(p, 'teacher-file'), ctx.sources) : undefined;
  const profile = profileOption(p, 'train');

  // Loaded only now: WebGPU and the training runtime are start-up time the other commands skip.
  const [{ openDevice }, { installTrainingInterrupt, RUN_CHECKPOINT, RUN_LOG, trainLoop }, { TrainProgress }] = await Promise.all([
    import('../../runtime/device.js'),
    import('../../train/loop.js'),
    import('../../train/progress.js'),
  ]);
  // The device first: its limits say whether the batches fit, in milliseconds, before the data
  // set is read (seconds) and before --eval-batch is first used (after a whole epoch).
  const gpu = await openDevice(adapterChoice(p));
  const adapter = gpu.adapterInfo;
  let result: TrainLoopResult;
  let interrupt: ReturnType<typeof installTrainingInterrupt> | undefined;
  let started = 0;
  let tuned: TunedLookup = {};
  try {
    const evalBatch = intOption(p, 'eval-batch', 250);
    tuned = tunedForDevice(p, ctx, 'train', gpu);
    await checkBatchesFit(trainingBatches({ graph, batch, evalBatch, loss, teacher: teacher?.graph }), gpu, profile, tuned.tuned);
    const { data, train: trainLoader, val } = openTrainingData(dataText, net, settings, { evalBatch, batchHint: '; use a smaller --batch' });
    // Before training an snl network counts what its budget will keep.
    const relus = snl ? Math.min(snl.budget, countGraph(graph).total.relus) : countGraph(graph).total.relus;
    const common = {
      graph,
      network,
      train: trainLoader,
      test: data.test,
      val,
      ...loopSettings(dataText, settings),
      loss,
      teacher,
      outDir: out,
      resume,
      logEvery: intOption(p, 'log-every', 10),
      ...(snl ? { snl } : {}),
      note: line,
      observer,
      profile,
      tuned: tuned.tuned,
      extra: {
        source: resolve(file),
        set,
        network: net.name,
        pipeline: stringOption(p, 'pipeline'),
        data: data.spec.text,
        normalization: data.normalization,
        classNames: data.classNames,
        relus,
        argv: process.argv.slice(2),
      },
    };
    // A resume that would not continue the run is refused before anything else happens.
    if (resume) userErrors(() => checkResume(common));
    line(
      `${net.name}: ${snl ? 'at most ' : ''}${relus.toLocaleString('en-US')} ReLUs, ${trainLoader.count.toLocaleString('en-US')} training images (${data.spec.text})` +
        (val ? `, ${val.count.toLocaleString('en-US')} held out for validation` : '') +
        ', ' +
        `${epochs} epoch${epochs === 1 ? '' : 's'} of ${Math.floor(trainLoader.count / batch)} steps at batch ${batch}, lr ${lr} cosine` +
        (teacher ? `, ${loss.kind} distillation from ${teacher.name}` : ''),
    );
    const stream = progressStream(io);
    const progress = new TrainProgress({ epochs, stream });
    interrupt = installTrainingInterrupt({ stream });
    line(`device: ${gpu.adapterInfo}; kernel schedules: ${profileText(deviceProfile(profile, gpu))}${tunedText(tuned)}`);
    started = performance.now();
    result = await userErrors(() => trainLoop({ ...common, ctx: gpu, progress, interrupt }));
  } finally {
    interrupt?.dispose();
    gpu.close();
  }
  const wall = (performance.now() - started) / 1000;
  line(summaryLine(result, wall));
  const files = { checkpoint: join(out, RUN_CHECKPOINT), log: join(out, RUN_LOG), metrics: join(out, RUN_METRICS_CSV) };
  line(`wrote: checkpoint ${displayPath(files.checkpoint)}, log ${displayPath(files.log)}, per-epoch metrics ${displayPath(files.metrics)}`);
  if (wantsJson(p)) io.out(jsonObject('train', { network: net.name, out, ...summaryFields(result, wall, adapter), files }));
  // A run stopped by a signal ends cleanly (checkpoint saved) with the shell's status for that signal.
  return result.interrupted ? exitStatusFor(interrupt?.signal) : EXIT_OK;
}

/** `f`'s result; the training errors a user causes (a checkpoint, a resume, divergence) become UserErrors. */
function userErrors<T>(f: () => T): T {
  try {
    const r = f();
    // A promise's rejection is mapped too.
    return (r instanceof Promise ? r.catch(rethrowAsUserError) : r) as T;
  } catch (e) {
    return rethrowAsUserError(e);
  }
}

function rethrowAsUserError(e: unknown): never {
  if (e instanceof CheckpointError || e instanceof TrainingDivergedError || e instanceof ResumeMismatchError) throw new UserError(e.message);
  throw e;
}

/** The --json document's account of the run: what summaryLine says, and each epoch's metrics. */
function summaryFields(result: TrainLoopResult, wall: number, adapter: string) {
  const last = result.history[result.history.length - 1];
  const accuracy = (key: string) => (last && typeof last[key] === 'number' ? last[key] : null);
  return {
    adapter,
    interrupted: result.interrupted,
    epochs: result.epochs,
    steps: result.step,
    testAccuracy: accuracy('testAccuracy'),
    valAccuracy: accuracy('valAccuracy'),
    trainAccuracy: accuracy('trainAccuracy'),
    trainSeconds: result.trainSeconds,
    imagesPerSecond: result.imagesPerSecond,
    wallSeconds: wall,
    history: result.history,
  };
}

/** The closing line: epochs, the last test accuracy, speed and wall time. */
function summaryLine(result: TrainLoopResult, wall: number): string {
  const last = result.history[result.history.length - 1];
  return [
    `${result.interrupted ? 'stopped' : 'done'}: ${result.epochs} epoch${result.epochs === 1 ? '' : 's'}`,
    last && typeof last.valAccuracy === 'number' ? `validation accuracy ${pct(last.valAccuracy)}` : undefined,
    last && typeof last.testAccuracy === 'number' ? `test accuracy ${pct(last.testAccuracy)}` : undefined,
    `${Math.round(result.imagesPerSecond)} images/s training`,
    `wall ${fmtSeconds(wall)}`,
  ]
    .filter((x) => x)
    .join(', ');
}
