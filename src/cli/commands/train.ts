// `hrn train FILE --data KIND:DIR ...`: trains one network of a .hrn file on the GPU (WebGPU; on
// machines without a GPU, Mesa lavapipe) with SGD + momentum and a cosine schedule, optionally
// distilling from a teacher checkpoint (Hinton KD or DKD). Progress bar per epoch, test accuracy
// after each epoch, a JSON-lines log and atomic checkpoints in --out (each epoch, and on the first
// Ctrl-C), --resume to continue. See docs/training.md.

import { join, resolve } from 'node:path';
import { DataError } from '../../data/errors.js';
import { openData, type DataPipeline } from '../../data/pipeline.js';
import { dataSpecHelp } from '../../data/spec.js';
import type { ArchIR } from '../../ir/arch.js';
import { countGraph } from '../../ir/count.js';
import type { LayerGraph } from '../../ir/graph.js';
import { lowerNetwork, runPipelineText } from '../../driver.js';
import { SGD_DEFAULTS, type LossSpec } from '../../codegen/kernels/index.js';
import { openDevice } from '../../runtime/device.js';
import { CheckpointError, loadCheckpoint, networkHash } from '../../train/checkpoint.js';
import { DKD_DEFAULTS, KD_DEFAULTS } from '../../train/losses.js';
import { checkpointOfRun, installTrainingInterrupt, RUN_CHECKPOINT, RUN_LOG, RUN_METRICS_CSV, trainLoop, TrainingDivergedError, type TrainLoopResult } from '../../train/loop.js';
import { TrainProgress } from '../../train/progress.js';
import { checkWeights } from '../../weights/weights.js';
import type { TeacherSource } from '../../runtime/trainer.js';
import { flag, intOption, listOption, numberOption, stringOption, type ParsedCommand } from '../args.js';
import type { NetworkRecord } from '../weights-network.js';
import { ADAPTER_OPTION, processIo, SOURCE_OPTIONS, type Command, type Context } from '../command.js';
import { checkBatchesFit, trainingBatches } from '../device-fit.js';
import { EXIT_OK, UsageError, UserError } from '../errors.js';
import { loadNetworks } from '../load.js';
import { applyPipelineOption, DEBUG_OPTIONS, debugObserverFor, PIPELINE_OPTION } from '../pipeline.js';
import { displayPath } from '../format.js';
import { dirEntries, ensureDir, OutputDirError } from '../../util/output-dir.js';
import { COMMAND_SUMMARIES } from '../summaries.js';
import { TRAINING_OPTIONS } from '../train-options.js';
import { TRAIN_DEFAULTS } from '../../sweep/spec.js';

/**
 * --out must be new or empty unless the run in it is continued (--resume) or replaced (--force):
 * starting over by accident would mix two runs in one log and replace a checkpoint.
 */
