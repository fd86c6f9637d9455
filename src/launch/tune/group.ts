// The dispatches of one kernel signature, cut out of a compiled plan so that they run on their own:
// the kernel (with a reduction's second level, or conv dW's reduction of its chunks, which its
// schedule decides too), the buffers they bind at the plan's sizes, what fills those buffers, and
// the ranges they write (what a candidate's result is compared on).

import type { DispatchSchedule } from '../../codegen/schedule/types.js';
import { familyOfKey } from '../../codegen/schedule/signature.js';
import type { Program, ProgramBuffer, ProgramCore, ProgramDispatch, ProgramKernel } from '../../program/types.js';
import { weightContents } from '../../program/uploads.js';
import type { Weights } from '../../weights/weights.js';

/** What a buffer holds before the group runs. */
export type GroupContents =
  /** The plan's own values: parameters packed for its kernels, dispatch arguments. */
  | { kind: 'given'; data: Float32Array | Uint32Array | Uint16Array }
  | { kind: 'zeros' }
  /**
   * Seeded noise, the same for every buffer of the same `key` in every plan of a tuning run, so a
   * candidate reads what the profile's choice read.
   */
  | { kind: 'noise'; key: string };

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
  /** The dispatches as a program of their own, each buffer they bind in an allocation of its own. */
  program: ProgramCore;
  /** What each of the program's buffers starts with, by buffer. */
  contents: GroupContents[];
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
export function signatureCounts(schedules: readonly DispatchSchedule[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of schedules) if (isPrimary(r)) out.set(r.signature, (out.get(r.signature) ?? 0) + 1);
  return out;
}

/** Collects a group's buffers, each program buffer once, and its kernels, each once. */
class PartTable {
  readonly buffers: ProgramBuffer[] = [];
  readonly contents: GroupContents[] = [];
  readonly kernels: ProgramKernel[] = [];
  private readonly bufferAt = new Map<number, number>();
  private readonly kernelAt = new Map<number, number>();

  buffer(b: ProgramBuffer, contents: () => GroupContents): number {
    let i = this.bufferAt.get(b.id);
    if (i === undefined) {
      i = this.buffers.length;
      this.buffers.push({ id: i, name: b.name, bytes: b.bytes, usage: b.usage });
      this.contents.push(contents());
      this.bufferAt.set(b.id, i);
    }
    return i;
  }

  kernel(k: ProgramKernel): number {
    let i = this.kernelAt.get(k.id);
    if (i === undefined) {
      i = this.kernels.length;
      this.kernels.push({ ...k, id: i });
      this.kernelAt.set(k.id, i);
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

/** The weight uploads of each program, made once per program. */
const uploadsOf = new WeakMap<Program, Map<number, Float32Array | Uint16Array>>();

/**
 * The group of `key` in a compiled program (its dispatches' schedules in `schedules`): the buffers
 * the weights fill from `weights` (folded and packed as the program's transforms say), dispatch
 * arguments as the program gives them, uniforms and the zero bias zero, everything else noise. A
 * scratch buffer is written before it is read within a group, and its size follows the schedule,
 * so it is not compared.
 */
export function programGroup(program: Program, schedules: readonly DispatchSchedule[], key: string, weights: Weights): DispatchGroup | undefined {
  const found = groupIndices(schedules, key);
  if (!found) return undefined;
  let uploads = uploadsOf.get(program);
  if (!uploads) {
    uploads = weightContents(program, weights);
    uploadsOf.set(program, uploads);
  }
  const given = uploads;
  const contentsOf = (b: ProgramBuffer): GroupContents => {
    const data = given.get(b.id) ?? b.init;
    if (data) return { kind: 'given', data };
    if (b.zeros || b.usage === 'uniform') return { kind: 'zeros' };
    return { kind: 'noise', key: `${b.name}|${b.bytes}` };
  };
  const table = new PartTable();
  const outputs: GroupOutput[] = [];
  const dispatches = found.dispatches.map((index, at): ProgramDispatch => {
    const d = program.dispatches[index];
    const k = program.kernels[d.kernel];
    const bindings = d.bindings.map((b) => {
      const pb = program.buffers[b.buffer];
      const buffer = table.buffer(pb, () => contentsOf(pb));
      if (k.layout[b.binding] === 'storage' && !pb.scratch) {
        const offset = b.offset ?? 0;
        outputs.push({ buffer, offset, bytes: b.size ?? pb.bytes - offset });
      }
      return { ...b, buffer };
    });
    return { ...d, index: at, kernel: table.kernel(k), bindings };
  });
  const label = program.dispatches[found.record.dispatch].label;
  const buffers = table.buffers;
  const part: ProgramCore = {
    name: label,
    kind: 'part',
    subgroupSize: program.subgroupSize,
    buffers,
    // A uniform's binding is a multiple of 16 bytes; a storage buffer is at least 16.
    allocations: buffers.map((b) => ({ id: b.id, bytes: Math.max(16, Math.ceil(b.bytes / 16) * 16), buffers: [b.id] })),
    kernels: table.kernels,
    dispatches,
    clears: [],
  };
  return { label, record: found.record, program: part, contents: table.contents, outputs: distinct(outputs) };
}
