// `hrn design FILE --relus N`: the candidates near a ReLU budget (family member x base width x
// pipeline), with their counts and private-inference latency, the latency Pareto front marked;
// `--emit sweep` writes the chosen ones as a sweep block. See docs/experiments.md, "Design to a budget".

import { DataError } from '../../data/errors.js';
import { parseDataSpec } from '../../data/spec.js';
import { designNetwork, type DesignCandidate, type DesignResult } from '../../design/design.js';
import { checkRebuilds, SWEEP_NAME, sweepBlock } from '../../design/emit-sweep.js';
import { designPipelines, STANDARD_PIPELINES, type DesignPipeline } from '../../design/pipelines.js';
import { failOnErrors } from '../../driver.js';
import { parsePipelineText } from '../../parser/index.js';
import { EXIT_OK, UsageError } from '../../errors.js';
import { millions } from '../../ir/print.js';
import { FLOPS_CONVENTION } from '../../ir/stats.js';
import { loadNetworks } from '../../source-file.js';
import { flag, listOption, stringOption, type ParsedCommand } from '../args.js';
import { SOURCE_OPTIONS, type Command } from '../command.js';
import { seconds } from '../format.js';
import { jsonDocument, JSON_OPTION, wantsJson } from '../json.js';
import { COMMAND_SUMMARIES } from '../summaries.js';

const count = (n: number) => n.toLocaleString('en-US');

function positiveNumber(p: ParsedCommand, name: string, what: string): number | undefined {
  const v = stringOption(p, name);
  if (v === undefined) return undefined;
  const n = Number(v.replace(/_/g, ''));
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`design: --${name}: expected ${what}, got '${v}'`);
  return n;
}

function budget(p: ParsedCommand): number {
  const n = positiveNumber(p, 'relus', 'a positive whole number of ReLUs');
  if (n === undefined) throw new UsageError('design: --relus N is required (the ReLU budget)');
  if (!Number.isInteger(n)) throw new UsageError(`design: --relus: expected a positive whole number of ReLUs, got '${stringOption(p, 'relus')}'`);
  return n;
}

