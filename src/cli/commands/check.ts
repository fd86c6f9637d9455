import { stringOption, listOption } from '../args.js';
import { SOURCE_OPTIONS, type Command } from '../command.js';
import { EXIT_OK } from '../../errors.js';
import { failOnErrors } from '../../driver.js';
import { loadNetworks } from '../../source-file.js';
import { resolveSweep } from '../../sweep/from-source.js';
import { COMMAND_SUMMARIES } from '../summaries.js';
import { JSON_OPTION, jsonObject, wantsJson } from '../json.js';

export const check: Command = {
  spec: {
    name: 'check',
    summary: COMMAND_SUMMARIES.check,
    usage: 'hrn check FILE [--set NAME=VALUE]... [--json]',
    options: { ...SOURCE_OPTIONS, ...JSON_OPTION },
    positionals: { min: 1, max: 1 },
  },
  async run(p, { io, sources }) {
    const path = p.positionals[0];
    const loaded = loadNetworks(path, sources, { set: listOption(p, 'set'), network: stringOption(p, 'network') });
    // Sweep blocks are checked too, as `hrn sweep` would read them.
    const sweeps = loaded.file.sweeps;
    failOnErrors(sweeps.flatMap((s) => resolveSweep(s, loaded.file, sources).diagnostics));
    if (wantsJson(p)) {
      io.out(jsonObject('check', { file: path, ok: true, networks: loaded.networks.map((n) => ({ network: n.name })), sweeps: sweeps.map((s) => s.name) }));
      return EXIT_OK;
    }
    const swept = sweeps.length > 0 ? `; sweep${sweeps.length === 1 ? '' : 's'} ${sweeps.map((s) => s.name).join(', ')}` : '';
    io.out(`${path}: ok (${loaded.networks.map((n) => n.name).join(', ')}${swept})`);
    return EXIT_OK;
  },
};
