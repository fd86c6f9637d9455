// `hrn`: the command-line driver. Dispatches to one command, and turns every failure into a
// message and an exit code; a user never sees a stack trace.

import { DataError } from '../data/errors.js';
import { DiagnosticError, formatDiagnostics } from '../diagnostics.js';
import { DeviceError } from '../runtime/device.js';
import { CheckpointError, hrnVersion } from '../train/checkpoint.js';
import { SafetensorsError } from '../weights/safetensors.js';
import { formatHelp, parseCommand } from './args.js';
import { processIo, type Command, type Context, type Io } from './command.js';
import { check } from './commands/check.js';
import { stats } from './commands/stats.js';
import { equalize } from './commands/equalize.js';
import { compile } from './commands/compile.js';
import { infer } from './commands/infer.js';
import { train } from './commands/train.js';
import { exportCommand } from './commands/export.js';
import { sweep } from './commands/sweep.js';
import { worker } from './commands/worker.js';
import { report as reportCommand } from './commands/report.js';
import { criticality } from './commands/criticality.js';
import { didYouMean } from '../util/suggest.js';
import { EXIT_OK, EXIT_USAGE, EXIT_USER, UsageError, UserError } from './errors.js';

const COMMANDS: Command[] = [check, stats, equalize, compile, infer, train, exportCommand, sweep, worker, criticality, reportCommand];

function topHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.spec.name.length));
  return [
    'usage: hrn COMMAND [options]',
    '',
    'hrn compiles ReLU-efficient networks for private inference (DeepReShape).',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(w)}  ${c.spec.summary}`),
    '',
    "Run 'hrn COMMAND --help' for a command's options; 'hrn --version' prints the version.",
  ].join('\n');
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(topHelp());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === '--version' || name === '-V') {
    io.out(`hrn ${hrnVersion()}`);
    return EXIT_OK;
  }
  const cmd = COMMANDS.find((c) => c.spec.name === name);
  if (!cmd) {
    const names = COMMANDS.map((c) => c.spec.name);
    const what = name.startsWith('-') ? 'option' : 'command';
    io.err(`hrn: unknown ${what} '${name}'${didYouMean(name, name.startsWith('-') ? ['--help', '--version'] : names)}\ncommands: ${names.join(', ')}; run 'hrn --help' for more.`);
    return EXIT_USAGE;
  }
  const ctx: Context = { io, sources: new Map() };
  try {
    const parsed = parseCommand(cmd.spec, rest);
    if (parsed.help) {
      io.out(formatHelp(cmd.spec));
      return EXIT_OK;
    }
    return await cmd.run(parsed, ctx);
  } catch (e) {
    return report(e, ctx, cmd);
  }
}

function report(e: unknown, { io, sources }: Context, cmd: Command): number {
  if (e instanceof UsageError) {
    io.err(`hrn ${e.message}\nRun 'hrn ${cmd.spec.name} --help' for usage.`);
    return EXIT_USAGE;
  }
  if (e instanceof DiagnosticError) {
    const n = e.diagnostics.filter((d) => d.severity === 'error').length;
    io.err(`${formatDiagnostics(e.diagnostics, sources)}\n${n} error${n === 1 ? '' : 's'}`);
    return EXIT_USER;
  }
  if (e instanceof UserError || e instanceof DataError || e instanceof CheckpointError || e instanceof SafetensorsError || e instanceof DeviceError) {
    io.err(`hrn ${cmd.spec.name}: error: ${e.message}`);
    return EXIT_USER;
  }
  throw e;
}
