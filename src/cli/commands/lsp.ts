import { format } from 'node:util';
import { flag } from '../args.js';
import type { Command } from '../command.js';
import { stdioConnection } from '../lsp-stdio.js';
import { userStderr } from '../stderr.js';
import { UsageError } from '../../errors.js';
import type { SweepSupport } from '../../lsp/analysis.js';
import { serveHrn } from '../../lsp/server.js';
import { DISTRIBUTION_NAMES } from '../../sweep/distributions.js';
import { resolveSweep, SWEEP_SETTINGS } from '../../sweep/from-source.js';
import { SAMPLED_SETTINGS } from '../../sweep/train-rules.js';
import { hrnVersion } from '../../train/checkpoint.js';
import { COMMAND_SUMMARIES } from '../summaries.js';

/**
 * stdout carries the protocol's frames and nothing else: a stray line there breaks the client's
 * framing. Whatever any module prints through the console goes to stderr, which editors log.
 */
function consoleToStderr(): void {
  const toStderr = (...args: unknown[]) => void userStderr().write(`${format(...args)}\n`);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  console.trace = toStderr;
  console.dir = toStderr;
  console.table = toStderr;
}

/** Sweep blocks as `hrn check` and `hrn sweep` read them: the language server's view of sweep/. */
export const SWEEP_SUPPORT: SweepSupport = {
  check: (file, sources) => file.sweeps.flatMap((s) => resolveSweep(s, file, sources).diagnostics),
  settings: SWEEP_SETTINGS,
  sampled: SAMPLED_SETTINGS,
  distributions: DISTRIBUTION_NAMES,
};

export const lsp: Command = {
  spec: {
    name: 'lsp',
    summary: COMMAND_SUMMARIES.lsp,
    usage: 'hrn lsp --stdio',
    options: {
      stdio: { type: 'boolean', help: 'speak the protocol on stdin and stdout (the only transport; editors pass it)' },
    },
    positionals: { min: 0, max: 0 },
    details: 'An editor starts this; it is not for a terminal. docs/editors.md shows how to set up VS Code, Neovim, Helix and Emacs.',
  },
  async run(p) {
    if (!flag(p, 'stdio')) throw new UsageError('lsp: --stdio is required (the server speaks the Language Server Protocol on stdin and stdout)');
    consoleToStderr();
    const connection = stdioConnection((line) => void userStderr().write(`${line}\n`));
    serveHrn(connection, {
      version: hrnVersion(),
      sweeps: SWEEP_SUPPORT,
    });
    // The connection ends the process, as the protocol asks: status 0 after a shutdown request, 1
    // when the client exits or closes stdin without one. Until then there is nothing to return.
    return new Promise<number>(() => {});
  },
};
