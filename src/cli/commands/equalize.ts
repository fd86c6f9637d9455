import { flag, listOption, stringOption } from '../args.js';
import { SOURCE_OPTIONS, type Command } from '../command.js';
import { EXIT_OK, UsageError } from '../../errors.js';
import { jsonDocument, JSON_OPTION, wantsJson } from '../json.js';
import { emitHrn } from '../../ir/emit-hrn.js';
import { formatTable, millions } from '../../ir/print.js';
import { networkStats, type NetworkStats } from '../../ir/stats.js';
import { runPipelineText } from '../../driver.js';
import { loadNetworks } from '../../source-file.js';
import { COMMAND_SUMMARIES } from '../summaries.js';

const ORIGIN = '<equalize options>';

function distribution(s: NetworkStats): string {
  return Object.entries(s.relus.share).map(([k, v]) => `${k} ${v.toFixed(0)}%`).join(' ');
}

export const equalize: Command = {
  spec: {
    name: 'equalize',
    summary: COMMAND_SUMMARIES.equalize,
    usage: 'hrn equalize FILE [--order S3>S2>S4>S1] [--last-below K] [--min-first] [--json | --emit hrn]',
    options: {
      ...SOURCE_OPTIONS,
      order: { type: 'string', value: 'ORDER', help: "criticality order to equalize for (default: the file's), e.g. S3>S2>S4>S1" },
      'last-below': { type: 'string', value: 'K', help: 'keep solutions whose last factor is below K (the paper uses 4 for ResNet34)' },
      'min-first': { type: 'boolean', help: 'keep only the solutions with the smallest first factor' },
      ...JSON_OPTION,
      emit: { type: 'string', value: 'hrn', help: 'print each member as .hrn source instead of a table' },
    },
    positionals: { min: 1, max: 1 },
    details: 'Members are the Pareto-minimal integer factor vectors whose stage ReLU counts (stem excluded)\nfall strictly in the criticality order.',
  },
  async run(p, ctx) {
    const emit = stringOption(p, 'emit');
    if (emit !== undefined && emit !== 'hrn') throw new UsageError(`equalize: --emit takes 'hrn', got '${emit}'`);
    if (emit !== undefined && wantsJson(p)) throw new UsageError('equalize: --emit hrn and --json are two outputs; pick one');
    const loaded = loadNetworks(p.positionals[0], ctx.sources, { set: listOption(p, 'set'), network: stringOption(p, 'network') });

    const words = ['equalize width'];
    const order = stringOption(p, 'order');
    if (order !== undefined) words.push(`order=${order.replace(/\s+/g, '')}`);
    const last = stringOption(p, 'last-below');
    if (last !== undefined) words.push(`last<${last}`);
    if (flag(p, 'min-first')) words.push('min-first');
    const text = words.join(' ');

    const outputs: string[] = [];
    const json: unknown[] = [];
    for (const net of loaded.networks) {
      const { family } = runPipelineText(net, text, ORIGIN, loaded.file, ctx.sources);
      const stats = family.map((m) => networkStats(m));
      if (wantsJson(p)) {
        json.push({ network: net.name, family: stats.map((s, i) => ({ factors: family[i].widths?.factors ?? [], ...s })) });
      } else if (emit === 'hrn') {
        outputs.push(family.map(emitHrn).join('\n'));
      } else {
        const rows = stats.map((s, i) => [
          s.network,
          (family[i].widths?.factors ?? []).join(', '),
          family[i].stages.map((st) => st.channels).join('/'),
          s.relus.total.toLocaleString('en-US'),
          millions(s.flops.total),
          distribution(s),
        ]);
        outputs.push(
          `${net.name}: ${family.length} equalized network${family.length === 1 ? '' : 's'} for ${family[0]?.criticality.join(' > ') ?? ''}\n\n` +
            formatTable(['network', 'factors', 'channels', 'ReLUs', 'FLOPs', 'ReLU share'], rows),
        );
      }
    }
    if (wantsJson(p)) ctx.io.out(jsonDocument('equalize', json));
    else ctx.io.out(outputs.join('\n\n'));
    return EXIT_OK;
  },
};
