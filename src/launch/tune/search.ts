// `hrn tune`'s search: for every kernel signature of a network's plan, time the candidate schedules
// on the device and keep the fastest whose result is the profile choice's.
//
// Candidates are timed a round at a time: round r compiles one plan in which every signature still
// being tuned takes its r-th candidate (tuned schedules, plan option `tuned`; round 0 is the
// profile's plan), then runs each signature's dispatches on their own (group.ts) on seeded inputs.
// The forward convolutions go first: their tile fixes the packed weight layout that the
// gradients' kernels read, so those are tuned (phase two) on the layout the winners chose, and no
// candidate of one phase moves the buffers another kernel of that phase reads. The budget is shared
// between the phases by their numbers of candidates. A phase ends by timing each winner again,
// alternately with its default, so that a winner by noise is not kept.

import { compilePlan } from '../../codegen/plan.js';
import type { Plan } from '../../codegen/plan-types.js';
import { compileTrainPlan } from '../../codegen/train-plan.js';
import type { TrainPlan } from '../../codegen/train/types.js';
import { familyCandidates, knobsKey, tuningCandidates, type Knobs } from '../../codegen/schedule/candidates.js';
import { scheduleTarget } from '../../codegen/schedule/scheduler.js';
import { workgroupMultiple } from '../../codegen/schedule/workgroup.js';
import { parseSignatureKey, type KernelSignature } from '../../codegen/schedule/signature.js';
import type { TunedSchedule } from '../../codegen/schedule/tuned.js';
import type { ProfileName, ScheduleFamily, ScheduleTarget } from '../../codegen/schedule/types.js';
import { initWeights, perturbWeights } from '../../weights/weights.js';
import { SplitMix32 } from '../../util/rng.js';
import { withDeviceProfile } from '../device-profile.js';
import { Contents, mismatch } from './contents.js';
import { programGroup, signatureCounts, type DispatchGroup } from './group.js';
import { GroupError, GroupRun, type GroupTiming } from './run-group.js';
import { deviceClock, type GpuClock } from '../../runtime/gpu-timer.js';

export type { Measured, SignatureTuning, TuneDevice, TuneMode, TuneOptions, TuneProgress, TuneResult } from './types.js';
import type { Measured, SignatureTuning, TuneDevice, TuneOptions, TuneResult } from './types.js';

const PHASES: readonly (readonly ScheduleFamily[])[] = [['conv'], ['conv_dx', 'conv_dw', 'fc', 'reduction', 'elementwise']];

/** Samples of a candidate last at least this long (short kernels run several times per sample). */
const SAMPLE_MS = 10;
const MAX_RUNS_PER_SAMPLE = 64;
/** The part of a phase's budget its winners' confirmation may count on. */
const CONFIRM_SHARE = 0.1;

/** Runs per sample for a group that took `warmMs` once. */
const runsPerSample = (warmMs: number) => Math.max(1, Math.min(MAX_RUNS_PER_SAMPLE, Math.ceil(SAMPLE_MS / Math.max(warmMs, 1e-3))));

interface State extends SignatureTuning {
  list: Knobs[];
  /** The profile choice's outputs, which every other candidate must match. */
  want?: Float32Array[];
  /** The profile choice could not run: nothing to check the others against. */
  dead: boolean;
}

/** `list` with its first two entries (the profiles' choices) kept in front and the rest shuffled by `seed`: a cut budget still samples the whole space. */
function spread<T>(list: T[], seed: number): T[] {
  const head = list.slice(0, 2);
  const rest = list.slice(2);
  const rng = new SplitMix32(seed);
  for (let i = rest.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [rest[i], rest[j]] = [rest[j], rest[i]];
  }
  return [...head, ...rest];
}

const fastest = (xs: number[]) => Math.min(...xs);

/** A seed from a signature key, so that its candidates' order does not depend on the others. */
const keySeed = (key: string, seed: number) => [...key].reduce((h, ch) => Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0, 0x811c9dc5 ^ seed);

export class ScheduleSearch {
  private readonly now: () => number;
  private readonly target: ScheduleTarget;
  private readonly weights;
  private readonly contents: Contents;
  private readonly asked;
  private tried = 0;
  private total = 0;
  private readonly timing: GroupTiming;

