// `hrn`: the command-line driver. Dispatches to one command, and turns every failure into a
// message and an exit code; a user never sees a stack trace.

import { DataError } from '../data/errors.js';
import { DiagnosticError, formatDiagnostics } from '../diagnostics.js';
import { CheckpointError, hrnVersion } from '../train/checkpoint.js';
import { SafetensorsError } from '../weights/safetensors.js';
import { formatHelp, parseCommand } from './args.js';
import { processIo, type Command, type Context, type Io } from './command.js';
import { didYouMean } from '../util/suggest.js';
import { EXIT_OK, EXIT_USAGE, EXIT_USER, UsageError, UserError } from './errors.js';

/**
 * Every command, by name, with the one-line summary the top-level help shows. A command's module
 * (and with it WebGPU, the code generator, the queue or the chart renderer) loads only when that
 * command runs, so `hrn stats` does not pay for what `hrn train` needs.
 */
const COMMANDS: readonly { name: string; summary: string; load: () => Promise<Command> }[] = [
  { name: 'check', summary: 'Parse and check a .hrn file (its networks and sweep blocks); print diagnostics only. Exit 1 if there is an error.', load: async () => (await import('./commands/check.js')).check },
  { name: 'stats', summary: 'ReLUs, FLOPs and parameters per stage, the ReLU distribution and the private-inference cost.', load: async () => (await import('./commands/stats.js')).stats },
  { name: 'equalize', summary: 'ReLU equalization (Algorithm 1): list the HybReNet family of a network, with counts.', load: async () => (await import('./commands/equalize.js')).equalize },
  { name: 'compile', summary: 'Run the passes, lower to the layer graph and generate WGSL kernels with an execution plan.', load: async () => (await import('./commands/compile.js')).compile },
  { name: 'infer', summary: 'Run a network on the GPU (WebGPU) over a labeled data set: predictions and accuracy.', load: async () => (await import('./commands/infer.js')).infer },
  { name: 'train', summary: 'Train a network on the GPU (WebGPU): SGD with momentum, cosine schedule, checkpoints, optional distillation.', load: async () => (await import('./commands/train.js')).train },
  { name: 'export', summary: 'Write a network with its weights as ONNX (opset 13) or PyTorch safetensors, for private-inference frameworks.', load: async () => (await import('./commands/export.js')).exportCommand },
  { name: 'sweep', summary: 'Train every run of a sweep (networks x --set values x pipelines x seeds), resumable, locally or on a Redis queue.', load: async () => (await import('./commands/sweep.js')).sweep },
  { name: 'worker', summary: 'Train runs from a sweep queue (BullMQ on Redis) until stopped.', load: async () => (await import('./commands/worker.js')).worker },
  { name: 'criticality', summary: "Measure each stage's ReLU criticality C_k by training (ReLUs in one stage only), print C_k and the order.", load: async () => (await import('./commands/criticality.js')).criticality },
  { name: 'report', summary: "Tables and SVG plots of a sweep's results: ReLUs/FLOPs vs accuracy with the Pareto front, training curves.", load: async () => (await import('./commands/report.js')).report },
];

/** The commands' modules, loaded (for tests that check each summary against its command's spec). */
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
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    const names = COMMANDS.map((c) => c.name);
    const what = name.startsWith('-') ? 'option' : 'command';
    io.err(`hrn: unknown ${what} '${name}'${didYouMean(name, name.startsWith('-') ? ['--help', '--version'] : names)}\ncommands: ${names.join(', ')}; run 'hrn --help' for more.`);
    return EXIT_USAGE;
  }
  const cmd = await entry.load();
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
