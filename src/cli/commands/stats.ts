import { listOption, stringOption } from '../args.js';
import { jsonDocument, JSON_OPTION, wantsJson } from '../json.js';
import { SOURCE_OPTIONS, type Command } from '../command.js';
import { EXIT_OK } from '../../errors.js';
import { formatStats } from '../format.js';
import { loadNetworks } from '../../source-file.js';
import { networkStats } from '../../ir/stats.js';
import { applyPipelineOption, DEBUG_OPTIONS, PIPELINE_OPTION } from '../pipeline.js';
import { COMMAND_SUMMARIES } from '../summaries.js';

export const stats: Command = {
  spec: {
    name: 'stats',
    summary: COMMAND_SUMMARIES.stats,
    usage: 'hrn stats FILE [--pipeline P] [--set NAME=VALUE]... [--json]',
    options: {
      ...SOURCE_OPTIONS,
      ...PIPELINE_OPTION,
      ...DEBUG_OPTIONS,
      ...JSON_OPTION,
      plot: { type: 'string', value: 'FILE.svg', help: 'also write a bar chart of the ReLUs per stage (SVG)' },
    },
    positionals: { min: 1, max: 1 },
  },
  async run(p, ctx) {
    const { io, sources } = ctx;
    const loaded = loadNetworks(p.positionals[0], sources, { set: listOption(p, 'set'), network: stringOption(p, 'network') });
    const nets = applyPipelineOption(loaded, p, ctx);
    const all = nets.map((n) => networkStats(n));
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
