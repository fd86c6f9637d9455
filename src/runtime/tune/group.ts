// The dispatches of one kernel signature, cut out of a compiled plan so that they run on their own:
// the kernel (with a reduction's second level, or conv dW's reduction of its chunks, which its
// schedule decides too), the buffers they bind at the plan's sizes, what fills those buffers, and
// the ranges they write (what a candidate's result is compared on).

import { packParams } from '../../codegen/pack.js';
import type { Plan } from '../../codegen/plan-types.js';
import type { BindingType } from '../../codegen/kernels/index.js';
import type { DispatchSchedule } from '../../codegen/schedule/types.js';
import { familyOfKey } from '../../codegen/schedule/signature.js';
import type { TrainPlan } from '../../codegen/train/types.js';
import type { Weights } from '../../weights/weights.js';
import { flatParams, flatRunning } from '../trainer-state.js';

/** What a buffer holds before the group runs. */
export type GroupContents =
  /** The plan's own values: parameters packed for its kernels, dispatch arguments. */
  | { kind: 'given'; data: Float32Array | Uint32Array }
  | { kind: 'zeros' }
  /**
   * Seeded noise, the same for every buffer of the same `key` in every plan of a tuning run, so a
   * candidate reads what the profile's choice read.
   */
  | { kind: 'noise'; key: string };

export interface GroupBuffer {
  bytes: number;
  uniform: boolean;
  contents: GroupContents;
}

export interface GroupDispatch {
  kernel: { name: string; wgsl: string; entryPoint: string; types: BindingType[] };
  /** `buffer`: an index into the group's buffers. */
  bindings: { binding: number; buffer: number; offset?: number; size?: number }[];
  workgroups: [number, number, number];
}

/** A byte range of a group buffer that the group writes. */
export interface GroupOutput {
  buffer: number;
  offset: number;
  bytes: number;
}

export interface DispatchGroup {
  /** The first dispatch's label, for messages. */
  label: string;
  /** The schedule record of the first dispatch: what was chosen and where it came from. */
  record: DispatchSchedule;
  buffers: GroupBuffer[];
  dispatches: GroupDispatch[];
  outputs: GroupOutput[];
}

/** Whether a record is a signature's own dispatch, not the second level timed with it. */
export const isPrimary = (r: DispatchSchedule): boolean => !(r.schedule.family === 'reduction' && r.schedule.level === 2) && familyOfKey(r.signature) === r.schedule.family;

/** The first dispatch of `key` in a plan's records and the ones timed with it (its second level, right after it). */
function groupIndices(schedules: readonly DispatchSchedule[], key: string): { record: DispatchSchedule; dispatches: number[] } | undefined {
  const at = schedules.findIndex((r) => r.signature === key && isPrimary(r));
  if (at < 0) return undefined;
  const record = schedules[at];
  const dispatches = [record.dispatch];
  const next = schedules[at + 1];
  if (next && next.signature === key && !isPrimary(next) && next.dispatch === record.dispatch + 1) dispatches.push(next.dispatch);
  return { record, dispatches };
}

/** How many dispatches of each signature a plan has (its second levels not counted), in the plan's order. */
export function signatureCounts(plan: Plan | TrainPlan): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of plan.schedules) if (isPrimary(r)) out.set(r.signature, (out.get(r.signature) ?? 0) + 1);
  return out;
}

/** Collects a group's buffers, each plan buffer once. */
class BufferTable {
  readonly buffers: GroupBuffer[] = [];
  private readonly index = new Map<number, number>();

  at(id: number, make: () => GroupBuffer): number {
    let i = this.index.get(id);
    if (i === undefined) {
      i = this.buffers.length;
      this.buffers.push(make());
      this.index.set(id, i);
    }
    return i;
  }
}

