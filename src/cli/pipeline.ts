// `--pipeline` and `--debug` for the commands that transform networks: parse the steps (a named
// pipeline of the file, a built-in one, or steps written inline), run them through the pass
// manager, and show every pass's output when asked.

import type { ArchIR } from '../ir/arch.js';
import { formatDiagnostics } from '../diagnostics.js';
import { parsePipelineText } from '../parser/index.js';
import { debugObserver } from '../passes/debug.js';
import { runPipeline } from '../passes/manager.js';
import type { PipelineStep } from '../passes/types.js';
import { listOption, stringOption, type OptionSpec, type ParsedCommand } from './args.js';
import type { Context } from './command.js';
import { failOnErrors, type LoadedSource } from './load.js';
import { UsageError } from './errors.js';
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
    value: '[=json]',
    help: 'after every pass print the IR, the per-stage table and what changed (=json: JSON lines)',
  },
  'debug-only': { type: 'string', multiple: true, value: 'PASS', help: 'limit --debug to these passes (repeatable)' },
  'debug-graph': { type: 'boolean', help: 'with --debug, also print the layer graph' },
};

const PIPELINE_ORIGIN = '<--pipeline>';

/** Runs `--pipeline` (if given) over the loaded networks; returns the resulting family. */
export function applyPipelineOption(loaded: LoadedSource, p: ParsedCommand, ctx: Context): ArchIR[] {
  const text = stringOption(p, 'pipeline');
  const debug = stringOption(p, 'debug');
  if (debug !== undefined && debug !== 'text' && debug !== 'json') {
    throw new UsageError(`--debug: expected --debug or --debug=json, got --debug=${debug}`);
  }
  if (text === undefined) return loaded.networks;

  ctx.sources.set(PIPELINE_ORIGIN, text);
  const parsed = parsePipelineText(text, PIPELINE_ORIGIN);
  failOnErrors(parsed.diagnostics);

  const table = new Map<string, readonly PipelineStep[]>(loaded.file.pipelines.map((pl) => [pl.name, pl.steps]));
  const observer =
    debug === undefined
      ? undefined
      : debugObserver({
          format: debug === 'json' ? 'jsonl' : 'text',
          only: listOption(p, 'debug-only'),
          graph: p.values['debug-graph'] === true,
          before: true,
          // Under --json, stdout carries only the JSON document.
          write: (chunk) => (wantsJson(p) ? ctx.io.err(chunk) : ctx.io.out(chunk)),
        });
  const result = runPipeline(loaded.networks, parsed.steps, { pipelines: table, observer });
  if (result.diagnostics.length > 0) ctx.io.err(formatDiagnostics(result.diagnostics, ctx.sources));
  return result.family;
}
