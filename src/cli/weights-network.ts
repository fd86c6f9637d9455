// The network that goes with a set of weights. A training checkpoint records how its network was
// built (the .hrn file, --set, --network and --pipeline), so `hrn infer` and `hrn export` given
// only `--weights RUN` rebuild exactly that network; anything given on the command line wins.
// Weights that do not fit get one line naming the first differing tensor.

import { existsSync, statSync } from 'node:fs';
import type { ArchIR } from '../ir/arch.js';
import type { LayerGraph } from '../ir/graph.js';
import { lowerNetwork } from '../driver.js';
import { checkpointOfRun } from '../train/loop.js';
import { loadCheckpoint, loadWeightsFrom, networkHash, type CheckpointState } from '../train/checkpoint.js';
import { assertFiniteWeights, checkWeights, type Weights } from '../weights/index.js';
import { listOption, stringOption, type ParsedCommand } from './args.js';
import type { Context } from './command.js';
import { UsageError, UserError } from '../errors.js';
import { loadNetworks } from '../source-file.js';
import { applyPipelineOption } from './pipeline.js';

/** What `hrn train` records in a checkpoint's state.json `extra` about its network. */
export interface NetworkRecord {
  source?: string;
  set?: string[];
  network?: string;
  pipeline?: string;
}

export interface ResolvedNetwork {
  net: ArchIR;
  graph: LayerGraph;
  /** The pipeline text the network came from ('' for none). */
  pipeline: string;
  /** True when FILE came from the checkpoint's record rather than the command line. */
  recorded: boolean;
}

/** The checkpoint directory `path` names (a run directory or the checkpoint itself), or undefined for a weights file. */
function checkpointDir(path: string): string | undefined {
  const dir = checkpointOfRun(path);
  return (existsSync(dir) && statSync(dir).isDirectory()) || existsSync(`${dir}.prev`) ? dir : undefined;
}

export interface LoadedWeights {
  weights: Weights;
  /** The checkpoint state, when the weights come from a checkpoint. */
  state?: CheckpointState;
  path: string;
}

/** Reads `--weights`: a run directory, a checkpoint directory, or a .safetensors file. */
export function loadWeightsOption(path: string): LoadedWeights {
  const dir = checkpointDir(path);
  if (dir === undefined) return { weights: loadWeightsFrom(path), path };
  const ck = loadCheckpoint(dir, { weightsOnly: true });
  return { weights: ck.weights, state: ck.state, path: ck.path };
}

/**
 * The network of the command: FILE (positional) with --set, --network and --pipeline, or, with no
 * FILE, what the checkpoint recorded (each option given on the command line still wins).
 */
export function resolveNetworkFor(p: ParsedCommand, ctx: Context, state: CheckpointState | undefined, command: string): ResolvedNetwork {
  const rec = (state?.extra ?? {}) as NetworkRecord;
  const file = p.positionals[0];
  const recorded = file === undefined;
  if (recorded && rec.source === undefined) {
    throw new UsageError(`${command}: give the .hrn FILE (the weights do not record their network; only checkpoints of hrn train do)`);
  }
  const path = file ?? rec.source!;
  const given = (name: string) => p.values[name] !== undefined;
  const set = given('set') || !recorded ? listOption(p, 'set') : (rec.set ?? []);
  const network = given('network') || !recorded ? stringOption(p, 'network') : rec.network;
  const pipeline = given('pipeline') || !recorded ? stringOption(p, 'pipeline') : rec.pipeline;
  const loaded = loadNetworks(path, ctx.sources, { set, network });
  const nets = applyPipelineOption(loaded, { ...p, values: { ...p.values, pipeline } }, ctx);
  if (nets.length !== 1) {
    throw new UserError(`${command} needs one network; ${path}${pipeline ? ' with this --pipeline' : ''} gives ${nets.length} (${nets.map((n) => n.name).join(', ')}): pick one with --network`);
  }
  return { net: nets[0], graph: lowerNetwork(nets[0]), pipeline: pipeline ?? '', recorded };
}

/**
 * Refuses weights that do not fit the network (one line, the first differing tensor), that hold
 * NaN or infinity, or, from a checkpoint, that were trained for another network with the same
 * tensors (a different ReLU placement).
 */
export function checkWeightsFit({ graph, recorded }: ResolvedNetwork, w: LoadedWeights): void {
  try {
    checkWeights(graph, w.weights, w.path);
    assertFiniteWeights(w.weights, w.path);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  if (w.state && w.state.network.hash !== networkHash(graph)) {
    const rec = (w.state.extra ?? {}) as NetworkRecord;
    const how = rec.pipeline ? ` with --pipeline "${rec.pipeline}"` : ' with no --pipeline';
    const hint = recorded ? `${rec.source ?? 'its .hrn file'} has changed since training` : 'omit FILE to use the recorded network';
    throw new UserError(`${w.path}: was trained for network ${w.state.network.name}${how}; its tensors fit ${graph.name} but the ReLU placement differs (${hint})`);
  }
}
