// Builds the one network a run trains: a network of a .hrn file with `--set` values, through a
// pipeline (a name from the file, a built-in one, or steps as text). Problems come back as the
// CLI's errors (diagnostics with carets, or a one-line UserError).

import type { ArchIR } from '../ir/arch.js';
import type { LayerGraph } from '../ir/graph.js';
import { lowerToGraph } from '../ir/lower.js';
import { networkStats, type NetworkStats } from '../ir/stats.js';
import { parsePipelineText } from '../parser/index.js';
import { runPipeline } from '../passes/manager.js';
import type { PipelineStep } from '../passes/types.js';
import { networkHash } from '../train/checkpoint.js';
import { failOnErrors, loadNetworks } from '../cli/load.js';
import { UserError } from '../cli/errors.js';

export interface RunNetworkSource {
  source: string;
  set: string[];
  /** The network as the file declares it. */
  declared: string;
  /** The network trained: `declared` itself, or the pipeline's output of that name. */
  network: string;
  pipeline: string | null;
}

export interface BuiltNetwork {
  arch: ArchIR;
  graph: LayerGraph;
  hash: string;
  stats: NetworkStats;
}

/** The names of the networks `file` declares. */
export function declaredNetworks(file: string, sources: Map<string, string>): string[] {
  return loadNetworks(file, sources, { set: [] }).file.networks.map((n) => n.name);
}

/** The network `declared` of `file` under `set`, through `pipeline` (which may make a family). */
export function buildNetworks(file: string, set: string[], declared: string, pipeline: string | null, sources: Map<string, string>): ArchIR[] {
  const loaded = loadNetworks(file, sources, { set, network: declared });
  if (pipeline === null) return loaded.networks;
  const origin = `<pipeline ${pipeline}>`;
  sources.set(origin, pipeline);
  const parsed = parsePipelineText(pipeline, origin);
  failOnErrors(parsed.diagnostics);
  const table = new Map<string, readonly PipelineStep[]>(loaded.file.pipelines.map((pl) => [pl.name, pl.steps]));
  const r = runPipeline(loaded.networks, parsed.steps, { pipelines: table });
  failOnErrors(r.diagnostics);
  return r.family;
}

/** The network of one run; exactly one must come out. */
export function buildRunNetwork(r: RunNetworkSource, sources: Map<string, string>): BuiltNetwork {
  const nets = buildNetworks(r.source, r.set, r.declared, r.pipeline, sources);
  const arch = nets.length === 1 ? nets[0] : nets.find((n) => n.name === r.network);
  if (!arch) throw new UserError(`${r.source}: the pipeline '${r.pipeline}' turns ${r.declared} into ${nets.length} networks (${nets.map((n) => n.name).join(', ')}); a run trains one`);
  const graph = lowerToGraph(arch);
  return { arch, graph, hash: networkHash(graph), stats: networkStats(arch, graph) };
}
