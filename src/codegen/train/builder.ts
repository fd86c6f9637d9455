// What the training passes (params.ts, values.ts, forward.ts, loss.ts, backward.ts, update.ts)
// build together: the buffers, the kernels (one per distinct source and layout) and the
// dispatches, in order. Each pass extends a clone, so the builder a pass was given stays as it was.

import type { ConvNode, LayerGraph } from '../../ir/graph.js';
import { convMacs } from '../../ir/count.js';
import type { BindingType, BufView, DispatchLimits, GeneratedKernel, SlotAliases, TrainBinding, TrainKernel } from '../kernels/index.js';
import { dispatchLimits } from '../kernels/common.js';
import type { PlanLimits } from '../plan-types.js';
import { Scheduler, scheduleTarget, type ScheduleRecord, type ScheduleSettings } from '../schedule/scheduler.js';
import type { DispatchSchedule } from '../schedule/types.js';
import { checkBinding, DeviceLimitError } from '../device-limits.js';
import { ALIGN, alignUp, type TrainBuffer, type TrainBufferKind, type TrainDispatch, type TrainPhase, type TrainPlanKernel } from './types.js';

/** A buffer range a kernel slot binds: whole buffer, or bytes [offset, offset + size). */
export interface SlotRange {
  buffer: number;
  offset?: number;
  size?: number;
}

export class TrainBuilder {
  readonly nodes: LayerGraph['nodes'];
  readonly buffers: TrainBuffer[] = [];
  readonly kernels: TrainPlanKernel[] = [];
  readonly dispatches: TrainDispatch[] = [];
  /** The schedule of every dispatch of a scheduled kernel family. */
  readonly schedules: DispatchSchedule[] = [];
  readonly dl: DispatchLimits;
  /** Picks each kernel's schedule. */
  readonly scheduler: Scheduler;
  private readonly kernelByKey = new Map<string, number>();
  /** Bytes of the reduction scratch, the bn backward coefficients and the zero bias, grown as kernels need them. */
  readonly sizes = { scratch: 16, coef: 16, zeros: 16 };
  scratch = -1;
  coef = -1;
  zeros = -1;
  /** The uniform buffer of every dispatch's arguments (KernelArgs), one 256-byte slot each. */
  private args = -1;
  private readonly argWords: number[] = [];

  constructor(
    readonly graph: LayerGraph,
    readonly batch: number,
    readonly limits: PlanLimits,
    readonly subgroupSize: number,
    readonly schedule: ScheduleSettings,
  ) {
    this.nodes = graph.nodes;
    this.scheduler = new Scheduler(schedule, scheduleTarget(subgroupSize, limits, schedule.workgroupMultiple));
    this.dl = dispatchLimits(limits, this.scheduler.target);
  }

  /** A copy to extend: later additions and size changes do not reach this one. */
  clone(): TrainBuilder {
    const c = new TrainBuilder(this.graph, this.batch, this.limits, this.subgroupSize, this.schedule);
    c.buffers.push(...this.buffers.map((x) => ({ ...x })));
    c.kernels.push(...this.kernels);
    c.dispatches.push(...this.dispatches);
    c.schedules.push(...this.schedules);
    for (const [k, v] of this.kernelByKey) c.kernelByKey.set(k, v);
    Object.assign(c.sizes, this.sizes);
    c.scratch = this.scratch;
    c.coef = this.coef;
    c.zeros = this.zeros;
    c.args = this.args;
    c.argWords.push(...this.argWords);
    return c;
  }

  /** Adds the scratch buffers (sized at the end, by finishScratch). */
  addScratch(): void {
    this.scratch = this.addBuffer('scratch', 'scratch', 16);
    this.coef = this.addBuffer('bn-coef', 'coef', 16);
    this.zeros = this.addBuffer('zeros', 'zeros', 16);
  }

  addBuffer(name: string, kind: TrainBufferKind, bytes: number): number {
    const id = this.buffers.length;
    // The parameter buffers are checked as a whole where they are laid out (params.ts).
    if (kind !== 'params' && kind !== 'grads' && kind !== 'momentum') checkBinding(`buffer ${name}`, bytes, this.limits, true);
    this.buffers.push({ id, name, kind, bytes: Math.max(16, Math.ceil(bytes / 16) * 16) });
    return id;
  }

  plane(id: number): number {
    return this.nodes[id].shape.h * this.nodes[id].shape.w;
  }

  perImage(id: number): number {
    return this.nodes[id].shape.c * this.plane(id);
  }

