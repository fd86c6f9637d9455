// `--pipeline` and `--debug` for the commands that transform networks: parse the steps (a named
// pipeline of the file, a built-in one, or steps written inline), run them through the pass
// manager, and show every pass's output when asked.

import type { ArchIR } from '../ir/arch.js';
import { formatDiagnostics } from '../diagnostics.js';
import { GRAPH_PASSES } from '../codegen/graph/index.js';
import { TRAIN_PASSES } from '../codegen/train/passes/index.js';
import { debugObserver } from '../passes/debug.js';
import { runPipelineText, type LoadedNetworks } from '../driver.js';
import type { PassObserver } from '../passes/manager.js';
import { defaultRegistry } from '../passes/registry.js';
import { listOption, stringOption, type OptionSpec, type ParsedCommand } from './args.js';
import type { Context } from './command.js';
import { UsageError } from '../errors.js';
import { suggest } from '../util/suggest.js';
import { wantsJson } from './json.js';

export const PIPELINE_OPTION: Record<string, OptionSpec> = {
  pipeline: {
    type: 'string',
    value: 'P',
    help: "passes to run: a pipeline's name (from the file, or 'hybrenet') or steps, e.g. \"cull S1; thin S2 S3 S4; reuse 4\"",
  },
};

export const DEBUG_OPTIONS: Record<string, OptionSpec> = {
  debug: {
    type: 'string',
    bare: 'text',
    value: '[=json|=diff]',
    help: 'after every pass (graph-level and training passes included) print the IR, the per-stage table and what changed (=json: JSON lines; =diff: a unified diff against the IR before the pass)',
  },
  'debug-only': { type: 'string', multiple: true, value: 'PASS', help: 'limit --debug to these passes (repeatable; implies --debug)' },
  'debug-graph': { type: 'boolean', help: 'also print the layer graph after every pass (implies --debug)' },
};

const PIPELINE_ORIGIN = '<--pipeline>';

/** Every pass name `--debug-only` accepts: architecture passes (and their first words), graph and training passes. */
export function debuggablePasses(): string[] {
  const arch = defaultRegistry().list().map((pass) => pass.name);
  const words = arch.map((n) => n.split(' ')[0]);
  return [...new Set([...arch, ...words, ...[...GRAPH_PASSES, ...TRAIN_PASSES].map((pass) => pass.name)])];
}

function checkDebugOnly(only: readonly string[]): void {
  const known = debuggablePasses();
  for (const name of only) {
    if (known.includes(name)) continue;
    const near = suggest(name, known);
    throw new UsageError(`--debug-only: unknown pass '${name}'${near ? `; did you mean '${near}'?` : ''} (passes: ${known.join(', ')})`);
  }
}

/**
 * The `--debug` observer the options ask for, or undefined. `--debug-only` and `--debug-graph`
 * imply `--debug` (each asks for more of its output); an unknown pass name is a usage error with a
 * suggestion.
 */
export function debugObserverFor(p: ParsedCommand, ctx: Context): PassObserver | undefined {
  const only = listOption(p, 'debug-only');
  const graph = p.values['debug-graph'] === true;
  const debug = stringOption(p, 'debug') ?? (only.length > 0 || graph ? 'text' : undefined);
  if (debug === undefined) return undefined;
  if (debug !== 'text' && debug !== 'json' && debug !== 'diff') {
    throw new UsageError(`--debug: expected --debug, --debug=json or --debug=diff, got --debug=${debug}`);
  }
  checkDebugOnly(only);
  return debugObserver({
    format: debug === 'json' ? 'jsonl' : debug,
    only,
    graph,
    before: true,
    // Under --json, stdout carries only the JSON document.
    write: (chunk) => (wantsJson(p) ? ctx.io.err(chunk) : ctx.io.out(chunk)),
  });
}

/**
 * Runs `--pipeline` (if given) over the loaded networks; returns the resulting family. `observer`
 * (default: the one `--debug` asks for) sees every pass.
 */
export function applyPipelineOption(loaded: LoadedNetworks, p: ParsedCommand, ctx: Context, observer = debugObserverFor(p, ctx)): ArchIR[] {
  const text = stringOption(p, 'pipeline');
  if (text === undefined) return loaded.networks;

  const result = runPipelineText(loaded.networks, text, PIPELINE_ORIGIN, loaded.file, ctx.sources, observer);
  if (result.diagnostics.length > 0) ctx.io.err(formatDiagnostics(result.diagnostics, ctx.sources));
  return result.family;
}
