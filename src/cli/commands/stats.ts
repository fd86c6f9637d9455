import { listOption, stringOption } from '../args.js';
import { jsonDocument, JSON_OPTION, wantsJson } from '../json.js';
import { SOURCE_OPTIONS, type Command } from '../command.js';
import { EXIT_OK, UsageError } from '../../errors.js';
import { keptRelus, maskedRelus } from '../../weights/index.js';
import { checkWeightsFit, loadWeightsOption, resolveNetworkFor } from '../weights-network.js';
import type { ParsedCommand } from '../args.js';
import type { Context } from '../command.js';
import { formatStats } from '../format.js';
import { loadNetworks } from '../../source-file.js';
import { networkStats, type NetworkStats } from '../../ir/stats.js';
import { applyPipelineOption, DEBUG_OPTIONS, PIPELINE_OPTION } from '../pipeline.js';
import { COMMAND_SUMMARIES } from '../summaries.js';
import { formatOnnxStats, isOnnxPath, onnxStats } from '../onnx-stats.js';
import { heMeasuredOption } from '../he-measured.js';
import type { HeConstants } from '../../ir/he-constants.js';

export const stats: Command = {
  spec: {
    name: 'stats',
    summary: COMMAND_SUMMARIES.stats,
    usage: 'hrn stats FILE [--pipeline P] [--set NAME=VALUE]... [--weights W] [--layers] [--he-measured FILE.json] [--json], or hrn stats --weights RUN, or hrn stats MODEL.onnx [--layers] [--he-measured FILE.json] [--json]',
    options: {
      ...SOURCE_OPTIONS,
      ...PIPELINE_OPTION,
      ...DEBUG_OPTIONS,
      ...JSON_OPTION,
      plot: { type: 'string', value: 'FILE.svg', help: 'also write a bar chart of the ReLUs per stage (SVG)' },
      'he-measured': { type: 'string', value: 'FILE.json', help: 'price the HE latency with the constants measured by bench/he-primitives.ts (its --out file) instead of the ones fitted to the paper (docs/pi-cost.md)' },
      weights: { type: 'string', value: 'W', help: 'count what trained weights keep: a run directory, a checkpoint or a .safetensors file; for an snl network, the ReLUs its masks keep (FILE and --pipeline default to what the checkpoint recorded)' },
      layers: { type: 'boolean', help: 'also a row per layer (conv with its batch norm and ReLU, pooling, fc): output shape, ReLUs, FLOPs and their shares; for an .onnx file: one row per node instead of one per operator' },
    },
    positionals: { min: 0, max: 1 },
    details: 'FILE is a .hrn file, or an .onnx model (any CNN of the operators docs/onnx.md lists), counted the same way.',
  },
  async run(p, ctx) {
    const { io, sources } = ctx;
    const path = p.positionals[0];
    const weightsPath = stringOption(p, 'weights');
    if (path === undefined && weightsPath === undefined) throw new UsageError('stats: give a FILE (.hrn or .onnx), or --weights RUN');
    if (weightsPath !== undefined && path !== undefined && isOnnxPath(path)) {
      throw new UsageError('stats: --weights applies to a .hrn network, not an .onnx file (its weights are inside it)');
    }
    const he = heMeasuredOption(p);
    if (weightsPath === undefined && isOnnxPath(path!)) {
      const s = onnxStats(path!, p, he);
      io.out(wantsJson(p) ? jsonDocument('stats', [s]) : formatOnnxStats(s, p.values.layers === true));
      return EXIT_OK;
    }
    let all: NetworkStats[];
    if (weightsPath !== undefined) {
      all = [statsOfWeights(p, ctx, weightsPath, he)];
    } else {
      const loaded = loadNetworks(path!, sources, { set: listOption(p, 'set'), network: stringOption(p, 'network') });
      all = applyPipelineOption(loaded, p, ctx).map((n) => networkStats(n, undefined, { layers: p.values.layers === true, ...(he === undefined ? {} : { he }) }));
    }
    const plot = stringOption(p, 'plot');
    if (plot !== undefined) {
      // Vega is heavy to load: only `--plot` pays for it.
      const [{ renderSvg, reluStagesSpec }, { writeText }] = await Promise.all([import('../../report/charts.js'), import('../../report/write.js')]);
      writeText(plot, await renderSvg(reluStagesSpec(all.map((s) => ({ name: s.network, stages: s.relus.stages })))));
    }
    if (wantsJson(p)) {
      io.out(jsonDocument('stats', all));
    } else {
      io.out(all.map(formatStats).join('\n\n'));
    }
    return EXIT_OK;
  },
};

/**
 * The counts of the network that trained weights belong to. The weights must fit it; an snl
 * network counts exactly the ReLUs its masks keep, per stage and in total, and is priced on them.
 */
function statsOfWeights(p: ParsedCommand, ctx: Context, weightsPath: string, he: HeConstants | undefined): NetworkStats {
  const loaded = loadWeightsOption(weightsPath);
  const resolved = resolveNetworkFor(p, ctx, loaded.state, 'stats');
  checkWeightsFit(resolved, loaded);
  const kept = maskedRelus(resolved.graph).length > 0 ? keptRelus(resolved.graph, loaded.weights) : undefined;
  return networkStats(resolved.net, resolved.graph, { layers: p.values.layers === true, ...(kept ? { kept } : {}), ...(he === undefined ? {} : { he }) });
}
