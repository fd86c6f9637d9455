// Picks every dispatch's schedule while a plan is built: a tuned schedule where the plan has one
// for the kernel's signature (`hrn tune`), else the plan's profile, with any family's overridden
// knobs winning over both; checked against the device's workgroup limit. Also the record of it
// that the plan keeps (`--debug`, `hrn compile --json`, and the tuner, which finds a signature's
// dispatches by it).

import type { ConvGeometry, ConvShape } from '../conv-layout.js';
import { chooseConv, convKnobs } from './conv.js';
import { chooseConvDx, convDxKnobs } from './conv-dx.js';
import { chooseConvDw, type ConvDwTiling } from './conv-dw.js';
import { chooseFc } from './fc.js';
import { chooseReduction, dwReduceLanes, reductionSplit, type ReductionSplit } from './reduction.js';
import { chooseElementwise } from './elementwise.js';
import { signatureKey, type ElementwiseKernel, type FcKernel, type KernelSignature, type ReductionKernel } from './signature.js';
import type { TunedSchedules } from './tuned.js';
import type {
  ConvDxSchedule,
  ConvSchedule,
  DispatchSchedule,
  ElementwiseSchedule,
  FamilySchedules,
  FcSchedule,
  PlanProfile,
  ProfileName,
  ReductionSchedule,
  Schedule,
  ScheduleFamily,
  ScheduleOverrides,
  ScheduleSource,
  ScheduleTarget,
} from './types.js';
import { checkWorkgroup, fitMultiple } from './workgroup.js';

/** The plan options about schedules, defaults filled in. */
export interface ScheduleSettings {
  profile: PlanProfile;
  overrides: ScheduleOverrides;
  /** Schedules measured for kernel signatures on this device (`hrn tune`); none by default. */
  tuned?: TunedSchedules;
  /** What every workgroup is rounded up to a multiple of (workgroupMultiple in workgroup.ts): 1 under cpu and when absent. */
  workgroupMultiple?: number;
}

/** A plan's record of a dispatch's schedule, before the dispatch has its index. */
export type ScheduleRecord = Omit<DispatchSchedule, 'dispatch'>;

/** A schedule for one dispatch and the plan's record of it. */
export interface Chosen<T> {
  value: T;
  record: ScheduleRecord;
}

/**
 * The target of a plan: its subgroup width, the device limits a schedule must fit, and what the
 * gpu profile rounds workgroups to (`multiple`, within the device's workgroup limit).
 */
export function scheduleTarget(
  subgroupSize: number,
  limits: { maxComputeInvocationsPerWorkgroup: number; maxStorageBufferBindingSize: number; maxBufferSize: number },
  multiple = 1,
): ScheduleTarget {
  const t: ScheduleTarget = {
    subgroupSize,
    maxWorkgroupSize: limits.maxComputeInvocationsPerWorkgroup,
    maxBindingBytes: Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize),
  };
  return multiple > 1 ? { ...t, workgroupMultiple: fitMultiple(multiple, limits.maxComputeInvocationsPerWorkgroup) } : t;
}

/** The families whose kernels share loads across a subgroup: their workgroups are whole subgroups. */
const USES_SUBGROUPS: Record<ScheduleFamily, boolean> = { conv: true, conv_dx: true, conv_dw: true, fc: false, reduction: false, elementwise: false };

export class Scheduler {
  constructor(
    readonly settings: ScheduleSettings,
    readonly target: ScheduleTarget,
  ) {}

  private get profile() {
    return this.settings.profile.name;
  }

  private overridden(family: ScheduleFamily): boolean {
    const o = this.settings.overrides[family];
    return o !== undefined && Object.keys(o).length > 0;
  }

  /**
   * The schedule of a dispatch of `sig`: `choose(profile, fixed)` with the family's overrides, else
   * with the tuned knobs for the signature (taken as given, like overrides: whoever reads them from
   * outside checks them, as the CLI's cache does with `isCandidate`; ignored only when they break
   * this target's workgroup limits), else the profile's own.
   */
  private pick<F extends ScheduleFamily, T extends { wg: number }>(
    name: string,
    sig: Extract<KernelSignature, { family: F }>,
    choose: (profile: ProfileName, fixed: Partial<FamilySchedules[F]>) => T,
  ): { value: T; from: ScheduleSource; signature: string } {
    const family = sig.family as F;
    const signature = signatureKey(sig);
    const what = `${name}: ${family} schedule`;
    if (this.overridden(family)) {
      const value = choose(this.profile, this.settings.overrides[family] as Partial<FamilySchedules[F]>);
      checkWorkgroup(what, value.wg, this.target, USES_SUBGROUPS[family]);
      return { value, from: 'override', signature };
    }
    const tuned = this.settings.tuned?.get(signature);
    if (tuned !== undefined && tuned.family === family) {
      const value = choose(tuned.profile, tuned.knobs as Partial<FamilySchedules[F]>);
      try {
        checkWorkgroup(what, value.wg, this.target, USES_SUBGROUPS[family]);
        return { value, from: 'tuned', signature };
      } catch {
        // measured under other limits: the profile's choice instead
      }
    }
    const value = choose(this.profile, {});
    checkWorkgroup(what, value.wg, this.target, USES_SUBGROUPS[family]);
    return { value, from: this.settings.profile.from, signature };
  }

