// The shape of one `hrn` subcommand, and where its output goes (injectable for tests).

import { flag, stringOption, type CommandSpec, type OptionSpec, type ParsedCommand } from './args.js';
import { userStderr, type ErrStream } from './stderr.js';
import { colourMessages, wantsColour } from './colour.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => {
    const stream = userStderr();
    const line = t.endsWith('\n') ? t : `${t}\n`;
    stream.write(wantsColour(stream) ? colourMessages(line) : line);
  },
};

/**
 * The stream for progress bars and progress lines: the user's stderr when output is the process's
 * own, else a line-by-line view of `io.err` (tests), never a terminal.
 */
export function progressStream(io: Io): ErrStream {
  if (io === processIo) return userStderr();
  return { write: (s: string) => (io.err(s.replace(/\n$/, '')), true), isTTY: false };
}

/** What one invocation of `hrn` carries: where output goes, and every source text read so far
 * (files and command-line snippets), so any diagnostic can quote its line. */
export interface Context {
  io: Io;
  sources: Map<string, string>;
}

export interface Command {
  spec: CommandSpec;
  run(args: ParsedCommand, ctx: Context): Promise<number>;
}

/** Options that every command reading a .hrn file shares. */
export const SOURCE_OPTIONS = {
  set: { type: 'string', multiple: true, value: 'NAME=VALUE', help: 'override a param of the file (repeatable; lists as [5,5,3])' },
  network: { type: 'string', value: 'NAME', help: 'use only this network of the file' },
} as const;

/** --adapter and --require-gpu, for the commands that open a WebGPU device. */
export const ADAPTER_OPTION = {
  adapter: { type: 'string', value: 'N|NAME', help: "WebGPU adapter: its number in Dawn's list (0, 1, ...) or part of its name (default: the first one Dawn finds)" },
  'require-gpu': { type: 'boolean', help: 'refuse to run on a CPU driver (lavapipe, SwiftShader)' },
} as const;

/** What --adapter and --require-gpu ask of openDevice. */
export function adapterChoice(p: ParsedCommand): { adapter?: string; requireGpu: boolean } {
  return { adapter: stringOption(p, 'adapter'), requireGpu: flag(p, 'require-gpu') };
}

/** --data, for the commands that read a data set; `what` says which of it they read. */
export function dataOption(what: string): { data: OptionSpec } {
  return { data: { type: 'string', value: 'KIND:DIR', help: `${what}, e.g. fashion-mnist:/usr/share/datasets/fashion-mnist` } };
}
