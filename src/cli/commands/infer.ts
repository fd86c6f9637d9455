import { openData } from '../../data/index.js';
import type { Normalization } from '../../data/dataset.js';
import type { CheckpointState } from '../../train/checkpoint.js';
import { flag, intOption, stringOption } from '../args.js';
import { ADAPTER_OPTION, adapterChoice, dataOption, progressStream, SOURCE_OPTIONS, type Command } from '../command.js';
import { checkBatchesFit } from '../device-fit.js';
import { EXIT_OK, UsageError, UserError } from '../../errors.js';
import { jsonDocument, JSON_OPTION, wantsJson } from '../json.js';
import { PIPELINE_OPTION } from '../pipeline.js';
import { deviceProfile, profileOption, profileOptionSpec } from '../profile-option.js';
import { profileText } from '../../codegen/schedule/describe.js';
import { checkWeightsFit, loadWeightsOption, resolveNetworkFor } from '../weights-network.js';
import { COMMAND_SUMMARIES } from '../summaries.js';
import { ImageProgress } from '../image-progress.js';
import { TUNE_CACHE_OPTION, tunedForDevice, tunedText, type TunedLookup } from '../tune-cache-option.js';

/** The normalization a training run recorded in its checkpoint, if the weights come from one. */
function recordedNormalization(state: CheckpointState | undefined): Normalization | undefined {
  const n = (state?.extra as { normalization?: Normalization } | undefined)?.normalization;
  return n && Array.isArray(n.mean) && Array.isArray(n.std) ? n : undefined;
}

export const infer: Command = {
  spec: {
    name: 'infer',
    summary: COMMAND_SUMMARIES.infer,
    usage: 'hrn infer [FILE] --weights W --data KIND:DIR [--pipeline P] [--batch N] [--limit N] [--show K] [--profile cpu|gpu] [--f16-weights] [--no-tune-cache] [--json]',
    options: {
      ...SOURCE_OPTIONS,
      ...PIPELINE_OPTION,
      ...ADAPTER_OPTION,
      weights: { type: 'string', value: 'W', help: 'a run or checkpoint directory from hrn train (FILE, --set, --pipeline default to what it recorded), or a .safetensors file' },
      ...dataOption('labeled test data'),
      batch: { type: 'string', value: 'N', help: 'images per GPU batch (default 64)' },
      limit: { type: 'string', value: 'N', help: 'only the first N test images' },
      show: { type: 'string', value: 'K', help: 'print the first K predictions (default 10)' },
      ...profileOptionSpec("default: the device's (cpu on a CPU driver such as lavapipe, else gpu)"),
      'f16-weights': { type: 'boolean', help: 'store the conv and fc weights as f16, half their memory (the kernels still add in f32); needs a device with shader-f16' },
      ...TUNE_CACHE_OPTION,
      ...JSON_OPTION,
    },
    positionals: { min: 0, max: 1 },
  },
  async run(p, ctx) {
    const weightsPath = stringOption(p, 'weights');
    const dataSpec = stringOption(p, 'data');
    if (weightsPath === undefined) throw new UsageError('infer: --weights is required');
    if (dataSpec === undefined) throw new UsageError('infer: --data is required');
    const batch = intOption(p, 'batch', 64);
    const show = intOption(p, 'show', 10, 0);
    const limitText = stringOption(p, 'limit');
    const limit = limitText === undefined ? undefined : intOption(p, 'limit', 0);
    const profile = profileOption(p, 'infer');
    const f16Weights = flag(p, 'f16-weights');

    const loadedWeights = loadWeightsOption(weightsPath);
    const resolved = resolveNetworkFor(p, ctx, loadedWeights.state, 'infer');
    const { net, graph } = resolved;
    checkWeightsFit(resolved, loadedWeights);
    const weights = loadedWeights.weights;
    // Loaded only now: WebGPU and the code generator are start-up time the other commands skip.
    const [{ openDevice }, { openExecutor }, { compileProgress }] = await Promise.all([import('../../runtime/device.js'), import('../../launch/infer.js'), import('../../train/progress.js')]);
    // The device before the data: its limits say whether --batch fits, which takes milliseconds,
    // and reading the data set takes seconds.
    const gpu = await openDevice(adapterChoice(p));
    let data: ReturnType<typeof openData>;
    let tuned: TunedLookup;
    try {
      if (f16Weights && !gpu.f16) throw new UserError(`infer: --f16-weights needs the shader-f16 feature, which ${gpu.adapterInfo} does not offer`);
      tuned = tunedForDevice(p, ctx, 'infer', gpu);
      await checkBatchesFit([{ option: '--batch', batch, graph, mode: 'inference' }], gpu, profile, tuned.tuned);
      const normalization = recordedNormalization(loadedWeights.state) ?? 'constants';
      data = openData(dataSpec, net.input, net.classes, {
        batchSize: batch,
        testOnly: true,
        normalization,
        ...(limit !== undefined ? { testSubset: { count: limit, mode: 'first' as const } } : {}),
      });
    } catch (e) {
      gpu.close();
      throw e;
    }
    let started = 0;
    let correct = 0;
    let seen = 0;
    const predictions: { index: number; label: number; predicted: number; p: number }[] = [];
    try {
      const ex = await openExecutor(gpu, graph, weights, { batch, profile, tuned: tuned.tuned, ...(f16Weights ? { f16Weights } : {}) }, compileProgress(progressStream(ctx.io)));
      // Kernel compilation has its own progress line; images per second count the inference only.
      started = performance.now();
      const progress = new ImageProgress(progressStream(ctx.io), { label: 'infer', total: data.test.count });
      try {
        for (const b of data.test.epoch(0)) {
          const r = await ex.classify(b.images);
          for (let i = 0; i < b.size; i++) {
            const predicted = r.classes[i];
            if (predicted === b.labels[i]) correct++;
            if (predictions.length < show) {
              predictions.push({ index: b.indices[i], label: b.labels[i], predicted, p: r.probs[i * net.classes + predicted] });
            }
          }
          seen += b.size;
          progress.update(seen);
        }
      } finally {
        progress.stop();
        ex.dispose();
      }
    } finally {
      gpu.close();
    }
    const seconds = (performance.now() - started) / 1000;
    const result = {
      network: net.name,
      adapter: gpu.adapterInfo,
      images: seen,
      correct,
      accuracy: seen === 0 ? 0 : correct / seen,
      seconds,
      imagesPerSecond: seen / seconds,
      predictions,
    };
    if (wantsJson(p)) {
      ctx.io.out(jsonDocument('infer', [result]));
      return EXIT_OK;
    }
    const name = (k: number) => data.classNames?.[k] ?? String(k);
    const lines = [`${net.name} on ${data.spec.text} (test split), adapter: ${gpu.adapterInfo}; kernel schedules: ${profileText(deviceProfile(profile, gpu))}${tunedText(tuned)}`];
    if (predictions.length > 0) {
      lines.push('', '   image  label            predicted        p');
      for (const pr of predictions) {
        const mark = pr.label === pr.predicted ? ' ' : '*';
        lines.push(`  ${String(pr.index).padStart(6)}  ${name(pr.label).padEnd(15)}  ${name(pr.predicted).padEnd(15)}  ${pr.p.toFixed(3)} ${mark}`);
      }
      lines.push('', `  image: index in the test split; p: the network's probability for its prediction; *: wrong prediction`);
    }
    lines.push('', `accuracy ${(100 * result.accuracy).toFixed(2)}% (${correct}/${seen}), ${result.imagesPerSecond.toFixed(1)} images/s`);
    ctx.io.out(lines.join('\n'));
    return EXIT_OK;
  },
};
