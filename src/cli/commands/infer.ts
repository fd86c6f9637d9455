import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openData } from '../../data/index.js';
import type { Normalization } from '../../data/dataset.js';
import { lowerToGraph } from '../../ir/lower.js';
import { Executor, openDevice } from '../../runtime/index.js';
import { loadWeightsFrom } from '../../train/checkpoint.js';
import { assertFiniteWeights, checkWeights } from '../../weights/index.js';
import { flag, intOption, listOption, stringOption } from '../args.js';
import { SOURCE_OPTIONS, type Command } from '../command.js';
import { EXIT_OK, UsageError, UserError } from '../errors.js';
import { loadNetworks } from '../load.js';
import { applyPipelineOption, PIPELINE_OPTION } from '../pipeline.js';

export const ADAPTER_OPTION = {
  adapter: { type: 'string', value: 'NAME', help: 'WebGPU adapter to use (default: the first one Dawn finds)' },
} as const;

/** The normalization a training run recorded in its checkpoint, if the weights come from one. */
function recordedNormalization(weightsPath: string): Normalization | undefined {
  const state = join(weightsPath, 'state.json');
  if (!existsSync(weightsPath) || !statSync(weightsPath).isDirectory() || !existsSync(state)) return undefined;
  try {
    const n = (JSON.parse(readFileSync(state, 'utf8')) as { extra?: { normalization?: Normalization } }).extra?.normalization;
    return n && Array.isArray(n.mean) && Array.isArray(n.std) ? n : undefined;
  } catch {
    return undefined; // loadWeightsFrom reports a broken checkpoint with a proper message
  }
}

export const infer: Command = {
  spec: {
    name: 'infer',
    summary: 'Run a network on the GPU (WebGPU) over a labeled data set: predictions and accuracy.',
    usage: 'hrn infer FILE --weights W --data KIND:DIR [--pipeline P] [--batch N] [--limit N] [--show K] [--json]',
    options: {
      ...SOURCE_OPTIONS,
      ...PIPELINE_OPTION,
      ...ADAPTER_OPTION,
      weights: { type: 'string', value: 'W', help: 'a checkpoint directory from hrn train, or a .safetensors file' },
      data: { type: 'string', value: 'KIND:DIR', help: 'labeled test data, e.g. fashion-mnist:/usr/share/datasets/fashion-mnist' },
      batch: { type: 'string', value: 'N', help: 'images per GPU batch (default 64)' },
      limit: { type: 'string', value: 'N', help: 'only the first N test images' },
      show: { type: 'string', value: 'K', help: 'print the first K predictions (default 10)' },
      json: { type: 'boolean', help: 'print the result as JSON' },
    },
    positionals: { min: 1, max: 1 },
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

    const loaded = loadNetworks(p.positionals[0], ctx.sources, { set: listOption(p, 'set'), network: stringOption(p, 'network') });
    const nets = applyPipelineOption(loaded, p, ctx);
    if (nets.length !== 1) throw new UserError(`infer needs one network, the pipeline gave ${nets.length}; pick one with --network or a narrower --pipeline`);
    const net = nets[0];
    const graph = lowerToGraph(net);
    const weights = loadWeightsFrom(weightsPath);
    try {
      checkWeights(graph, weights, weightsPath);
      assertFiniteWeights(weights, weightsPath);
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    const normalization = recordedNormalization(weightsPath) ?? 'constants';
    const data = openData(dataSpec, net.input, net.classes, {
      batchSize: batch,
      testOnly: true,
      normalization,
      ...(limit !== undefined ? { testSubset: { count: limit, mode: 'first' as const } } : {}),
    });

    const gpu = await openDevice({ adapter: stringOption(p, 'adapter') });
    const started = performance.now();
    let correct = 0;
    let seen = 0;
    const predictions: { index: number; label: number; predicted: number; p: number }[] = [];
    try {
      const ex = await Executor.forGraph(gpu, graph, weights, { batch });
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
        }
      } finally {
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
    if (flag(p, 'json')) {
      ctx.io.out(JSON.stringify(result, null, 2));
      return EXIT_OK;
    }
    const name = (k: number) => data.classNames?.[k] ?? String(k);
    const lines = [`${net.name} on ${data.spec.text} (test split), adapter: ${gpu.adapterInfo}`];
    if (predictions.length > 0) {
      lines.push('', '   image  label            predicted        p');
      for (const pr of predictions) {
        const mark = pr.label === pr.predicted ? ' ' : '*';
        lines.push(`  ${String(pr.index).padStart(6)}  ${name(pr.label).padEnd(15)}  ${name(pr.predicted).padEnd(15)}  ${pr.p.toFixed(3)} ${mark}`);
      }
    }
    lines.push('', `accuracy ${(100 * result.accuracy).toFixed(2)}% (${correct}/${seen}), ${result.imagesPerSecond.toFixed(1)} images/s`);
    ctx.io.out(lines.join('\n'));
    return EXIT_OK;
  },
};
