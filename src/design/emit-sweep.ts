// `hrn design --emit sweep`: chosen candidates as a `sweep` block (docs/language.md §8) to append to
// the .hrn file, so `hrn sweep FILE --sweep NAME` trains exactly them. A candidate's width and
// pipeline both live in its pipeline string (`equalize width pick=5x5x3x; scale 13/64; thin all`):
// a sweep crosses its axes with its pipelines, so a width written as a `grid m` axis would train
// every width with every pipeline, not the candidates.

import { DiagnosticError } from '../diagnostics.js';
import { runPipelineText } from '../driver.js';
import { UserError } from '../errors.js';
import type { ArchIR } from '../ir/arch.js';
import { countGraph } from '../ir/count.js';
import { lowerNetwork } from '../driver.js';
import { LIMITS } from '../ir/limits.js';
import type { HrnFile } from '../parser/index.js';
import type { DesignCandidate } from './design.js';

/** A name the language accepts for a sweep: letters, digits and `_`, inner dashes. */
export const SWEEP_NAME = /^[A-Za-z_][A-Za-z0-9_]*(-[A-Za-z0-9_]+)*$/;

export interface SweepBlockOptions {
  name: string;
  /** The declared network the candidates come from. */
  network: string;
  /** The `--set NAME=VALUE` the design was run with: each becomes a one-value axis. */
  set: readonly string[];
  /** A data spec for the block (`KIND:DIR`); absent: `hrn sweep` takes `--data`. */
  data?: string;
  /** The command that made the block, for its comment. */
  command: string;
  /** What the candidates are, for the comment ("on the latency Pareto front"). */
  chosen: string;
}

const count = (n: number) => n.toLocaleString('en-US');

/**
 * Checks that each candidate's steps rebuild it alone: a sweep run trains every network its
 * pipeline makes, so steps that make a family (an `equalize` without `pick=`, from a pipeline of
 * `--pipelines`) would train networks nobody chose.
 */
export function checkRebuilds(net: ArchIR, file: Pick<HrnFile, 'pipelines'>, sources: Map<string, string>, cs: readonly DesignCandidate[]): void {
  for (const c of cs) {
    if (c.steps === '') continue;
    let family: ArchIR[];
    try {
      family = runPipelineText(net, c.steps, '<design --emit sweep>', file, sources).family;
    } catch (e) {
      if (e instanceof DiagnosticError) throw new UserError(`--emit sweep: the steps of ${c.network} (m=${c.m}) do not rebuild it: ${e.diagnostics[0]?.message ?? e.message}`);
      throw e;
    }
    if (family.length !== 1) {
      throw new UserError(
        `--emit sweep: the steps of ${c.network} (m=${c.m}), '${c.steps}', make ${family.length} networks, and a sweep run trains every one; ` +
          'give --pipelines that make one network from each member (write equalize with pick=)',
      );
    }
    const relus = countGraph(lowerNetwork(family[0])).total.relus;
    if (relus !== c.relus) throw new UserError(`--emit sweep: the steps of ${c.network} (m=${c.m}) rebuild a network of ${count(relus)} ReLUs, not ${count(c.relus)}`);
  }
}

/** The block's text: a comment naming each candidate, then `sweep NAME { ... }`. */
export function sweepBlock(cs: readonly DesignCandidate[], o: SweepBlockOptions): string {
  if (cs.length === 0) throw new UserError('--emit sweep: no candidates to write');
  if (cs.length > LIMITS.sweepRuns) throw new UserError(`--emit sweep: ${count(cs.length)} candidates, above the limit of ${count(LIMITS.sweepRuns)} runs in one sweep; narrow the design (--max-latency, --tolerance, --pipelines)`);
  const lines = [
    `# ${cs.length} candidate${cs.length === 1 ? '' : 's'} ${o.chosen}, from`,
    `#   ${o.command}`,
    ...cs.map((c) => `#   ${c.network} m=${c.m} ${c.pipeline}: ${count(c.relus)} ReLUs, ${c.totalLatencySeconds.toFixed(1)} s PI latency`),
    `sweep ${o.name} {`,
    `  network   ${o.network}`,
  ];
  for (const s of o.set) {
    const eq = s.indexOf('=');
    lines.push(`  grid      ${s.slice(0, eq).trim()} = [${s.slice(eq + 1).trim()}]`);
  }
  lines.push('  pipelines [');
  cs.forEach((c, i) => lines.push(`    ${c.steps === '' ? 'none' : `"${c.steps}"`}${i < cs.length - 1 ? ',' : ''}`));
  lines.push('  ]');
  lines.push('  seeds     [0]');
  if (o.data !== undefined) lines.push(`  data      "${o.data}"`);
  lines.push('}');
  return lines.join('\n');
}