  constructor(
    private readonly ctx: TuneDevice,
    private readonly o: TuneOptions,
  ) {
    this.now = o.now ?? (() => performance.now());
    this.timing = { timestamps: o.timestamps !== false, seen: new Set() };
    const seed = o.seed ?? 1;
    this.weights = perturbWeights(initWeights(o.graph, seed), seed + 1);
    this.contents = new Contents(seed);
    this.asked = withDeviceProfile(ctx, { profile: o.profile });
    // the candidates as the plans will have them: rounded as the gpu profile rounds workgroups (the cpu profile ignores it)
    this.target = scheduleTarget(ctx.subgroupSize, ctx.limits, workgroupMultiple('gpu', ctx.subgroupMaxSize || undefined));
  }

  /** The clock the samples were timed by (before any: the one they would be). */
  private clock(): GpuClock {
    const { seen, timestamps } = this.timing;
    if (seen.size > 0) return seen.has('wall') ? 'wall' : 'timestamp';
    return timestamps ? deviceClock(this.ctx.device) : 'wall';
  }

  private compile(tuned: ReadonlyMap<string, TunedSchedule>): Plan | TrainPlan {
    const common = { batch: this.o.batch, subgroupSize: this.ctx.subgroupSize, limits: this.ctx.limits, ...this.asked, tuned };
    return this.o.mode === 'training' ? compileTrainPlan(this.o.graph, common) : compilePlan(this.o.graph, common);
  }

  private group(plan: Plan | TrainPlan, key: string): DispatchGroup | undefined {
    return programGroup(plan.program, plan.schedules, key, this.weights);
  }

  private listFor(sig: KernelSignature, profile: ProfileName): Knobs[] {
    const own = this.o.candidates ?? familyCandidates;
    return tuningCandidates(sig, profile, this.target, own(sig, this.target));
  }

  /** The signatures of `plan` in `families` still to tune, with their candidate lists. */
  private states(plan: Plan | TrainPlan, families: readonly ScheduleFamily[]): State[] {
    const out: State[] = [];
    for (const [key, dispatches] of signatureCounts(plan.schedules)) {
      const signature = parseSignatureKey(key);
      if (!signature || !families.includes(signature.family) || this.o.skip?.has(key)) continue;
      const list = spread(this.listFor(signature, plan.profile.name), keySeed(key, this.o.seed ?? 1));
      const label = this.group(plan, key)?.label ?? key;
      out.push({ key, signature, family: signature.family, label, dispatches, candidates: list.length, tried: 0, rejected: [], list, dead: false });
    }
    return out;
  }

  async run(): Promise<TuneResult> {
    const start = this.now();
    const deadline = start + this.o.budgetMs;
    const winners = new Map<string, TunedSchedule>();
    const first = this.compile(winners);
    const profile = first.profile;
    // Every phase's candidates, as the profile's plan has them (the second phase's may change with the first's winners).
    const counts = PHASES.map((families) => this.states(first, families).reduce((s, x) => s + x.list.length, 0));
    this.total = counts.reduce((a, b) => a + b, 0);
    const all: State[] = [];
    let stopped = false;
    for (let ph = 0; ph < PHASES.length; ph++) {
      const base = ph === 0 ? first : this.compile(winners);
      const states = this.states(base, PHASES[ph]);
      const mine = states.reduce((s, x) => s + x.list.length, 0);
      this.total += mine - counts[ph];
      counts[ph] = mine;
      all.push(...states);
      const later = counts.slice(ph + 1).reduce((a, b) => a + b, 0);
      const left = Math.max(0, deadline - this.now());
      const share = mine + later > 0 ? (left * mine) / (mine + later) : 0;
      const phaseEnd = this.now() + share;
      // A tenth of the phase is kept for confirming its winners (which only a stop request cuts short).
      if (!(await this.rounds(states, base, winners, phaseEnd - share * CONFIRM_SHARE))) stopped = true;
      await this.confirm(states, base, winners);
      for (const s of states) if (s.best) winners.set(s.key, { family: s.family, knobs: s.best.knobs, profile: profile.name } as TunedSchedule);
    }
    const signatures = all.map(({ list: _l, want: _w, dead: _d, ...s }) => s);
    return { profile, signatures, tried: this.tried, total: this.total, stopped, reps: this.o.reps ?? 5, clock: this.clock() };
  }