/** Aligned columns: names and pipelines to the left, numbers to the right. */
function table(header: string[], rows: string[][], left: ReadonlySet<number>): string {
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i].length)));
  const line = (r: string[]) => r.map((cell, i) => (left.has(i) ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function formatDesign(r: DesignResult): string {
  const tol = `${+(r.tolerance * 100).toFixed(2)}%`;
  const span = `${count(Math.ceil(r.relus * (1 - r.tolerance)))}-${count(Math.floor(r.relus * (1 + r.tolerance)))}`;
  const cap = r.maxLatencySeconds === undefined ? '' : `, total latency at most ${seconds(r.maxLatencySeconds)}`;
  const lines = [
    `${r.network}: ${r.candidates.length} candidate${r.candidates.length === 1 ? '' : 's'} with ${count(r.relus)} ReLUs within ${tol} (${span})${cap}`,
    `  members: ${r.members.join(', ')}${r.familyProblem === undefined ? '' : ` (no HybReNet family: ${r.familyProblem})`}`,
    `  pipelines: ${r.pipelines.join(' | ')}`,
  ];
  if (r.candidates.length > 0) {
    const rows = r.candidates.map((c: DesignCandidate) => [
      c.network,
      String(c.m),
      c.pipeline,
      count(c.relus),
      millions(c.flops),
      count(c.params),
      seconds(c.gcLatencySeconds),
      seconds(c.heLatencySeconds),
      seconds(c.totalLatencySeconds),
      c.pareto ? '*' : '',
    ]);
    lines.push('', table(['network', 'm', 'pipeline', 'ReLUs', 'FLOPs', 'params', 'GC latency', 'HE latency', 'total', 'Pareto'], rows, new Set([0, 2, 9])));
    lines.push('', `* on the latency Pareto front: no other candidate has as few ReLUs at as low a total latency.`);
    lines.push(`FLOPs count ${FLOPS_CONVENTION}; latency is one private inference (GC for ReLUs, HE for linear layers), as hrn stats prints it.`);
  }
  for (const s of r.skipped) lines.push(`  skipped ${s.member} with '${s.pipeline}': ${s.reason}`);
  return lines.join('\n');
}

function sweepName(p: ParsedCommand, relus: number): string {
  const name = stringOption(p, 'name') ?? `design_${relus}`;
  if (!SWEEP_NAME.test(name)) throw new UsageError(`design: --name: '${name}' is not a sweep name (letters, digits and _, inner dashes, not starting with a digit)`);
  return name;
}

function dataOption(p: ParsedCommand): string | undefined {
  const data = stringOption(p, 'data');
  if (data === undefined) return undefined;
  try {
    parseDataSpec(data);
  } catch (e) {
    if (e instanceof DataError) throw new UsageError(`design: --data: ${e.message}`);
    throw e;
  }
  return data;
}

/**
 * Each --pipelines entry parsed before any search: a mistake in the text is one diagnostic with a
 * caret, not the same failure reported for every member.
 */
function checkPipelineSyntax(pipelines: readonly DesignPipeline[], sources: Map<string, string>): void {
  pipelines.forEach((pl, i) => {
    if (pl.text === null) return;
    const origin = pipelines.length === 1 ? '<--pipelines>' : `<--pipelines #${i + 1}>`;
    sources.set(origin, pl.text);
    failOnErrors(parsePipelineText(pl.text, origin).diagnostics);
  });
}

/** The command as the user could type it again, for the sweep block's comment. */
function commandLine(p: ParsedCommand): string {
  const quote = (v: string) => (/^[A-Za-z0-9_./:=+-]+$/.test(v) ? v : `'${v}'`);
  const words = ['hrn', 'design', ...p.positionals.map(quote)];
  for (const [name, v] of Object.entries(p.values)) {
    for (const x of Array.isArray(v) ? v : [v]) {
      if (x === true) words.push(`--${name}`);
      else if (typeof x === 'string') words.push(`--${name}`, quote(x));
    }
  }
  return words.join(' ');
}

export const design: Command = {
  spec: {
    name: 'design',
    summary: COMMAND_SUMMARIES.design,
    usage: 'hrn design FILE --relus N [--tolerance PCT] [--max-latency S] [--pipelines P|P...] [--front] [--json | --emit sweep [--all] [--name NAME] [--data KIND:DIR]]',
    options: {
      ...SOURCE_OPTIONS,
      relus: { type: 'string', value: 'N', help: 'the ReLU budget (required)' },
      tolerance: { type: 'string', value: 'PCT', help: 'how far from the budget a candidate may land, in percent (default 10)' },
      'max-latency': { type: 'string', value: 'S', help: 'drop candidates whose total private-inference latency is above S seconds' },
      front: { type: 'boolean', help: 'list only the candidates on the latency Pareto front' },
      pipelines: { type: 'string', multiple: true, value: 'P', help: "pipelines to try instead of the standard set (repeatable; several in one value separated by '|'; 'none' for the network as declared)" },
      ...JSON_OPTION,
      emit: { type: 'string', value: 'sweep', help: 'print the chosen candidates as a sweep block to append to FILE, instead of the table' },
      all: { type: 'boolean', help: 'with --emit sweep: every candidate, not only the Pareto front' },
      name: { type: 'string', value: 'NAME', help: 'with --emit sweep: the sweep block name (default design_N)' },
      data: { type: 'string', value: 'KIND:DIR', help: 'with --emit sweep: the data set the block names (else hrn sweep needs --data)' },
    },
    positionals: { min: 1, max: 1 },
    details: [
      'Candidates: the network and its HybReNet family (equalize width), each at every base width m',
      "whose exact ReLU count lands within the tolerance, through each pipeline. Standard pipelines:",
      ...STANDARD_PIPELINES.map((t) => `  ${t}`),
      'Nothing is trained; latency is the PI cost model of hrn stats (docs/pi-cost.md).',
    ].join('\n'),
  },
  async run(p, ctx) {
    const relus = budget(p);
    const tolerance = (positiveNumber(p, 'tolerance', 'a positive percentage') ?? 10) / 100;
    if (tolerance >= 1) throw new UsageError(`design: --tolerance: expected a percentage below 100, got '${stringOption(p, 'tolerance')}'`);
    const maxLatencySeconds = positiveNumber(p, 'max-latency', 'a positive number of seconds');
    const emit = stringOption(p, 'emit');
    if (emit !== undefined && emit !== 'sweep') throw new UsageError(`design: --emit takes 'sweep', got '${emit}'`);
    if (emit !== undefined && wantsJson(p)) throw new UsageError('design: --emit sweep and --json are two outputs; pick one');
    if (emit !== undefined && flag(p, 'front')) throw new UsageError('design: --emit sweep writes the Pareto front already (--all: every candidate); --front is for the table');
    for (const o of ['all', 'name', 'data']) if (emit === undefined && p.values[o] !== undefined) throw new UsageError(`design: --${o} goes with --emit sweep`);
    const set = listOption(p, 'set');
    const loaded = loadNetworks(p.positionals[0], ctx.sources, { set, network: stringOption(p, 'network') });
    const pipelines = designPipelines(listOption(p, 'pipelines'));
    if (pipelines.length === 0) throw new UsageError("design: --pipelines names no pipeline (write 'none' for the network as declared)");
    checkPipelineSyntax(pipelines, ctx.sources);
    const opts = { relus, tolerance, pipelines, maxLatencySeconds };

    if (emit === 'sweep') {
      if (loaded.networks.length > 1) throw new UsageError(`design: --emit sweep writes one network's candidates; the file defines ${loaded.networks.map((n) => n.name).join(', ')}: pick one with --network`);
      const name = sweepName(p, relus);
      if (loaded.file.sweeps.some((s) => s.name === name)) throw new UsageError(`design: ${p.positionals[0]} already has a sweep named '${name}'; give another with --name`);
      const data = dataOption(p);
      const net = loaded.networks[0];
      const r = designNetwork(net, loaded.file, ctx.sources, opts);
      const chosen = flag(p, 'all') ? r.candidates : r.candidates.filter((c) => c.pareto);
      checkRebuilds(net, loaded.file, ctx.sources, chosen);
      const what = `${flag(p, 'all') ? 'within' : 'on the latency Pareto front within'} ${+(tolerance * 100).toFixed(2)}% of ${count(relus)} ReLUs`;
      ctx.io.out(sweepBlock(chosen, { name, network: net.name, set, data, command: commandLine(p), chosen: what }));
      ctx.io.err(`wrote sweep '${name}' (${chosen.length} runs per seed) to stdout; append it to ${p.positionals[0]} and run: hrn sweep ${p.positionals[0]} --sweep ${name}${data === undefined ? ' --data KIND:DIR' : ''}`);
      return EXIT_OK;
    }
    const results = loaded.networks.map((net) => designNetwork(net, loaded.file, ctx.sources, opts));
    if (flag(p, 'front')) for (const r of results) r.candidates = r.candidates.filter((c) => c.pareto);
    if (wantsJson(p)) ctx.io.out(jsonDocument('design', results));
    else ctx.io.out(results.map(formatDesign).join('\n\n'));
    return EXIT_OK;
  },
};