  shapeOf(id: number): { batch: number; c: number; h: number; w: number } {
    const s = this.nodes[id].shape;
    return { batch: this.batch, c: s.c, h: s.h, w: s.w };
  }

  convFlops(c: ConvNode): number {
    return 2 * this.batch * convMacs(c, this.nodes[c.input].shape.c);
  }

  private kernelIndex(k: TrainKernel, layout: BindingType[]): number {
    const key = `${layout.join(',')}\n${k.wgsl}`;
    let id = this.kernelByKey.get(key);
    if (id === undefined) {
      id = this.kernels.length;
      const name = `t${String(id).padStart(2, '0')}_${k.template.replace(/^train\//, '')}`;
      this.kernels.push({ id, name, template: k.template, wgsl: k.wgsl, entryPoint: k.entryPoint, workgroupSize: k.workgroupSize, layout });
      this.kernelByKey.set(key, id);
    }
    return id;
  }

  emit(phase: TrainPhase, label: string, k: TrainKernel, flops = 0, schedule?: ScheduleRecord): void {
    const storage = k.bindings.filter((b) => b.type !== 'uniform').length;
    if (storage > this.limits.maxStorageBuffersPerShaderStage) {
      throw new DeviceLimitError(`${label}: ${storage} storage bindings, above the device's maxStorageBuffersPerShaderStage (${this.limits.maxStorageBuffersPerShaderStage})`);
    }
    const bindings = k.args ? [...k.bindings, this.argsBinding(k.args)] : k.bindings;
    const layout: BindingType[] = [];
    for (const b of bindings) layout[b.binding] = b.type;
    const kernel = this.kernelIndex(k, layout);
    if (schedule) this.schedules.push({ dispatch: this.dispatches.length, ...schedule });
    this.dispatches.push({ index: this.dispatches.length, kernel, phase, label, bindings, workgroups: k.workgroups, flops });
  }

  /** Puts a dispatch's arguments in their own aligned slot of the arguments buffer. */
  private argsBinding(a: NonNullable<TrainKernel['args']>): TrainBinding {
    if (this.args < 0) this.args = this.addBuffer('dispatch-args', 'args', 16);
    const at = alignUp(this.argWords.length, ALIGN);
    while (this.argWords.length < at) this.argWords.push(0);
    this.argWords.push(...a.words);
    return { binding: a.binding, buffer: this.args, type: 'uniform', offset: at * 4, size: a.words.length * 4 };
  }

  /** An inference generator's kernel, its slots bound to buffer ranges (every slot it may declare, by name). */
  emitInference(phase: TrainPhase, label: string, gen: GeneratedKernel, slots: Record<string, SlotRange>, flops = 0, schedule?: ScheduleRecord): void {
    const bindings: TrainBinding[] = gen.bindings.map((b) => {
      const s = slots[b.slots[0]];
      if (!s) throw new Error(`${label}: no buffer for slot ${b.slots[0]} (internal error)`);
      const t: TrainBinding = { binding: b.binding, buffer: s.buffer, type: b.write ? 'storage' : 'read-only-storage' };
      if (s.offset !== undefined) t.offset = s.offset;
      if (s.size !== undefined) t.size = s.size;
      return t;
    });
    const k: TrainKernel = { template: gen.template, wgsl: gen.wgsl, entryPoint: gen.entryPoint, workgroupSize: gen.workgroupSize, bindings, workgroups: gen.workgroups };
    if (gen.args) k.args = gen.args;
    this.emit(phase, label, k, flops, schedule);
  }

  /** Slots on the same buffer share the first one's binding. */
  aliasesOf(slots: [string, BufView][]): SlotAliases {
    const first = new Map<number, string>();
    const out: SlotAliases = {};
    for (const [slot, v] of slots) {
      const f0 = first.get(v.buffer);
      if (f0 === undefined) first.set(v.buffer, slot);
      else out[slot] = f0;
    }
    return out;
  }

  /** Sets the grown sizes of the scratch buffers and the arguments' contents; call once, after the last kernel. */
  finishScratch(): void {
    if (this.args >= 0) {
      const init = Uint32Array.from(this.argWords);
      this.buffers[this.args].bytes = Math.ceil(init.byteLength / 16) * 16;
      this.buffers[this.args].init = init;
    }
    this.buffers[this.scratch].bytes = this.sizes.scratch;
    this.buffers[this.coef].bytes = this.sizes.coef;
    this.buffers[this.zeros].bytes = this.sizes.zeros;
    checkBinding(`${this.graph.name}: the reduction scratch`, this.sizes.scratch, this.limits, true);
  }
}