  /** Times the candidates of `states` round by round until `end`; false when time ran out first. */
  private async rounds(states: State[], base: Plan | TrainPlan, winners: ReadonlyMap<string, TunedSchedule>, end: number): Promise<boolean> {
    const longest = Math.max(0, ...states.map((s) => s.list.length));
    for (let r = 0; r < longest; r++) {
      const active = states.filter((s) => s.list.length > r && !s.dead);
      if (active.length === 0) continue;
      if (this.over(end)) return false;
      const { plan, refused } = r === 0 ? { plan: base, refused: new Set<string>() } : this.roundPlan(active, r, winners);
      for (const s of active) {
        if (this.over(end)) return false;
        if (!refused.has(s.key)) await this.measure(s, r, plan);
      }
    }
    return true;
  }

  /**
   * The plan with every active signature at its r-th candidate. A candidate the compiler refuses (a
   * dispatch or buffer beyond the device's limits) is rejected and the plan compiled without it.
   */
  private roundPlan(active: State[], r: number, winners: ReadonlyMap<string, TunedSchedule>): { plan: Plan | TrainPlan; refused: Set<string> } {
    const tunedOf = (s: State): TunedSchedule => ({ family: s.family, knobs: s.list[r], profile: this.asked.profile! }) as TunedSchedule;
    const assignment = new Map(winners);
    for (const s of active) assignment.set(s.key, tunedOf(s));
    const refused = new Set<string>();
    try {
      return { plan: this.compile(assignment), refused };
    } catch (e) {
      if (!(e instanceof Error)) throw e;
    }
    for (const s of active) {
      try {
        this.compile(new Map([...winners, [s.key, tunedOf(s)]]));
      } catch (e) {
        this.reject(s, s.list[r], `the compiler refuses it: ${(e as Error).message.split('\n')[0]}`);
        assignment.delete(s.key);
        refused.add(s.key);
      }
    }
    return { plan: this.compile(assignment), refused };
  }

  /** Confirms the winners of `states` against their defaults (confirmPairs), each in a plan that gives it its winner. */
  private async confirm(states: State[], base: Plan | TrainPlan, winners: ReadonlyMap<string, TunedSchedule>): Promise<void> {
    const changed = states.filter((s) => s.best && s.baseline && knobsKey(s.family, s.best.knobs) !== knobsKey(s.family, s.baseline.knobs));
    if (changed.length === 0) return;
    const tunedOf = (s: State): TunedSchedule => ({ family: s.family, knobs: s.best!.knobs, profile: this.asked.profile! }) as TunedSchedule;
    let together: Plan | TrainPlan | undefined;
    try {
      together = this.compile(new Map([...winners, ...changed.map((s): [string, TunedSchedule] => [s.key, tunedOf(s)])]));
    } catch (e) {
      if (!(e instanceof Error)) throw e;
    }
    const runOf = async (plan: Plan | TrainPlan | undefined, s: State, knobs: Knobs, tuned: boolean): Promise<GroupRun | undefined> => {
      const group = plan && this.group(plan, s.key);
      if (!group || (group.record.from === 'tuned') !== tuned || knobsKey(s.family, knobsOf(group)) !== knobsKey(s.family, knobs)) return undefined;
      return GroupRun.create(this.ctx, group, (c, bytes) => this.contents.of(c, bytes), this.timing);
    };
    const planFor = (s: State): Plan | TrainPlan | undefined => {
      if (together) return together;
      try {
        return this.compile(new Map([...winners, [s.key, tunedOf(s)]]));
      } catch {
        return undefined;
      }
    };
    const pairs = changed.map((s) => ({ s, a: () => runOf(base, s, s.baseline!.knobs, false), b: () => runOf(planFor(s), s, s.best!.knobs, true) }));
    await confirmPairs({ stop: () => this.o.shouldStop?.() === true, reps: this.o.reps ?? 5 }, pairs);
  }

  private over(end: number): boolean {
    return this.now() >= end || this.o.shouldStop?.() === true;
  }

  private reject(s: State, knobs: Knobs, why: string): void {
    s.rejected.push({ knobs, why });
    this.counted(s);
  }