/** Equal byte ranges once. */
function distinct(outputs: GroupOutput[]): GroupOutput[] {
  const seen = new Set<string>();
  return outputs.filter((o) => {
    const k = `${o.buffer}:${o.offset}:${o.bytes}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Parameter contents of inference plans, packed once per plan. */
const packedOf = new WeakMap<Plan, Map<number, Float32Array>>();

/** The group of `key` in an inference plan; parameters from `weights` (batch norm folded, packed as the plan's kernels read them). */
export function inferenceGroup(plan: Plan, key: string, weights: Weights): DispatchGroup | undefined {
  const found = groupIndices(plan.schedules, key);
  if (!found) return undefined;
  let params = packedOf.get(plan);
  if (!params) {
    params = packParams(plan, weights);
    packedOf.set(plan, params);
  }
  const table = new BufferTable();
  const outputs: GroupOutput[] = [];
  const dispatches = found.dispatches.map((i): GroupDispatch => {
    const d = plan.dispatches[i];
    const k = plan.kernels[d.kernel];
    const bindings = d.bindings.map((b) => {
      const pb = plan.buffers[b.buffer];
      const data = params.get(pb.id);
      const buffer = table.at(pb.id, () => ({ bytes: pb.bytes, uniform: false, contents: data ? { kind: 'given', data } : { kind: 'noise', key: `${pb.name}|${pb.bytes}` } }));
      if (b.write) outputs.push({ buffer, offset: 0, bytes: pb.bytes });
      return { binding: b.binding, buffer };
    });
    const types: BindingType[] = k.bindings.map((b) => (b.write ? 'storage' : 'read-only-storage'));
    return { kernel: { name: k.name, wgsl: k.wgsl, entryPoint: k.entryPoint, types }, bindings, workgroups: d.workgroups };
  });
  return { label: plan.dispatches[found.record.dispatch].nodes.join(' + '), record: found.record, buffers: table.buffers, dispatches, outputs: distinct(outputs) };
}

/** The parameter and running-statistics buffers' contents of training plans, once per plan. */
const flatOf = new WeakMap<TrainPlan, { params: Float32Array; running: Float32Array }>();

/**
 * The group of `key` in a training plan: parameters and running statistics from `weights` (packed
 * as the plan lays them out), dispatch arguments as the plan gives them, the zero bias zero,
 * everything else noise. The reduction scratch is written before it is read within a group, and
 * its size follows the schedule, so it is not compared.
 */
export function trainingGroup(plan: TrainPlan, key: string, weights: Weights): DispatchGroup | undefined {
  const found = groupIndices(plan.schedules, key);
  if (!found) return undefined;
  let flat = flatOf.get(plan);
  if (!flat) {
    flat = { params: flatParams(plan, weights), running: flatRunning(plan, weights) };
    flatOf.set(plan, flat);
  }
  const { params, running } = flat;
  const contentsOf = (id: number): GroupContents => {
    const b = plan.buffers[id];
    if (id === plan.bufferIds.params) return { kind: 'given', data: params };
    if (id === plan.bufferIds.running) return { kind: 'given', data: running };
    if (b.init) return { kind: 'given', data: b.init };
    if (b.kind === 'zeros' || b.kind === 'uniform') return { kind: 'zeros' };
    return { kind: 'noise', key: `${b.name}|${b.bytes}` };
  };
  const table = new BufferTable();
  const outputs: GroupOutput[] = [];
  const dispatches = found.dispatches.map((i): GroupDispatch => {
    const d = plan.dispatches[i];
    const k = plan.kernels[d.kernel];
    const bindings = d.bindings.map((b) => {
      const pb = plan.buffers[b.buffer];
      const buffer = table.at(pb.id, () => ({ bytes: pb.bytes, uniform: pb.kind === 'uniform' || pb.kind === 'args', contents: contentsOf(pb.id) }));
      if (b.type === 'storage' && pb.kind !== 'scratch') {
        const offset = b.offset ?? 0;
        outputs.push({ buffer, offset, bytes: b.size ?? pb.bytes - offset });
      }
      return { binding: b.binding, buffer, ...(b.offset !== undefined ? { offset: b.offset } : {}), ...(b.size !== undefined ? { size: b.size } : {}) };
    });
    return { kernel: { name: k.name, wgsl: k.wgsl, entryPoint: k.entryPoint, types: k.layout }, bindings, workgroups: d.workgroups };
  });
  return { label: plan.dispatches[found.record.dispatch].label, record: found.record, buffers: table.buffers, dispatches, outputs: distinct(outputs) };
}
