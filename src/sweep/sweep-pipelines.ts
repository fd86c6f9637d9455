// A sweep block's pipelines, run against every network they apply to (each network of the sweep,
// under each combination of its axes), as the sweep's runs will be built: `cull S9` on a network
// with two stages is reported by `hrn check` at the S9 of the block, not by `hrn sweep` later at a
// place in no file.

import { DiagnosticError, type Diagnostic, type SourceSpan } from '../diagnostics.js';
import { resolveNetwork, type HrnFile, type NetworkDecl, type Override, type SweepAxisStmt, type SweepValue } from '../parser/index.js';
import { runPipeline } from '../passes/manager.js';
import type { PipelineStep } from '../passes/types.js';

/** A pipeline as the block writes it, parsed. */
export interface SweepPipeline {
  value: SweepValue;
  steps: readonly PipelineStep[];
}

/** The overrides of each run the axes make: every combination (grid) or the i-th values together (list). */
function axisOverrides(axes: SweepAxisStmt[], mode: 'grid' | 'list'): Override[][] {
  const values = axes.map((a) => a.values!.map((v): Override => ({ name: a.param!.name, text: v.text, span: v.span, nameSpan: a.param!.span, value: v.value })));
  if (values.length === 0) return [[]];
  if (mode === 'list') return values[0].map((_, i) => values.map((vs) => vs[i]));
  let out: Override[][] = [[]];
  for (const vs of values) out = out.flatMap((prefix) => vs.map((v) => [...prefix, v]));
  return out;
}

const inside = (d: SourceSpan, v: SourceSpan) => d.file === v.file && d.line === v.line && d.col >= v.col && d.col < v.col + Math.max(1, v.length);

function pipelineDiagnostics(arch: Parameters<typeof runPipeline>[0], steps: readonly PipelineStep[], file: HrnFile): Diagnostic[] {
  const table = new Map<string, readonly PipelineStep[]>(file.pipelines.map((pl) => [pl.name, pl.steps]));
  try {
    return runPipeline(arch, steps, { pipelines: table }).diagnostics;
  } catch (e) {
    if (e instanceof DiagnosticError) return [...e.diagnostics];
    throw e;
  }
}

/** Reports each problem once (the same `cull S9` fails for every grid value), at the pipeline's text. */
export function checkSweepPipelines(
  pipes: SweepPipeline[],
  nets: NetworkDecl[],
  axes: SweepAxisStmt[],
  mode: 'grid' | 'list',
  file: HrnFile,
  sources: Map<string, string>,
  err: (span: SourceSpan, msg: string) => void,
): void {
  if (pipes.length === 0) return;
  const combos = axisOverrides(axes, mode);
  const found = new Map<string, { span: SourceSpan; net: string; from: string; message: string; sets: string[] }>();
  for (const overrides of combos) {
    for (const net of nets) {
      if (net.hasSyntaxErrors) continue;
      // A network that does not resolve says so itself (its declaration, or the axis value).
      const arch = resolveNetwork(net, overrides, sources).arch;
      if (!arch) continue;
      for (const pipe of pipes) {
        for (const d of pipelineDiagnostics(arch, pipe.steps, file)) {
          if (d.severity !== 'error') continue;
          const here = inside(d.span, pipe.value.span);
          const span = here ? d.span : pipe.value.span;
          const key = `${net.name}:${span.line}:${span.col}:${d.message}`;
          const from = here || d.span.file !== pipe.value.span.file ? '' : ` (line ${d.span.line})`;
          const entry = found.get(key) ?? { span, net: net.name, from, message: d.message, sets: [] };
          entry.sets.push(overrides.map((o) => `${o.name}=${o.text}`).join(', '));
          found.set(key, entry);
        }
      }
    }
  }
  for (const f of found.values()) {
    // Only when some values of the axes are fine is it worth saying which are not.
    const some = f.sets.length < combos.length ? ` with ${f.sets[0]}${f.sets.length > 1 ? ` (and ${f.sets.length - 1} more)` : ''}` : '';
    err(f.span, `pipelines: network '${f.net}'${some}${f.from}: ${f.message}`);
  }
}