  private counted(s: State): void {
    s.tried++;
    this.tried++;
    this.o.onProgress?.({ done: this.tried, total: this.total, signature: s.key });
  }

  /** Runs candidate `r` of `s` in `plan`: checked against the profile choice's result, timed, kept when fastest. */
  private async measure(s: State, r: number, plan: Plan | TrainPlan): Promise<void> {
    const knobs = s.list[r];
    const found = this.group(plan, s.key);
    const edit = this.o.editKernel;
    const group = found && edit && r > 0 ? { ...found, program: { ...found.program, kernels: found.program.kernels.map((k) => ({ ...k, wgsl: edit(s.signature, knobs, k.wgsl) })) } } : found;
    const applied = group && (r === 0 ? group.record.from !== 'tuned' : group.record.from === 'tuned' && knobsKey(s.family, knobsOf(group)) === knobsKey(s.family, knobs));
    if (!group || !applied) {
      if (r === 0) s.dead = true;
      this.reject(s, knobs, 'the plan does not take it');
      return;
    }
    let run: GroupRun | undefined;
    try {
      run = await GroupRun.create(this.ctx, group, (c, bytes) => this.contents.of(c, bytes), this.timing);
      const got = await run.outputs();
      if (r === 0) s.want = got;
      else {
        const why = mismatch(s.want!, got, this.o.tolerance ?? 1e-3);
        if (why !== undefined) {
          this.reject(s, knobs, why);
          return;
        }
      }
      const runs = runsPerSample(await run.time(1));
      const samples: number[] = [];
      for (let i = 0; i < (this.o.reps ?? 5); i++) samples.push(await run.time(runs));
      const m: Measured = { knobs, ms: fastest(samples) };
      if (r === 0) s.baseline = m;
      if (!s.best || m.ms < s.best.ms) s.best = m;
      this.counted(s);
    } catch (e) {
      if (!(e instanceof GroupError)) throw e;
      if (r === 0) s.dead = true;
      this.reject(s, knobs, e.message);
    } finally {
      run?.dispose();
    }
  }
}

/**
 * Re-times every signature of `states` whose best is not its default, the two alternately on the
 * same inputs (unless a stop is requested): the best keeps its place only when it is still the faster, and both
 * times are replaced by these paired ones. Timings of small kernels on a busy machine are noisy,
 * and the default, timed first, pays for whatever warms up then; a winner by chance would be
 * cached as one.
 */
async function confirmPairs(search: { stop(): boolean; reps: number }, pairs: { s: SignatureTuning; a: () => Promise<GroupRun | undefined>; b: () => Promise<GroupRun | undefined> }[]): Promise<void> {
  for (const { s, a, b } of pairs) {
    if (search.stop()) return;
    let ra: GroupRun | undefined;
    let rb: GroupRun | undefined;
    try {
      ra = await a();
      rb = await b();
      if (!ra || !rb) continue;
      const runsA = runsPerSample(await ra.time(1));
      const runsB = runsPerSample(await rb.time(1));
      const ta: number[] = [];
      const tb: number[] = [];
      for (let i = 0; i < search.reps; i++) {
        ta.push(await ra.time(runsA));
        tb.push(await rb.time(runsB));
      }
      const baseline: Measured = { knobs: s.baseline!.knobs, ms: fastest(ta) };
      const best: Measured = { knobs: s.best!.knobs, ms: fastest(tb) };
      s.baseline = baseline;
      s.best = best.ms < baseline.ms ? best : baseline;
    } catch (e) {
      if (!(e instanceof GroupError)) throw e;
    } finally {
      ra?.dispose();
      rb?.dispose();
    }
  }
}

/** The knobs a group's first dispatch was given (its record, less what follows from them). */
function knobsOf(group: DispatchGroup): Knobs {
  const { family: _f, ...rest } = group.record.schedule as Record<string, unknown>;
  return rest as unknown as Knobs;
}

/** Tunes the schedules of `o.graph`'s plan on `ctx` (see ScheduleSearch). */
export function tuneSchedules(ctx: TuneDevice, o: TuneOptions): Promise<TuneResult> {
  return new ScheduleSearch(ctx, o).run();
}
