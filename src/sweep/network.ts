// Builds the one network a run trains: a network of a .hrn file with `--set` values, through a
// pipeline (a name from the file, a built-in one, or steps as text), all through the compiler driver (src/driver.ts) as the
// commands build theirs. Problems come back as diagnostics with carets, or a one-line UserError.

import { failOnErrors, lowerNetwork, runPipelineText, type LoadedNetworks } from '../driver.js';
import type { ArchIR } from '../ir/arch.js';
import { networkStats, type NetworkStats } from '../ir/stats.js';
import { loadNetworks } from '../source-file.js';
import { networkHash } from '../train/checkpoint.js';
import { UserError } from '../errors.js';
import type { LayerGraph } from '../ir/graph.js';
import { DiagnosticError } from '../diagnostics.js';
import { canonicalJson } from '../util/canonical-json.js';

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
  return pipeline === null ? loaded.networks : applyPipeline(loaded, pipeline, sources);
}

function applyPipeline(loaded: LoadedNetworks, pipeline: string, sources: Map<string, string>): ArchIR[] {
  const r = runPipelineText(loaded.networks, pipeline, `<pipeline ${pipeline}>`, loaded.file, sources);
  failOnErrors(r.diagnostics);
  return r.family;
}

/** The member of a pipeline's output that a run trains; exactly one must come out. */
function runMember(nets: ArchIR[], r: RunNetworkSource): ArchIR {
  const arch = nets.length === 1 ? nets[0] : nets.find((n) => n.name === r.network);
  if (!arch) throw new UserError(`${r.source}: the pipeline '${r.pipeline}' turns ${r.declared} into ${nets.length} networks (${nets.map((n) => n.name).join(', ')}); a run trains one`);
  return arch;
}

function describeNetwork(arch: ArchIR): BuiltNetwork {
  const graph = lowerNetwork(arch);
  return { arch, graph, hash: networkHash(graph), stats: networkStats(arch, graph) };
}

/** The network of one run; exactly one must come out. */
export function buildRunNetwork(r: RunNetworkSource, sources: Map<string, string>): BuiltNetwork {
  return describeNetwork(runMember(buildNetworks(r.source, r.set, r.declared, r.pipeline, sources), r));
}

/**
 * The networks of a sweep's runs, as buildNetworks and buildRunNetwork make them, with the work
 * shared: axis values that leave a network as it was (a param it does not use, `4` and `2*2`) give
 * the same resolved network, whose pipeline is then run once, and each trained network is lowered
 * once however many seeds train it. One instance serves the runs of one file.
 */
export class SweepNetworks {
  private readonly families = new Map<string, ArchIR[] | DiagnosticError | UserError>();
  private readonly built = new Map<string, BuiltNetwork>();

  constructor(
    private readonly file: string,
    private readonly sources: Map<string, string>,
  ) {}

  family(set: string[], declared: string, pipeline: string | null): ArchIR[] {
    const loaded = loadNetworks(this.file, this.sources, { set, network: declared });
    if (pipeline === null) return loaded.networks;
    const key = canonicalJson([loaded.networks, pipeline]);
    let family = this.families.get(key);
    if (family === undefined) {
      try {
        family = applyPipeline(loaded, pipeline, this.sources);
      } catch (e) {
        // The same pipeline fails the same way on the same network, for every axis value that gives it.
        if (!(e instanceof DiagnosticError || e instanceof UserError)) throw e;
        family = e;
      }
      this.families.set(key, family);
    }
    if (!Array.isArray(family)) throw family;
    return family;
  }

  /** The network a run trains, without lowering it. */
  member(r: Omit<RunNetworkSource, 'source'>): ArchIR {
    return runMember(this.family(r.set, r.declared, r.pipeline), { ...r, source: this.file });
  }

  run(family: ArchIR[], r: RunNetworkSource): BuiltNetwork {
    const arch = runMember(family, r);
    const key = canonicalJson(arch);
    let built = this.built.get(key);
    if (built === undefined) {
      built = describeNetwork(arch);
      this.built.set(key, built);
    }
    return built;
  }
}
