// `hrn export`: a network and its weights in a form private-inference frameworks import: an ONNX
// inference graph, or PyTorch (torchvision-style) weights in safetensors. See docs/export.md.

import { buildOnnxModel, encodeOnnx, ONNX_OPSET, torchStateDict } from '../../export/index.js';
import { countGraph } from '../../ir/count.js';
import { refuseMaskedRelus } from '../../driver.js';
import { hrnVersion } from '../../train/checkpoint.js';
import { encodeSafetensors, initWeights, keptRelus, maskedRelus } from '../../weights/index.js';
import { writeFileAtomic } from '../../util/durable-fs.js';
import { checkOutputFile, OutputFileError } from '../../util/output-file.js';
import { flag, intOption, stringOption } from '../args.js';
import { SOURCE_OPTIONS, type Command } from '../command.js';
import { EXIT_OK, UsageError, UserError } from '../../errors.js';
import { PIPELINE_OPTION } from '../pipeline.js';
import { checkWeightsFit, loadWeightsOption, resolveNetworkFor, type LoadedWeights } from '../weights-network.js';
import { COMMAND_SUMMARIES } from '../summaries.js';
import { JSON_OPTION, jsonObject, wantsJson } from '../json.js';

const FORMATS = { onnx: '.onnx', pytorch: '.safetensors' } as const;
type Format = keyof typeof FORMATS;

export const exportCommand: Command = {
  spec: {
    name: 'export',
    summary: COMMAND_SUMMARIES.export,
    usage: 'hrn export [FILE] (--weights W | --random-weights [--seed S]) [--format onnx|pytorch] [-o OUT [--force]] [--fold-bn] [--pipeline P] [--json]',
    details: [
      'With --weights RUN (a checkpoint of hrn train) FILE, --set, --network and --pipeline default to',
      'what the run recorded. ONNX uses Conv, BatchNormalization, Relu, Add, Concat, Slice,',
      'GlobalAveragePool, Flatten and Gemm only; its metadata records the ReLU count, FLOPs and pipeline.',
      'PyTorch: torchvision-style names, loaded by examples/hrn_torch.py with load_state_dict(strict=True).',
      'OUT is written atomically (a temporary file, then a rename). An existing OUT is replaced only with',
      '--force, and only when it is a regular file: a device, pipe, directory or symbolic link never is.',
    ].join('\n'),
    options: {
      ...SOURCE_OPTIONS,
      ...PIPELINE_OPTION,
      weights: { type: 'string', value: 'W', help: 'a run or checkpoint directory from hrn train, or a .safetensors file' },
      'random-weights': { type: 'boolean', help: 'export untrained weights (He-initialized, seeded) instead of --weights' },
      seed: { type: 'string', value: 'S', help: 'seed of --random-weights (default 0)' },
      format: { type: 'string', value: 'onnx|pytorch', help: 'what to write (default onnx)' },
      output: { type: 'string', short: 'o', value: 'OUT', help: 'output file (default NETWORK.onnx or NETWORK.safetensors)' },
      force: { type: 'boolean', help: 'replace OUT when it is an existing regular file' },
      'fold-bn': { type: 'boolean', help: 'ONNX: fold batch norm into the convolution before it (default: keep BatchNormalization)' },
      ...JSON_OPTION,
    },
    positionals: { min: 0, max: 1 },
  },
  async run(p, ctx) {
    const format = (stringOption(p, 'format') ?? 'onnx') as Format;
    if (!(format in FORMATS)) throw new UsageError(`export: --format must be onnx or pytorch, got '${format}'`);
    const weightsPath = stringOption(p, 'weights');
    const random = flag(p, 'random-weights');
    if ((weightsPath === undefined) === !random) throw new UsageError('export: give exactly one of --weights W and --random-weights');
    if (!random && p.values.seed !== undefined) throw new UsageError('export: --seed goes with --random-weights');
    if (format !== 'onnx' && flag(p, 'fold-bn')) throw new UsageError('export: --fold-bn applies to --format onnx only');

    const loaded: LoadedWeights | undefined = weightsPath === undefined ? undefined : loadWeightsOption(weightsPath);
    const resolved = resolveNetworkFor(p, ctx, loaded?.state, 'export');
    const { graph } = resolved;
    // The PyTorch runner (examples/hrn_torch.py) has no masked ReLU.
    if (format === 'pytorch') refuseMaskedRelus(graph, 'export --format pytorch');
    let weights;
    if (loaded) {
      checkWeightsFit(resolved, loaded);
      weights = loaded.weights;
    } else {
      weights = initWeights(graph, intOption(p, 'seed', 0, 0));
    }

    const out = stringOption(p, 'output') ?? `${graph.name}${FORMATS[format]}`;
    // Refused before the (possibly slow) encoding, so a bad -o costs nothing.
    checkOutput(out, flag(p, 'force'));
    const counts = countGraph(graph, maskedRelus(graph).length > 0 ? keptRelus(graph, weights) : undefined).total;
    let bytes: Uint8Array;
    if (format === 'onnx') {
      bytes = encodeOnnx(buildOnnxModel(graph, weights, { foldBatchNorm: flag(p, 'fold-bn'), pipeline: resolved.pipeline, producerVersion: hrnVersion() }));
    } else {
      const t = torchStateDict(graph, weights);
      bytes = encodeSafetensors(t.tensors, t.metadata);
    }
    try {
      // Checked again: the node may have appeared while the model was encoded.
      checkOutput(out, flag(p, 'force'));
      writeFileAtomic(out, bytes);
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`${out}: cannot write: ${(e as Error).message}`);
    }
    if (wantsJson(p)) {
      ctx.io.out(
        jsonObject('export', {
          output: out,
          format,
          network: graph.name,
          pipeline: resolved.pipeline || null,
          ...(format === 'onnx' ? { opset: ONNX_OPSET, foldBatchNorm: flag(p, 'fold-bn') } : {}),
          relus: counts.relus,
          flops: counts.flops,
          bytes: bytes.length,
          weights: loaded ? { from: 'file', path: loaded.path } : { from: 'random', seed: intOption(p, 'seed', 0, 0) },
        }),
      );
      return EXIT_OK;
    }
    const what = format === 'onnx' ? `ONNX opset ${ONNX_OPSET}${flag(p, 'fold-bn') ? ', batch norm folded' : ''}` : 'PyTorch state dict (safetensors)';
    const from = loaded ? loaded.path : `random weights, seed ${intOption(p, 'seed', 0, 0)}`;
    ctx.io.out(
      `wrote ${out}: ${graph.name}${resolved.pipeline ? ` [${resolved.pipeline}]` : ''}, ${what}, ${counts.relus.toLocaleString('en-US')} ReLUs, ` +
        `${(counts.flops / 1e6).toFixed(1)}M FLOPs, ${bytes.length.toLocaleString('en-US')} bytes, from ${from}`,
    );
    return EXIT_OK;
  },
};

function checkOutput(out: string, force: boolean): void {
  try {
    checkOutputFile(out, force);
  } catch (e) {
    if (e instanceof OutputFileError) throw new UserError(e.message);
    throw e;
  }
}
