import { stringOption, listOption } from '../args.js';
import { SOURCE_OPTIONS, type Command } from '../command.js';
import { EXIT_OK } from '../errors.js';
import { loadNetworks } from '../load.js';

export const check: Command = {
  spec: {
    name: 'check',
    summary: 'Parse and check a .hrn file; print diagnostics only. Exit 1 if there is an error.',
    usage: 'hrn check FILE [--set NAME=VALUE]...',
    options: { ...SOURCE_OPTIONS },
    positionals: { min: 1, max: 1 },
  },
  async run(p, { io, sources }) {
    const path = p.positionals[0];
    const loaded = loadNetworks(path, sources, { set: listOption(p, 'set'), network: stringOption(p, 'network') });
    io.out(`${path}: ok (${loaded.networks.map((n) => n.name).join(', ')})`);
    return EXIT_OK;
  },
};