  private chosen<T>(p: { value: T; from: ScheduleSource; signature: string }, schedule: Schedule): Chosen<T> {
    return { value: p.value, record: { schedule, profile: this.profile, from: p.from, signature: p.signature } };
  }

  /** A forward convolution (`name` for errors). */
  conv(name: string, shape: ConvShape): Chosen<ConvSchedule> {
    const p = this.pick(name, { family: 'conv', shape, sg: this.target.subgroupSize }, (profile, fixed) => chooseConv(shape, profile, this.target, fixed));
    return this.chosen(p, { family: 'conv', ...convKnobs(p.value) });
  }

  /** A convolution's input gradient, over the packed weight layout of `g.ocb`. */
  convDx(name: string, g: ConvGeometry): Chosen<ConvDxSchedule> {
    const p = this.pick(name, { family: 'conv_dx', shape: g, sg: this.target.subgroupSize }, (profile, fixed) => chooseConvDx(g, profile, this.target, fixed));
    return this.chosen(p, { family: 'conv_dx', ...convDxKnobs(g, p.value) });
  }

  /** A convolution's weight gradient (the partial gradients' reduction, when it has chunks, is `dwReduce`). */
  convDw(name: string, g: ConvGeometry): Chosen<ConvDwTiling> {
    const p = this.pick(name, { family: 'conv_dw', shape: g, sg: this.target.subgroupSize }, (profile, fixed) => chooseConvDw(g, profile, this.target, fixed));
    const t = p.value;
    return this.chosen(p, { family: 'conv_dw', wg: t.wg, ovb: t.ovb, kyb: t.kyb, pxb: t.pxb, target: t.target, chunks: t.chunks });
  }

  /** A fully connected kernel of `geo`: `fc` is inference's (its sizes are constants), the others training's (arguments). */
  fc(name: string, kernel: FcKernel, geo: { batch: number; inFeatures: number; outFeatures: number }): Chosen<FcSchedule> {
    const invocations = kernel === 'fc' ? geo.batch * geo.outFeatures : 'any';
    const p = this.pick(name, { family: 'fc', kernel, ...geo }, (profile, fixed) => chooseFc(invocations, profile, this.target, fixed));
    return this.chosen(p, { family: 'fc', wg: p.value.wg });
  }

  /** The first level of a per-channel reduction (`kernel`) over `batch` images of `plane` elements, and its split. */
  reduction(name: string, kernel: ReductionKernel, c: number, batch: number, plane: number): Chosen<ReductionSchedule & { split: ReductionSplit }> {
    const p = this.pick(name, { family: 'reduction', kernel, batch, c, plane }, (profile, fixed) => chooseReduction(profile, this.target, fixed));
    const t = p.value;
    const split = reductionSplit(c, batch, plane, t);
    return this.chosen({ ...p, value: { ...t, split } }, { family: 'reduction', level: 1, target: t.target, splitPlane: t.splitPlane, wg: t.wg, partials: split.chunks });
  }

  /** A per-element kernel over `batch` images of `c` planes of `plane` elements, read as vectors of `vec`. */
  elementwise(name: string, kernel: ElementwiseKernel, geo: { batch: number; c: number; plane: number; vec: number }): Chosen<ElementwiseSchedule> {
    const p = this.pick(name, { family: 'elementwise', kernel, ...geo }, (profile, fixed) => chooseElementwise(geo.plane / geo.vec, profile, this.target, fixed));
    return this.chosen(p, { family: 'elementwise', ...p.value });
  }

  /** The second level adding the `partials` of a first level (bn_finalize, chain_bwd_finalize): its workgroup and origin. */
  reductionSum(name: string, partials: number, level1: Chosen<ReductionSchedule>): Chosen<ReductionSchedule> {
    checkWorkgroup(`${name}: reduction schedule`, level1.value.wg, this.target, false);
    return { value: level1.value, record: { ...level1.record, schedule: { family: 'reduction', level: 2, wg: level1.value.wg, partials } } };
  }

  /**
   * conv_dw_reduce adding the `partials` of a weight gradient's chunks: a second-level reduction of
   * the profile's (or the override's) workgroup, timed with the weight gradient it belongs to.
   */
  dwReduce(name: string, partials: number, dw: Chosen<ConvDwTiling>): Chosen<ReductionSchedule & { lanes: number }> {
    const over = this.overridden('reduction');
    const t = chooseReduction(this.profile, this.target, this.settings.overrides.reduction);
    checkWorkgroup(`${name}: reduction schedule`, t.wg, this.target, false);
    const from: ScheduleSource = over ? 'override' : this.settings.profile.from;
    const lanes = this.profile === 'gpu' ? dwReduceLanes(dw.value.size4, partials, t.wg) : 1;
    const schedule = { family: 'reduction' as const, level: 2 as const, wg: t.wg, partials, ...(lanes > 1 ? { lanes } : {}) };
    return { value: { ...t, lanes }, record: { schedule, profile: this.profile, from, signature: dw.record.signature } };
  }
}
