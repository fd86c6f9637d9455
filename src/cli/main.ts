// `hrn`: the command line. Dispatches to one command, and turns every failure into a
// message and an exit code; a user never sees a stack trace.

// The kernel templates come from the files under kernels/.
import '../codegen/template-files.js';
import '../ops/index.js';
import { DeviceLimitError } from '../codegen/device-limits.js';
import { DataError } from '../data/errors.js';
import { DiagnosticError, formatDiagnostics } from '../diagnostics.js';
import { CheckpointError, hrnVersion } from '../train/checkpoint.js';
import { SafetensorsError } from '../weights/safetensors.js';
import { RunStoreError } from '../sweep/store.js';
import { GpuDeviceLostError, GpuOutOfMemoryError } from '../runtime/device-watch.js';
import { formatHelp, parseCommand } from './args.js';
import { processIo, type Command, type Context, type Io } from './command.js';
import { didYouMean } from '../util/suggest.js';
import { EXIT_OK, EXIT_USAGE, EXIT_USER, UsageError, UserError } from '../errors.js';
import { COMMAND_SUMMARIES } from './summaries.js';
import { argvWantsJson, jsonErrorDocument, type JsonErrorDetails } from './json.js';

type CommandName = keyof typeof COMMAND_SUMMARIES;

/**
 * How to load each command. A command's module (and with it WebGPU, the code generator, the queue
 * or the chart renderer) loads only when that command runs, so `hrn stats` does not pay for what
 * `hrn train` needs; the help lists the commands from their summaries alone.
 */
const LOADERS: Record<CommandName, () => Promise<Command>> = {
  check: async () => (await import('./commands/check.js')).check,
  stats: async () => (await import('./commands/stats.js')).stats,
  equalize: async () => (await import('./commands/equalize.js')).equalize,
  design: async () => (await import('./commands/design.js')).design,
  compile: async () => (await import('./commands/compile.js')).compile,
  tune: async () => (await import('./commands/tune.js')).tune,
  infer: async () => (await import('./commands/infer.js')).infer,
  train: async () => (await import('./commands/train.js')).train,
  export: async () => (await import('./commands/export.js')).exportCommand,
  sweep: async () => (await import('./commands/sweep.js')).sweep,
  worker: async () => (await import('./commands/worker.js')).worker,
  criticality: async () => (await import('./commands/criticality.js')).criticality,
  report: async () => (await import('./commands/report.js')).report,
  lsp: async () => (await import('./commands/lsp.js')).lsp,
};

const COMMANDS = (Object.keys(COMMAND_SUMMARIES) as CommandName[]).map((name) => ({ name, summary: COMMAND_SUMMARIES[name], load: LOADERS[name] }));

/** Every command's module, loaded (for tests that check each loader gives the command of its name). */
export function loadAllCommands(): Promise<Command[]> {
  return Promise.all(COMMANDS.map((c) => c.load()));
}

function topHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: hrn COMMAND [options]',
    '',
    'hrn compiles ReLU-efficient networks for private inference (DeepReShape).',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    "Run 'hrn COMMAND --help' or 'hrn help COMMAND' for a command's options; 'hrn --version' (-v) prints the version.",
  ].join('\n');
}

const TOP_OPTIONS = ['--help', '-h', '--version', '-v', '-V'];

/** `hrn help COMMAND`: that command's help, as `hrn COMMAND --help` prints it. */
async function helpFor(topic: string, io: Io): Promise<number> {
  const entry = COMMANDS.find((c) => c.name === topic);
  if (!entry) return unknownCommand(topic, io);
  io.out(formatHelp((await entry.load()).spec));
  return EXIT_OK;
}

