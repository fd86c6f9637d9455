// Command-line parsing on Node's own util.parseArgs, with each command's options declared once so
// that parsing, --help and validation agree.

import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** For string options that may stand alone: `--debug` means `--debug=<bare>`. */
  bare?: string;
  /** Placeholder shown in help, e.g. `FILE`. */
  value?: string;
  help: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  /** How many positional arguments the command takes. */
  positionals: { min: number; max: number };
  details?: string;
}

export interface ParsedCommand {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  help: boolean;
}

export function parseCommand(spec: CommandSpec, argv: string[]): ParsedCommand {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, o] of Object.entries(spec.options)) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  // parseArgs has no optional values; give bare flags theirs before it sees them.
  const args = argv.map((a) => {
    const name = a.startsWith('--') ? a.slice(2) : '';
    const bare = spec.options[name]?.bare;
    return bare === undefined ? a : `--${name}=${bare}`;
  });
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${spec.name}: ${parseArgsMessage(e as Error & { code?: string }, spec)}`);
  }
  const values = parsed.values as ParsedCommand['values'];
  const help = values.help === true;
  if (!help) {
    const n = parsed.positionals.length;
    if (n < spec.positionals.min) throw new UsageError(`${spec.name}: missing argument (usage: ${spec.usage})`);
    if (n > spec.positionals.max) {
      throw new UsageError(`${spec.name}: unexpected argument '${parsed.positionals[spec.positionals.max]}' (usage: ${spec.usage})`);
    }
  }
  return { values, positionals: parsed.positionals, help };
}

/** parseArgs's error as one short line; an unknown option gets the nearest declared one. */
function parseArgsMessage(e: Error & { code?: string }, spec: CommandSpec): string {
  const unknown = e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'(-{1,2}[^' =]+)/.exec(e.message)?.[1] : undefined;
  if (unknown !== undefined) {
    const names = [...Object.keys(spec.options), 'help'].map((n) => `--${n}`);
    return `unknown option '${unknown}'${didYouMean(unknown, names)}`;
  }
  // The other messages are clear; keep their first sentence without the error code prefix.
  return e.message.replace(/^TypeError \[[A-Z_]+\]: /, '').replace(/\. To specify a positional.*$/s, '');
}

export function formatHelp(spec: CommandSpec): string {
  const lines = [`usage: ${spec.usage}`, '', spec.summary];
  if (spec.details) lines.push('', spec.details);
  lines.push('', 'options:');
  const rows = Object.entries(spec.options).map(([name, o]) => {
    const value = o.type !== 'string' ? '' : o.bare !== undefined ? (o.value ?? '') : ` ${o.value ?? 'VALUE'}`;
    const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${value}`;
    return [flag, o.help] as const;
  });
  rows.push(['-h, --help', 'show this help']);
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [flag, help] of rows) lines.push(`  ${flag.padEnd(w)}  ${help}`);
  return lines.join('\n');
}

export function stringOption(p: ParsedCommand, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function listOption(p: ParsedCommand, name: string): string[] {
  const v = p.values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

export function flag(p: ParsedCommand, name: string): boolean {
  return p.values[name] === true;
}

/** A positive integer option, or a usage error naming the option. */
export function intOption(p: ParsedCommand, name: string, fallback: number, min = 1): number {
  const v = stringOption(p, name);
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`--${name}: expected an integer >= ${min}, got '${v}'`);
  return Number(v);
}

/** A positive number option, or a usage error naming the option. */
export function numberOption(p: ParsedCommand, name: string, fallback: number): number {
  const v = stringOption(p, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`--${name}: expected a non-negative number, got '${v}'`);
  return n;
}
