// The teacher of a distilled training (`--teacher RUN_DIR|CHECKPOINT`), for `hrn train` and for the
// runs of a sweep (`hrn criticality --teacher`): its network rebuilt from what its checkpoint
// records (the .hrn file, --set, --network, --pipeline; `teacherFile` replaces the file), and its
// weights checked against that network. A sweep's run records which teacher it distils from (the
// checkpoint's network hash and the SHA-256 of its weights), so a teacher retrained in place gives
// new run ids, and a run is never continued with another teacher than it started with.

import { resolve } from 'node:path';
import { lowerNetwork, runPipelineText } from '../driver.js';
import { UserError } from '../errors.js';
import type { TeacherSource } from '../launch/train.js';
import { loadNetworks } from '../source-file.js';
import { loadCheckpoint, loadCheckpointState, networkHash } from '../train/checkpoint.js';
import { checkpointOfRun } from '../train/run-dir.js';
import { checkWeights } from '../weights/weights.js';

/** What a checkpoint's state.json `extra` records about how its network was built. */
interface TeacherRecord {
  source?: string;
  set?: string[];
  network?: string;
  pipeline?: string;
}

/** Which teacher a run distils from: part of the run's identity. */
export interface TeacherIdentity {
  /** The checkpoint directory, absolute. */
  checkpoint: string;
  /** The teacher network's hash. */
  network: string;
  /** SHA-256 of its weights file. */
  weights: string;
}

/** The identity of the teacher at `path` (a run directory or a checkpoint), read from its state.json only. */
export function teacherIdentity(path: string): TeacherIdentity {
  const checkpoint = resolve(checkpointOfRun(path));
  try {
    const { state } = loadCheckpointState(checkpoint);
    return { checkpoint, network: state.network.hash, weights: state.files.weights.sha256 };
  } catch (e) {
    throw new UserError(`--teacher: ${(e as Error).message}`);
  }
}

/** The teacher at `path`: its network rebuilt and its weights, checked against each other. */
export function loadTeacher(path: string, teacherFile: string | undefined, sources: Map<string, string>): TeacherSource & { name: string; identity: TeacherIdentity } {
  let ck;
  try {
    ck = loadCheckpoint(checkpointOfRun(path));
  } catch (e) {
    throw new UserError(`--teacher: ${(e as Error).message}`);
  }
  const rec = (ck.state.extra ?? {}) as TeacherRecord;
  const file = teacherFile ?? rec.source;
  if (!file) throw new UserError(`--teacher ${path}: the checkpoint does not record its .hrn file; give it with --teacher-file FILE`);
  const loaded = loadNetworks(file, sources, { set: teacherFile ? [] : (rec.set ?? []), network: teacherFile ? undefined : rec.network });
  const recorded = teacherFile ? undefined : rec.pipeline;
  const nets = recorded === undefined ? loaded.networks : runPipelineText(loaded.networks, recorded, '<teacher --pipeline>', loaded.file, sources).family;
  const graphs = nets.map((n) => lowerNetwork(n));
  const hit = graphs.find((g) => networkHash(g) === ck.state.network.hash) ?? (graphs.length === 1 ? graphs[0] : undefined);
  if (!hit) throw new UserError(`--teacher ${path}: none of the networks of ${file} is the one the checkpoint was trained for (${ck.state.network.name})`);
  try {
    checkWeights(hit, ck.weights, `teacher ${path}`);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const identity = { checkpoint: resolve(ck.path), network: ck.state.network.hash, weights: ck.state.files.weights.sha256 };
  return { graph: hit, weights: ck.weights, name: ck.state.network.name, identity };
}
