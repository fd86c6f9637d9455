// The HE latency of each run of a report (the GC latency follows from its ReLUs alone). A run
// planned since the latency was recorded carries it in result.json; an older one gets it by
// building its network again from run.json, if the source still makes the network that was
// trained (the same layer-graph hash), else it has none.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DiagnosticError } from '../diagnostics.js';
import { UserError } from '../errors.js';
import type { RunConfig } from '../sweep/expand.js';
import { buildRunNetwork } from '../sweep/network.js';
import { RUN_FILE, type RunResult } from '../sweep/store.js';

/** run.json holds what building the network needs (a hand-edited one may not). */
function isRunSource(v: unknown): v is RunConfig {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  const str = (k: string) => typeof r[k] === 'string';
  return str('source') && str('declared') && str('network') && str('networkHash') && (r.pipeline === null || str('pipeline')) && Array.isArray(r.set) && r.set.every((x) => typeof x === 'string');
}

function rebuilt(runDir: string, sources: Map<string, string>): number | undefined {
  const file = join(runDir, RUN_FILE);
  if (!existsSync(file)) return undefined;
  let run: RunConfig;
  try {
    run = JSON.parse(readFileSync(file, 'utf8')) as RunConfig;
  } catch {
    return undefined;
  }
  if (!isRunSource(run)) return undefined;
  try {
    const built = buildRunNetwork({ source: run.source, set: run.set, declared: run.declared, network: run.network, pipeline: run.pipeline }, sources);
    return built.hash === run.networkHash ? built.stats.piCost.heLatencySeconds : undefined;
  } catch (e) {
    // The source moved, or no longer makes that network: no latency rather than a wrong one.
    if (e instanceof UserError || e instanceof DiagnosticError) return undefined;
    throw e;
  }
}

/** HE latency by run id, for the runs whose latency is known; `runDir` says where a run's files are. */
export function heLatencies(runDir: (id: string) => string, results: readonly RunResult[]): Map<string, number> {
  const sources = new Map<string, string>();
  const out = new Map<string, number>();
  for (const r of results) {
    const he = typeof r.heLatencySeconds === 'number' && Number.isFinite(r.heLatencySeconds) ? r.heLatencySeconds : rebuilt(runDir(r.id), sources);
    if (he !== undefined) out.set(r.id, he);
  }
  return out;
}