/** `rest`: the arguments after the name, where a script's --json asks for the error document. */
function unknownCommand(name: string, io: Io, rest: readonly string[] = []): number {
  const names = COMMANDS.map((c) => c.name);
  const what = name.startsWith('-') ? 'option' : 'command';
  const message = `unknown ${what} '${name}'${didYouMean(name, name.startsWith('-') ? TOP_OPTIONS : names)}`;
  io.err(`hrn: ${message}\ncommands: ${names.join(', ')}; run 'hrn --help' for more.`);
  if (argvWantsJson(rest, true)) io.out(jsonErrorDocument(name, { message, exitCode: EXIT_USAGE }));
  return EXIT_USAGE;
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'help' && rest.length > 0) return helpFor(rest[0], io);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(topHelp());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === '--version' || name === '-V' || name === '-v') {
    io.out(`hrn ${hrnVersion()}`);
    return EXIT_OK;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) return unknownCommand(name, io, rest);
  const cmd = await entry.load();
  const ctx: Context = { io, sources: new Map() };
  const json = argvWantsJson(rest, 'json' in cmd.spec.options);
  try {
    const parsed = parseCommand(cmd.spec, rest);
    if (parsed.help) {
      io.out(formatHelp(cmd.spec));
      return EXIT_OK;
    }
    return await cmd.run(parsed, ctx);
  } catch (e) {
    if (!json) return report(e, ctx, cmd);
    // Under --json the error is told twice: as usual on stderr, and as a document on stdout.
    let told: JsonErrorDetails = { message: e instanceof Error ? e.message : String(e), exitCode: INTERNAL_ERROR };
    try {
      const code = report(e, ctx, cmd, (details) => (told = details));
      io.out(jsonErrorDocument(cmd.spec.name, told));
      return code;
    } catch (internal) {
      io.out(jsonErrorDocument(cmd.spec.name, told));
      throw internal;
    }
  }
}

/** What run.ts exits with for a bug in hrn; the error document says so under --json. */
const INTERNAL_ERROR = 70;

/** runtime/device.js's DeviceError, recognized by name: importing the class would load WebGPU into
 * every command, and only the commands that open a device can throw it. */
function isDeviceError(e: unknown): e is Error {
  return e instanceof Error && e.name === 'DeviceError';
}

/**
 * Tells the user what went wrong, on stderr, and returns the exit status; `told` receives the
 * same as the JSON error document carries it. Rethrows what is a bug in hrn.
 */
function report(e: unknown, { io, sources }: Context, cmd: Command, told: (d: JsonErrorDetails) => void = () => {}): number {
  if (e instanceof UsageError) {
    // Usage errors are raised with or without their command's name (an option's parser does not
    // know which command it serves); the line always names the command.
    const message = e.message.startsWith(`${cmd.spec.name}: `) ? e.message.slice(cmd.spec.name.length + 2) : e.message;
    io.err(`hrn ${cmd.spec.name}: error: ${message}\nRun 'hrn ${cmd.spec.name} --help' for usage.`);
    told({ message, exitCode: EXIT_USAGE });
    return EXIT_USAGE;
  }
  if (e instanceof DiagnosticError) {
    const n = e.diagnostics.filter((d) => d.severity === 'error').length;
    io.err(`${formatDiagnostics(e.diagnostics, sources)}\n${n} error${n === 1 ? '' : 's'}`);
    const first = e.diagnostics.find((d) => d.severity === 'error');
    told({ message: first?.message ?? e.message, exitCode: EXIT_USER, diagnostics: e.diagnostics });
    return EXIT_USER;
  }
  const userCaused = e instanceof Error && [UserError, DataError, CheckpointError, SafetensorsError, DeviceLimitError, RunStoreError].some((t) => e instanceof t);
  // The machine's doing rather than the user's, but not a bug in hrn either: no adapter, a device
  // lost mid-run (a GPU driver reset), GPU memory exhausted. An uncaptured validation error is hrn's
  // bug and goes on to the internal-error report.
  const machine = e instanceof GpuDeviceLostError || e instanceof GpuOutOfMemoryError || isDeviceError(e);
  if (userCaused || machine) {
    io.err(`hrn ${cmd.spec.name}: error: ${e.message}`);
    told({ message: e.message, exitCode: EXIT_USER });
    return EXIT_USER;
  }
  throw e;
}