function prepareRunDir(out: string, resume: boolean, force: boolean): void {
  if (resume && force) throw new UsageError('train: --resume continues the run in --out and --force starts over; give one');
  try {
    ensureDir(out);
  } catch (e) {
    if (e instanceof OutputDirError) throw new UserError(`--out ${e.message}`);
    throw e;
  }
  if (resume || force) return;
  const held = dirEntries(out).filter((n) => n === RUN_CHECKPOINT || n === RUN_LOG || n.startsWith(`${RUN_CHECKPOINT}.`));
  if (held.length > 0) {
    throw new UserError(`--out ${out} already holds a training run (${held.join(', ')}); continue it with --resume, or start over with --force`);
  }
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** Exit status after a Ctrl-C that saved a checkpoint (128 + SIGINT, as shells report it). */
export const EXIT_INTERRUPTED = 130;

function fmtSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${Math.round(s - 60 * m).toString().padStart(2, '0')}s` : `${Math.floor(m / 60)}h${(m % 60).toString().padStart(2, '0')}m`;
}

/** What a checkpoint records about how its network was built, so a teacher can be rebuilt from it. */
function loadTeacher(dir: string, fileOverride: string | undefined, ctx: Context): TeacherSource & { name: string } {
  let ck;
  try {
    ck = loadCheckpoint(checkpointOfRun(dir));
  } catch (e) {
    throw new UserError(`--teacher: ${(e as Error).message}`);
  }
  const rec = (ck.state.extra ?? {}) as NetworkRecord;
  const file = fileOverride ?? rec.source;
  if (!file) throw new UserError(`--teacher ${dir}: the checkpoint does not record its .hrn file; give it with --teacher-file FILE`);
  const loaded = loadNetworks(file, ctx.sources, { set: fileOverride ? [] : (rec.set ?? []), network: fileOverride ? undefined : rec.network });
  const recorded = fileOverride ? undefined : rec.pipeline;
  const nets = recorded === undefined ? loaded.networks : runPipelineText(loaded.networks, recorded, '<teacher --pipeline>', loaded.file, ctx.sources).family;
  const graphs = nets.map((n) => lowerNetwork(n));
  const hit = graphs.find((g) => networkHash(g) === ck.state.network.hash) ?? (graphs.length === 1 ? graphs[0] : undefined);
  if (!hit) throw new UserError(`--teacher ${dir}: none of the networks of ${file} is the one the checkpoint was trained for (${ck.state.network.name})`);
  try {
    checkWeights(hit, ck.weights, `teacher ${dir}`);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  return { graph: hit, weights: ck.weights, name: ck.state.network.name };
}

function lossOption(p: ParsedCommand, teacher: boolean): LossSpec {
  const kd = stringOption(p, 'kd');
  if (!teacher) {
    if (kd !== undefined) throw new UsageError('train: --kd needs --teacher CKPT');
    return { kind: 'ce' };
  }
  const kind = kd ?? 'hinton';
  // Both distillation losses take a temperature and a cross-entropy weight, with their own defaults.
  const shared = (d: { temperature: number; ceWeight: number }) => ({
    temperature: numberOption(p, 'kd-temperature', d.temperature),
    ceWeight: numberOption(p, 'kd-ce-weight', d.ceWeight),
  });
  if (kind === 'hinton') {
    return { kind: 'hinton', ...shared(KD_DEFAULTS), kdWeight: numberOption(p, 'kd-weight', KD_DEFAULTS.kdWeight) };
  }
  if (kind === 'dkd') {
    return {
      kind: 'dkd',
      ...shared(DKD_DEFAULTS),
      alpha: numberOption(p, 'dkd-alpha', DKD_DEFAULTS.alpha),
      beta: numberOption(p, 'dkd-beta', DKD_DEFAULTS.beta),
      warmup: numberOption(p, 'dkd-warmup', DKD_DEFAULTS.warmup),
    };
  }
  throw new UsageError(`train: --kd must be hinton or dkd, got '${kind}'`);
}

export const train: Command = {
  spec: {
    name: 'train',
    summary: COMMAND_SUMMARIES.train,
    usage: 'hrn train FILE --data KIND:DIR [--pipeline P] [--epochs E] [--batch B] [--lr LR] [--seed S] [--out DIR] [--resume] [--teacher CKPT --kd hinton|dkd] [--subset N] [--debug[=json|=diff]] [--debug-only PASS]',
    details: [
      'Data sets (--data):',
      dataSpecHelp(),
      '',
      'Everything stays on the GPU: one command buffer per step (forward with batch statistics, loss,',
      'backward, SGD update); the loss is read back every --log-every steps. After each epoch the test',
      'split is evaluated (batch norm folded, the inference kernels) and a checkpoint is written',
      'atomically to OUT/checkpoint; OUT/train.jsonl is the log. Ctrl-C once: finish the step, save,',
      'stop (resume with --resume); twice: quit at once. The last partial batch of an epoch is dropped.',
      '--debug prints the IR after every pass: the --pipeline passes, then the training passes (fuse,',
      'params, values, forward, loss, backward, update) when the training step is compiled.',
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
      resume: { type: 'boolean', help: 'continue from the checkpoint in --out' },
      force: { type: 'boolean', help: 'start over in an --out that holds a run (its checkpoint is replaced at the first save)' },
      teacher: { type: 'string', value: 'CKPT', help: 'distill from this checkpoint (an hrn train output directory or its checkpoint)' },
      'teacher-file': { type: 'string', value: 'FILE', help: "the teacher's .hrn file (default: the one its checkpoint records)" },
      kd: { type: 'string', value: 'hinton|dkd', help: 'distillation loss with --teacher (default hinton)' },
      'kd-temperature': { type: 'string', value: 'T', help: 'distillation temperature (default 4)' },
      'kd-ce-weight': { type: 'string', value: 'W', help: 'weight of the cross-entropy term (hinton 0.1, dkd 1)' },
      'kd-weight': { type: 'string', value: 'W', help: 'hinton: weight of T^2 KL (default 0.9)' },
      'dkd-alpha': { type: 'string', value: 'A', help: 'dkd: TCKD weight (default 1)' },
      'dkd-beta': { type: 'string', value: 'B', help: 'dkd: NCKD weight (default 8)' },
      'dkd-warmup': { type: 'string', value: 'E', help: 'dkd: warm-up epochs of the KD term (default 20)' },
      'eval-batch': { type: 'string', value: 'N', help: 'images per evaluation batch (default 250)' },
      'log-every': { type: 'string', value: 'N', help: 'steps between loss read-backs (default 10)' },
      ...ADAPTER_OPTION,
      ...DEBUG_OPTIONS,
    },
    positionals: { min: 1, max: 1 },
  },
  async run(p, ctx) {
    const { io } = ctx;
    const dataText = stringOption(p, 'data');
    if (dataText === undefined) throw new UsageError(`train: --data KIND:DIR is required; data sets:\n${dataSpecHelp()}`);
    const epochs = intOption(p, 'epochs', TRAIN_DEFAULTS.epochs);
    const batch = intOption(p, 'batch', TRAIN_DEFAULTS.batch);
    const lr = numberOption(p, 'lr', TRAIN_DEFAULTS.lr);
    if (!(lr > 0)) throw new UsageError('train: --lr must be positive');
    const seed = intOption(p, 'seed', 0, 0);
    const fit = stringOption(p, 'fit') ?? TRAIN_DEFAULTS.fit;
    if (fit !== 'pad' && fit !== 'resize') throw new UsageError(`train: --fit must be pad or resize, got '${fit}'`);

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
    const resume = flag(p, 'resume');
    prepareRunDir(out, resume, flag(p, 'force'));

    const teacherDir = stringOption(p, 'teacher');
    const teacher = teacherDir ? loadTeacher(teacherDir, stringOption(p, 'teacher-file'), ctx) : undefined;
    const loss = lossOption(p, !!teacher);
    const batches = trainingBatches({ graph, batch, evalBatch: intOption(p, 'eval-batch', 250), loss, teacher: teacher?.graph });
    await checkBatchesFit(batches, stringOption(p, 'adapter'));

    const data = openTrainData(p, dataText, net, { batch, seed, fit });
    const trainLoader = data.train!;
    if (trainLoader.count < batch) {
      throw new UserError(`${dataText}: ${trainLoader.count} training images are fewer than one batch of ${batch}; use a smaller --batch`);
    }

    const relus = countGraph(graph).total.relus;
    io.out(
      `${net.name}: ${relus.toLocaleString('en-US')} ReLUs, ${trainLoader.count.toLocaleString('en-US')} training images (${data.spec.text}), ` +
        `${epochs} epoch${epochs === 1 ? '' : 's'} of ${Math.floor(trainLoader.count / batch)} steps at batch ${batch}, lr ${lr} cosine` +
        (teacher ? `, ${loss.kind} distillation from ${teacher.name}` : ''),
    );
    // Loaded only now: WebGPU and the training runtime are start-up time the other commands skip.
    const [{ openDevice }, { installTrainingInterrupt, RUN_CHECKPOINT, RUN_LOG, trainLoop }, { TrainProgress }] = await Promise.all([
      import('../../runtime/device.js'),
      import('../../train/loop.js'),
      import('../../train/progress.js'),
    ]);
    const gpu = await openDevice({ adapter: stringOption(p, 'adapter') });
    const isProcess = ctx.io === processIo;
    const progress = new TrainProgress({
      epochs,
      stream: isProcess ? process.stderr : { write: (s: string) => (io.err(s.replace(/\n$/, '')), true), isTTY: false },
    });
    const interrupt = installTrainingInterrupt({ stream: isProcess ? process.stderr : { write: (s: string) => (io.err(s.trim()), true) } });
    const started = performance.now();
    let result: TrainLoopResult;
    try {
      io.out(`device: ${gpu.adapterInfo}`);
      result = await trainLoop({
        ctx: gpu,
        graph,
        network,
        train: trainLoader,
        test: data.test,
        epochs,
        lr,
        minLr: numberOption(p, 'min-lr', 0),
        warmupEpochs: numberOption(p, 'warmup-epochs', 0),
        sgd: { momentum: numberOption(p, 'momentum', SGD_DEFAULTS.momentum), weightDecay: numberOption(p, 'weight-decay', SGD_DEFAULTS.weightDecay), nesterov: flag(p, 'nesterov') },
        loss,
        teacher,
        seed,
        outDir: out,
        resume,
        logEvery: intOption(p, 'log-every', 10),
        progress,
        interrupt,
        note: (line) => io.out(line),
        observer,
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
      });
    } catch (e) {
      if (e instanceof CheckpointError || e instanceof TrainingDivergedError) throw new UserError(e.message);
      throw e;
    } finally {
      interrupt.dispose();
      gpu.close();
    }
    const wall = (performance.now() - started) / 1000;
    io.out(summaryLine(result, wall));
    io.out(`wrote: checkpoint ${displayPath(join(out, RUN_CHECKPOINT))}, log ${displayPath(join(out, RUN_LOG))}, per-epoch metrics ${displayPath(join(out, RUN_METRICS_CSV))}`);
    // Interrupted runs end cleanly (checkpoint saved) with the shell's status for SIGINT.
    return result.interrupted ? EXIT_INTERRUPTED : EXIT_OK;
  },
};

/** The training and test splits as --data and the subset options ask; a bad data set is a user error. */
function openTrainData(p: ParsedCommand, dataText: string, net: Pick<ArchIR, 'input' | 'classes'>, o: { batch: number; seed: number; fit: 'pad' | 'resize' }): DataPipeline {
  const subsetText = stringOption(p, 'subset');
  const testSubsetText = stringOption(p, 'test-subset');
  try {
    return openData(dataText, net.input, net.classes, {
      batchSize: o.batch,
      evalBatchSize: intOption(p, 'eval-batch', 250),
      seed: o.seed,
      fit: o.fit,
      augment: flag(p, 'no-augment') ? false : undefined,
      subset: subsetText !== undefined ? { count: intOption(p, 'subset', 1), mode: 'stratified' } : undefined,
      testSubset: testSubsetText !== undefined ? { count: intOption(p, 'test-subset', 1), mode: 'first' } : undefined,
    });
  } catch (e) {
    if (e instanceof DataError) throw new UserError(e.message);
    throw e;
  }
}

/** The closing line: epochs, the last test accuracy, speed and wall time. */
function summaryLine(result: TrainLoopResult, wall: number): string {
  const last = result.history[result.history.length - 1];
  return [
    `${result.interrupted ? 'stopped' : 'done'}: ${result.epochs} epoch${result.epochs === 1 ? '' : 's'}`,
    last && typeof last.testAccuracy === 'number' ? `test accuracy ${pct(last.testAccuracy)}` : undefined,
    `${Math.round(result.imagesPerSecond)} images/s training`,
    `wall ${fmtSeconds(wall)}`,
  ]
    .filter((x) => x)
    .join(', ');
}
