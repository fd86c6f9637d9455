// Expands a sweep into runs. Each run has an id derived from its exact configuration: the trained
// network's hash (its layer graph, so the --set values and the pipeline's effect are in it), the
// pipeline as written, the seed, the data set, every training setting and, for a distilled run,
// the teacher (its network and weights) and the loss. The same configuration gets the same id in
// every invocation and on every machine; any change gives a new one. The id reads as the run's
// label, its hash and its seed (`Tiny-m=4-3f2a...-s0`); runs directories made before the seed was
// shown keep their ids (legacyRunId, RunStore.adoptLegacyIds).

import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { axisCombinationCount, familyRunsProblem, sweepSizeProblem, type SweepSpec } from './spec.js';
import { sweepPoints } from './points.js';
import type { LossSpec } from '../codegen/kernels/index.js';
import { teacherIdentity, type TeacherIdentity } from './teacher.js';
import type { TrainSettings } from '../train/settings.js';
import { declaredNetworks, SweepNetworks } from './network.js';
import { LIMITS } from '../ir/limits.js';
import { canonicalJson } from '../util/canonical-json.js';
import { DiagnosticError, type Diagnostic } from '../diagnostics.js';
import { UserError } from '../errors.js';

export interface RunCounts {
  relus: number;
  flops: number;
  params: number;
  /** ReLUs per stage (stem in S1). */
  reluStages: Record<string, number>;
  /** HE latency of the linear layers (src/ir/he-cost.ts); absent in runs planned before it was recorded. */
  heLatencySeconds?: number;
}

export interface RunConfig {
  id: string;
  /** Readable: network, --set values, pipeline, seed. */
  label: string;
  sweep: string;
  /** Absolute path of the .hrn file. */
  source: string;
  /** The network as the file declares it, and the one trained (a pipeline may rename it). */
  declared: string;
  network: string;
  set: string[];
  pipeline: string | null;
  seed: number;
  data: string;
  train: TrainSettings;
  /** The trained network's hash (checkpoint identity). */
  networkHash: string;
  counts: RunCounts;
  /** Distillation: the teacher (as given, and which checkpoint it was when planned) and the loss. */
  kd?: RunDistillation;
}

export interface RunDistillation {
  teacher: string;
  teacherFile?: string;
  identity: TeacherIdentity;
  loss: LossSpec;
}

