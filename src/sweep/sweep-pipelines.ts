// A sweep block's pipelines, run against every network they apply to (each network of the sweep,
// under each combination of its axes, each distinct one once), as the sweep's runs will be built:
// `cull S9` on a network with two stages is reported by `hrn check` at the S9 of the block, not by
// `hrn sweep` later at a place in no file.

import { DiagnosticError, type Diagnostic, type SourceSpan } from '../diagnostics.js';
import { resolveNetwork, type HrnFile, type NetworkDecl, type Override, type SweepAxisStmt, type SweepValue } from '../parser/index.js';
import { runPipelineSteps } from '../driver.js';
import type { PipelineStep } from '../passes/types.js';
import type { ArchIR } from '../ir/arch.js';
import { canonicalJson } from '../util/canonical-json.js';

/** A pipeline as the block writes it, parsed. */
export interface SweepPipeline {
  value: SweepValue;
  steps: readonly PipelineStep[];
}

/**
 * The overrides of each run the axes make, one combination at a time (the caller has bounded their
 * number): every combination (grid) or the i-th values together (list).
 */
function* axisOverrides(axes: SweepAxisStmt[], mode: 'grid' | 'list'): Generator<Override[]> {
  const values = axes.map((a) => a.values!.map((v): Override => ({ name: a.param!.name, text: v.text, span: v.span, nameSpan: a.param!.span, value: v.value })));
  if (values.length === 0) {
    yield [];
    return;
  }
  if (mode === 'list') {
    for (let i = 0; i < values[0].length; i++) yield values.map((vs) => vs[i]);
    return;
  }
  const at = values.map(() => 0);
  for (;;) {
    yield values.map((vs, a) => vs[at[a]]);
    let a = values.length - 1;
    while (a >= 0 && ++at[a] === values[a].length) at[a--] = 0;
    if (a < 0) return;
  }
}

const inside = (d: SourceSpan, v: SourceSpan) => d.file === v.file && d.line === v.line && d.col >= v.col && d.col < v.col + Math.max(1, v.length);

/** What a pipeline does to one resolved network: its errors, and how many runs it makes of it. */
interface PipelineOutcome {
  errors: Diagnostic[];
  members: number;
}

function pipelineOutcome(arch: ArchIR, steps: readonly PipelineStep[], file: HrnFile): PipelineOutcome {
  try {
    const r = runPipelineSteps(arch, steps, file);
    // Members of one name are one run (buildRunNetwork trains the first of them).
    return { errors: r.diagnostics.filter((d) => d.severity === 'error'), members: new Set(r.family.map((n) => n.name)).size };
  } catch (e) {
    if (e instanceof DiagnosticError) return { errors: e.diagnostics.filter((d) => d.severity === 'error'), members: 0 };
    throw e;
  }
}

/**
 * Reports each problem once (the same `cull S9` fails for every grid value), at the pipeline's text.
 * Each pipeline runs once per distinct network the axes resolve to: values that leave a network as
 * it was share the answer. Returns how many networks the sweep trains per seed: one for each
 * network and combination of `plain` pipelines (those without steps), and each member of the family
 * a pipeline makes.
 */
export function checkSweepPipelines(
  pipes: SweepPipeline[],
  plain: number,
  nets: NetworkDecl[],
  axes: SweepAxisStmt[],
  mode: 'grid' | 'list',
  file: HrnFile,
  sources: Map<string, string>,
  err: (span: SourceSpan, msg: string) => void,
): number {
  if (pipes.length === 0) return 0;
  const found = new Map<string, { span: SourceSpan; net: string; from: string; message: string; sets: string[] }>();
  const outcomes = new Map<string, PipelineOutcome[]>();
  let combos = 0;
  let networks = 0;
  for (const overrides of axisOverrides(axes, mode)) {
    combos++;
    for (const net of nets) {
      if (net.hasSyntaxErrors) continue;
      // A network that does not resolve says so itself (its declaration, or the axis value).
      const arch = resolveNetwork(net, overrides, sources).arch;
      if (!arch) continue;
      const key = canonicalJson(arch);
      let results = outcomes.get(key);
      if (results === undefined) {
        results = pipes.map((pipe) => pipelineOutcome(arch, pipe.steps, file));
        outcomes.set(key, results);
      }
      networks += plain;
      pipes.forEach((pipe, i) => {
        networks += results[i].members;
        for (const d of results[i].errors) {
          const here = inside(d.span, pipe.value.span);
          const span = here ? d.span : pipe.value.span;
          const problem = `${net.name}:${span.line}:${span.col}:${d.message}`;
          const from = here || d.span.file !== pipe.value.span.file ? '' : ` (line ${d.span.line})`;
          const entry = found.get(problem) ?? { span, net: net.name, from, message: d.message, sets: [] };
          entry.sets.push(overrides.map((o) => `${o.name}=${o.text}`).join(', '));
          found.set(problem, entry);
        }
      });
    }
  }
  for (const f of found.values()) {
    // Only when some values of the axes are fine is it worth saying which are not.
    const some = f.sets.length < combos ? ` with ${f.sets[0]}${f.sets.length > 1 ? ` (and ${f.sets.length - 1} more)` : ''}` : '';
    err(f.span, `pipelines: network '${f.net}'${some}${f.from}: ${f.message}`);
  }
  return networks;
}
