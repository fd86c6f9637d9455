// `hrn`: the command-line driver. Dispatches to one command, and turns every failure into a
// message and an exit code; a user never sees a stack trace.

import { DataError } from '../data/errors.js';
import { DiagnosticError, formatDiagnostics } from '../diagnostics.js';
import { CheckpointError } from '../train/checkpoint.js';
import { SafetensorsError } from '../weights/safetensors.js';
import { formatHelp, parseCommand } from './args.js';
import { processIo, type Command, type Context, type Io } from './command.js';
import { check } from './commands/check.js';
import { stats } from './commands/stats.js';
import { equalize } from './commands/equalize.js';
import { compile } from './commands/compile.js';
import { infer } from './commands/infer.js';
import { train } from './commands/train.js';
import { EXIT_OK, EXIT_USAGE, EXIT_USER, UsageError, UserError } from './errors.js';

const COMMANDS: Command[] = [check, stats, equalize, compile, infer, train];

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
    "Run 'hrn COMMAND --help' for a command's options.",
  ].join('\n');
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(topHelp());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const cmd = COMMANDS.find((c) => c.spec.name === name);
  if (!cmd) {
    io.err(`hrn: unknown command '${name}'\n\n${topHelp()}`);
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

/** runtime/device.js's DeviceError, recognized by name: importing the class would load WebGPU into
 * every command, and only the commands that open a device can throw it. */
function isDeviceError(e: unknown): e is Error {
  return e instanceof Error && e.name === 'DeviceError';
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
  if (e instanceof UserError || e instanceof DataError || e instanceof CheckpointError || e instanceof SafetensorsError || isDeviceError(e)) {
    io.err(`hrn ${cmd.spec.name}: error: ${e.message}`);
    return EXIT_USER;
  }
  throw e;
}