/** A label as a directory name: runs of other characters become one dash, at most 60 characters. */
function slug(label: string): string {
  return label
    .replace(/[^A-Za-z0-9.=_-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
}

/** A label's seed word (`seed3`), which the id shows at its end instead. */
const SEED_WORD = / seed\d+$/;

/**
 * `LABEL-HASH-sSEED`: the label without its seed (cut to 60 characters), the hash of the exact
 * configuration, and the seed, last, where a cut label cannot hide it.
 */
export function runId(label: string, identity: { networkHash: string; pipeline: string | null; seed: number; data: string; train: TrainSettings; kd?: { teacherNetwork: string; teacherWeights: string; loss: LossSpec } }): string {
  const hash = createHash('sha256').update(canonicalJson(identity)).digest('hex').slice(0, 12);
  return `${slug(label.replace(SEED_WORD, ''))}-${hash}-s${identity.seed}`;
}

/** The id the run had before ids showed the seed (`LABEL-HASH`, the seed inside the cut label), for runs directories made then. */
export function legacyRunId(run: Pick<RunConfig, 'id' | 'label'>): string {
  const hash = /-([0-9a-f]{12})-s\d+$/.exec(run.id)?.[1];
  return hash === undefined ? run.id : `${slug(run.label)}-${hash}`;
}

export function runLabel(network: string, set: string[], pipeline: string | null, seed: number): string {
  return [network, ...set, pipeline ?? '', `seed${seed}`].filter((s) => s !== '').join(' ');
}

/**
 * Every run of a sweep. A network or pipeline that cannot be built is reported together with all
 * the others (not the first one alone), before anything is trained: one DiagnosticError (or one
 * UserError when no problem has a place in a source). A sweep of more than LIMITS.sweepRuns runs is
 * refused, before its networks are built when its size is known from the spec alone, else as soon
 * as its pipelines' families pass the limit.
 */
export function expandSweep(spec: SweepSpec, sources: Map<string, string>): RunConfig[] {
  const source = resolve(spec.file);
  const runs: RunConfig[] = [];
  const seen = new Set<string>();
  const problems = new SweepProblems();
  const declaredNames = spec.networks.length > 0 ? spec.networks : declaredNetworks(spec.file, sources);
  const size = sweepSizeProblem({ networks: declaredNames.length, combinations: axisCombinationCount(spec), trials: spec.search !== undefined, pipelines: spec.pipelines.length, seeds: spec.seeds.length });
  if (size !== undefined) throw new UserError(size);
  const networks = new SweepNetworks(spec.file, sources);
  const kd: RunDistillation | undefined = spec.kd && { teacher: resolve(spec.kd.teacher), ...(spec.kd.teacherFile ? { teacherFile: resolve(spec.kd.teacherFile) } : {}), identity: teacherIdentity(spec.kd.teacher), loss: spec.kd.loss };
  for (const point of sweepPoints(spec)) {
    const set = point.set;
    const train = { ...spec.train, ...point.train };
    for (const pipeline of spec.pipelines) for (const declared of declaredNames) {
      problems.collect(() => {
        // A pipeline may turn one network into several (a family): each is a run.
        const family = networks.family(set, declared, pipeline);
        for (const network of family.map((n) => n.name)) {
          const built = networks.run(family, { source: spec.file, set, declared, network, pipeline });
          for (const seed of spec.seeds) {
            const label = runLabel(network, point.shown, pipeline, seed);
            // The teacher's identity, not the path it was given by, makes the run: the same teacher
            // reached by another path is the same run, a retrained one is a new run.
            const id = runId(label, { networkHash: built.hash, pipeline, seed, data: spec.data, train, kd: kd && { teacherNetwork: kd.identity.network, teacherWeights: kd.identity.weights, loss: kd.loss } });
            if (seen.has(id)) continue;
            seen.add(id);
            const s = built.stats;
            runs.push({
              id,
              label,
              sweep: spec.name,
              source,
              declared,
              network,
              set,
              pipeline,
              seed,
              data: spec.data,
              train,
              networkHash: built.hash,
              counts: { relus: s.relus.total, flops: s.flops.total, params: s.params.total, reluStages: s.relus.stages, heLatencySeconds: s.piCost.heLatencySeconds },
              ...(kd ? { kd } : {}),
            });
          }
        }
      });
      if (runs.length > LIMITS.sweepRuns) throw new UserError(familyRunsProblem(runs.length));
    }
  }
  problems.throwIfAny();
  return runs;
}

/** The problems of many builds, each told once (the same bad pipeline fails for every grid value). */
class SweepProblems {
  private readonly diagnostics = new Map<string, Diagnostic>();
  private readonly messages = new Set<string>();

  collect(build: () => void): void {
    try {
      build();
    } catch (e) {
      if (e instanceof DiagnosticError) {
        for (const d of e.diagnostics) this.diagnostics.set(`${d.span.file}:${d.span.line}:${d.span.col}:${d.severity}:${d.message}`, d);
      } else if (e instanceof UserError) this.messages.add(e.message);
      else throw e;
    }
  }

  throwIfAny(): void {
    // A message without a place (a missing file, an unknown network) is the same for every run;
    // it waits until the diagnostics are fixed.
    if (this.diagnostics.size > 0) throw new DiagnosticError([...this.diagnostics.values()]);
    if (this.messages.size > 0) throw new UserError([...this.messages].join('\n'));
  }
}
