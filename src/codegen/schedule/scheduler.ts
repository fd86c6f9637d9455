// Picks every dispatch's schedule while a plan is built: the plan's profile, with any family's
// overridden knobs kept, checked against the device's workgroup limit; and the record of it that
// the plan keeps (`--debug`, `hrn compile --json`).

import type { ConvGeometry } from '../conv-layout.js';
import { chooseConv, type ConvScheduleShape } from './conv.js';
import { chooseConvDx, type ConvDxShape } from './conv-dx.js';
import { chooseConvDw, type ConvDwTiling } from './conv-dw.js';
import { chooseFc } from './fc.js';
import { chooseReduction, reductionSplit, type ReductionSplit } from './reduction.js';
import type {
  ConvDxSchedule,
  ConvSchedule,
  DispatchSchedule,
  FcSchedule,
  PlanProfile,
  ReductionSchedule,
  Schedule,
  ScheduleFamily,
  ScheduleOverrides,
  ScheduleSource,
  ScheduleTarget,
} from './types.js';
import { checkWorkgroup } from './workgroup.js';

/** The plan options about schedules, defaults filled in. */
export interface ScheduleSettings {
  profile: PlanProfile;
  overrides: ScheduleOverrides;
}

/** A plan's record of a dispatch's schedule, before the dispatch has its index. */
export type ScheduleRecord = Omit<DispatchSchedule, 'dispatch'>;

/** A schedule for one dispatch and the plan's record of it. */
export interface Chosen<T> {
  value: T;
  record: ScheduleRecord;
}

/** The target of a plan: its subgroup width and the device limits a schedule must fit. */
export function scheduleTarget(subgroupSize: number, limits: { maxComputeInvocationsPerWorkgroup: number; maxStorageBufferBindingSize: number; maxBufferSize: number }): ScheduleTarget {
  return {
    subgroupSize,
    maxWorkgroupSize: limits.maxComputeInvocationsPerWorkgroup,
    maxBindingBytes: Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize),
  };
}

export class Scheduler {
  constructor(
    readonly settings: ScheduleSettings,
    readonly target: ScheduleTarget,
  ) {}

  private get profile() {
    return this.settings.profile.name;
  }

  private source(family: ScheduleFamily): ScheduleSource {
    const o = this.settings.overrides[family];
    return o !== undefined && Object.keys(o).length > 0 ? 'override' : this.settings.profile.from;
  }

  private chosen<T>(value: T, schedule: Schedule): Chosen<T> {
    return { value, record: { schedule, profile: this.profile, from: this.source(schedule.family) } };
  }

  /** A forward convolution (`name` for errors). */
  conv(name: string, s: ConvScheduleShape): Chosen<ConvSchedule> {
    const t = chooseConv(s, this.profile, this.target, this.settings.overrides.conv);
    checkWorkgroup(`${name}: conv schedule`, t.wg, this.target, true);
    return this.chosen(t, { family: 'conv', ocb: t.ocb, pxb: t.pxb, wg: t.wg });
  }

  convDx(name: string, s: ConvDxShape): Chosen<ConvDxSchedule> {
    const t = chooseConvDx(s, this.profile, this.target, this.settings.overrides.conv_dx);
    checkWorkgroup(`${name}: conv_dx schedule`, t.wg, this.target, true);
    return this.chosen(t, { family: 'conv_dx', icb: t.icb, pxb: t.pxb, wg: t.wg });
  }

  convDw(name: string, g: ConvGeometry): Chosen<ConvDwTiling> {
    const t = chooseConvDw(g, this.profile, this.target, this.settings.overrides.conv_dw);
    checkWorkgroup(`${name}: conv_dw schedule`, t.wg, this.target, true);
    return this.chosen(t, { family: 'conv_dw', wg: t.wg, ovb: t.ovb, kyb: t.kyb, pxb: t.pxb, target: t.target, chunks: t.chunks });
  }

  /** A fully connected kernel with `invocations` (`any`: a kernel whose sizes are dispatch arguments). */
  fc(name: string, invocations: number | 'any'): Chosen<FcSchedule> {
    const t = chooseFc(invocations, this.profile, this.target, this.settings.overrides.fc);
    checkWorkgroup(`${name}: fc schedule`, t.wg, this.target, false);
    return this.chosen(t, { family: 'fc', wg: t.wg });
  }

  /** The first level of a per-channel reduction over `batch` images of `plane` elements, and its split. */
  reduction(name: string, c: number, batch: number, plane: number): Chosen<ReductionSchedule & { split: ReductionSplit }> {
    const t = this.reductionKnobs(name);
    const split = reductionSplit(c, batch, plane, t);
    return this.chosen({ ...t, split }, { family: 'reduction', level: 1, target: t.target, splitPlane: t.splitPlane, wg: t.wg, partials: split.chunks });
  }

  /** A second level that adds `partials` partial sums (bn_finalize, chain_bwd_finalize, conv_dw_reduce). */
  reductionSum(name: string, partials: number): Chosen<ReductionSchedule> {
    const t = this.reductionKnobs(name);
    return this.chosen(t, { family: 'reduction', level: 2, wg: t.wg, partials });
  }

  private reductionKnobs(name: string): ReductionSchedule {
    const t = chooseReduction(this.profile, this.target, this.settings.overrides.reduction);
    checkWorkgroup(`${name}: reduction schedule`, t.wg, this.target, false);
    return t;
  }
}
