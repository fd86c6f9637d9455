import { listOption, stringOption } from '../args.js';
import { jsonDocument, JSON_OPTION, wantsJson } from '../json.js';
import { SOURCE_OPTIONS, type Command } from '../command.js';
import { EXIT_OK } from '../../errors.js';
import { formatStats } from '../format.js';
import { loadNetworks } from '../../source-file.js';
import { networkStats } from '../../ir/stats.js';
import { applyPipelineOption, DEBUG_OPTIONS, PIPELINE_OPTION } from '../pipeline.js';
import { COMMAND_SUMMARIES } from '../summaries.js';
import { formatOnnxStats, isOnnxPath, onnxStats } from '../onnx-stats.js';
import { heMeasuredOption } from '../he-measured.js';

export const stats: Command = {
  spec: {
    name: 'stats',
    summary: COMMAND_SUMMARIES.stats,
    usage: 'hrn stats FILE [--pipeline P] [--set NAME=VALUE]... [--layers] [--he-measured FILE.json] [--json], or hrn stats MODEL.onnx [--layers] [--he-measured FILE.json] [--json]',
    options: {
      ...SOURCE_OPTIONS,
      ...PIPELINE_OPTION,
      ...DEBUG_OPTIONS,
      ...JSON_OPTION,
      plot: { type: 'string', value: 'FILE.svg', help: 'also write a bar chart of the ReLUs per stage (SVG)' },
      'he-measured': { type: 'string', value: 'FILE.json', help: 'price the HE latency with the constants measured by bench/he-primitives.ts (its --out file) instead of the ones fitted to the paper (docs/pi-cost.md)' },
      layers: { type: 'boolean', help: 'also a row per layer (conv with its batch norm and ReLU, pooling, fc): output shape, ReLUs, FLOPs and their shares; for an .onnx file: one row per node instead of one per operator' },
    },
    positionals: { min: 1, max: 1 },
    details: 'FILE is a .hrn file, or an .onnx model (any CNN of the operators docs/onnx.md lists), counted the same way.',
  },
  async run(p, ctx) {
    const { io, sources } = ctx;
    const path = p.positionals[0];
    const he = heMeasuredOption(p);
    if (isOnnxPath(path)) {
      const s = onnxStats(path, p, he);
      io.out(wantsJson(p) ? jsonDocument('stats', [s]) : formatOnnxStats(s, p.values.layers === true));
      return EXIT_OK;
    }
    const loaded = loadNetworks(path, sources, { set: listOption(p, 'set'), network: stringOption(p, 'network') });
    const nets = applyPipelineOption(loaded, p, ctx);
    const all = nets.map((n) => networkStats(n, undefined, { layers: p.values.layers === true, ...(he === undefined ? {} : { he }) }));
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
