// Kernel schedules (src/codegen/schedule/): which profile a plan gets, what the gpu profile does to
// the dispatches of real networks, that every schedule fits the device's workgroup limit and whole
// subgroups, overrides of a family's knobs, and the candidate lists a tuner would time. No GPU:
// plans only (the kernels run against the reference in schedule-kernels.test.ts).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dispatchLoads } from '../src/codegen/dispatch-load.js';
import { compilePlan, type Plan, type PlanOptions } from '../src/codegen/plan.js';
import {
  chooseConv,
  chooseConvDw,
  chooseConvDx,
  chooseFc,
  chooseReduction,
  convCandidates,
  convDwCandidates,
  convDxCandidates,
  fcCandidates,
  PROFILE_NAMES,
  profileForDevice,
  reductionCandidates,
  chooseElementwise,
  elementwiseCandidates,
  type ScheduleTarget,
} from '../src/codegen/schedule/index.js';
import { compileTrainPlan, type TrainPlan } from '../src/codegen/train-plan.js';
import { loadNetworksFromText, lowerNetwork } from '../src/driver.js';
import { GraphBuilder } from '../src/ir/builder.js';
import { residualNetwork } from '../src/ir/factory.js';
import type { ConvNode, LayerGraph } from '../src/ir/graph.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { withDeviceProfile } from '../src/launch/device-profile.js';
import { hrn } from './run-cli.js';

const graphOf = (file: string): LayerGraph => lowerNetwork(loadNetworksFromText(file, readFileSync(file, 'utf8'), new Map(), { set: [] }).networks[0]);
const NETWORKS = ['examples/resnet18.hrn', 'examples/hrn-2x5x3x.hrn', 'test/fixtures/resnet50.hrn'];
const small = () => lowerToGraph(residualNetwork({ name: 'small', depths: [1, 1], channels: [8, 16], input: { c: 3, h: 8, w: 8 }, classes: 10 }));

/** The conv node a training dispatch's label names (`S1.b1.conv1 dW partial`). */
const convOf = (g: LayerGraph, label: string) => g.nodes.find((n): n is ConvNode => n.op === 'conv' && label.startsWith(`${n.name} `))!;

describe('which profile a plan gets', () => {
  it('cpu without a device; the device heuristic gives cpu on a CPU driver, gpu elsewhere; a profile asked for wins', () => {
    expect(compilePlan(small(), { batch: 2 }).profile).toEqual({ name: 'cpu', from: 'default' });
    expect(compileTrainPlan(small(), { batch: 2 }).profile).toEqual({ name: 'cpu', from: 'default' });
    expect(compilePlan(small(), { batch: 2, profile: 'gpu' }).profile).toEqual({ name: 'gpu', from: 'option' });
    expect(profileForDevice({ cpuDriver: true })).toBe('cpu');
    expect(profileForDevice({ cpuDriver: false })).toBe('gpu');
    const options: PlanOptions = { batch: 1 };
    expect(withDeviceProfile({ cpuDriver: false }, options)).toEqual({ batch: 1, profile: 'gpu', profileFrom: 'device' });
    expect(withDeviceProfile({ cpuDriver: true }, options)).toEqual({ batch: 1, profile: 'cpu', profileFrom: 'device' });
    expect(withDeviceProfile({ cpuDriver: true }, { ...options, profile: 'gpu' })).toEqual({ batch: 1, profile: 'gpu' });
  });

  it('--profile takes cpu or gpu; anything else is a usage error of compile, train and infer, before any file is read', async () => {
    for (const argv of [
      ['compile', 'no-such-file.hrn'],
      ['train', 'no-such-file.hrn', '--data', 'mnist:/nonexistent'],
      ['infer', 'no-such-file.hrn', '--weights', '/nonexistent', '--data', 'mnist:/nonexistent'],
    ]) {
      const r = await hrn(...argv, '--profile', 'fast');
      expect([r.code, r.err.split('\n')[0]]).toEqual([2, `hrn ${argv[0]}: error: --profile must be cpu or gpu, got 'fast'`]);
    }
  });

  it('every dispatch of a scheduled family records its schedule and where it came from', () => {
    for (const profile of PROFILE_NAMES) {
      const plan = compileTrainPlan(small(), { batch: 2, profile });
      const families = new Set(plan.schedules.map((s) => s.schedule.family));
      expect([...families].sort()).toEqual(['conv', 'conv_dw', 'conv_dx', 'elementwise', 'fc', 'reduction']);
      for (const s of plan.schedules) expect([s.profile, s.from]).toEqual([profile, 'option']);
      const convDw = plan.schedules.filter((s) => s.schedule.family === 'conv_dw').map((s) => plan.dispatches[s.dispatch].label);
      expect(convDw.every((l) => / dW( partial)?$/.test(l))).toBe(true);
    }
  });
});

describe('the gpu profile on ResNet18, HRN-2x5x3x and ResNet50, training at batch 128', () => {
  const plans = new Map<string, { g: LayerGraph; cpu: TrainPlan; gpu: TrainPlan }>();
  const planOf = (file: string) => {
    if (!plans.has(file)) {
      const g = graphOf(file);
      plans.set(file, { g, cpu: compileTrainPlan(g, { batch: 128, profile: 'cpu' }), gpu: compileTrainPlan(g, { batch: 128, profile: 'gpu' }) });
    }
    return plans.get(file)!;
  };

  for (const file of NETWORKS) {
    it(`${file}: weight gradients reach 100,000 invocations unless their chunks run out, convolutions 32,768 unless their tiles are the smallest`, { timeout: 120_000 }, () => {
      const { g, gpu } = planOf(file);
      const loads = dispatchLoads(gpu);
      for (const s of gpu.schedules) {
        const d = loads[s.dispatch];
        const x = s.schedule;
        if (x.family === 'conv_dw') {
          const c = convOf(g, d.label);
          const flat = c.kernel === 1 && c.stride === 1 && c.pad === 0;
          const rows = 128 * (flat ? 1 : c.shape.h);
          if (d.invocations < 100_000) expect(x.chunks, d.label).toBe(Math.min(256, rows));
        } else if (x.family === 'conv' && d.invocations < 32_768) {
          expect([x.ocb, x.pxb], d.label).toEqual([4, 1]);
        } else if (x.family === 'conv_dx' && d.invocations < 32_768) {
          expect([x.icb, x.pxb], d.label).toEqual([4, convOf(g, d.label).stride]);
        }
      }
    });
  }

  it('the batch-norm reductions have 32,768 partial sums or more instead of a few hundred', { timeout: 120_000 }, () => {
    for (const file of NETWORKS) {
      const { cpu, gpu } = planOf(file);
      const firstLevel = (p: TrainPlan) => p.schedules.filter((s) => s.schedule.family === 'reduction' && s.schedule.level === 1).map((s) => dispatchLoads(p)[s.dispatch]);
      expect(firstLevel(gpu).length).toBeGreaterThan(0);
      for (const d of firstLevel(gpu)) expect(d.invocations, `${file}: ${d.label}`).toBeGreaterThanOrEqual(32_768);
      // the cpu profile's: 256 partial sums over the channels, at most one per image
      for (const d of firstLevel(cpu)) expect(d.invocations, `${file}: ${d.label}`).toBeLessThanOrEqual(2048);
    }
  });
});

describe('schedules fit the device', () => {
  const limitsFor = (max: number): PlanOptions['limits'] => ({ maxComputeInvocationsPerWorkgroup: max });
  const check = (plan: Plan | TrainPlan, sg: number, max: number, what: string) => {
    for (const s of plan.schedules) {
      const d = plan.dispatches[s.dispatch];
      const wg = plan.kernels[d.kernel].workgroupSize;
      expect(wg, `${what}: ${JSON.stringify(s.schedule)}`).toBeLessThanOrEqual(max);
      // the kernels that share loads across a subgroup run whole subgroups
      if (['conv', 'conv_dx', 'conv_dw'].includes(s.schedule.family) && sg > 0) expect(wg % sg, `${what}: ${JSON.stringify(s.schedule)}`).toBe(0);
    }
  };
  it('workgroups within maxComputeInvocationsPerWorkgroup and whole subgroups, widths 0 to 128, both profiles', { timeout: 120_000 }, () => {
    const g = graphOf('examples/hrn-2x5x3x.hrn');
    for (const profile of PROFILE_NAMES) {
      for (const sg of [0, 4, 16, 32, 128]) {
        for (const max of [256, 1024]) {
          const o = { batch: 8, subgroupSize: sg, profile, limits: limitsFor(max) };
          check(compilePlan(g, o), sg, max, `${profile} inference, subgroups of ${sg}`);
          check(compileTrainPlan(g, o), sg, max, `${profile} training, subgroups of ${sg}`);
        }
      }
    }
  });

  it('an override breaking the limits is refused, naming the layer and the limit', () => {
    expect(() => compilePlan(small(), { batch: 2, schedules: { conv: { wg: 512 } } })).toThrow(/stem\.conv1.*workgroup size 512 is above the device's maxComputeInvocationsPerWorkgroup \(256\)/);
    expect(() => compileTrainPlan(small(), { batch: 2, subgroupSize: 16, schedules: { conv_dx: { wg: 24 } } })).toThrow(/dX: conv_dx schedule: workgroup size 24 is not a multiple of the subgroup width 16/);
  });
});

describe('overrides', () => {
  it("force a family's knobs on every kernel of it, recorded as an override; the other families keep the profile's", () => {
    const plan = compileTrainPlan(small(), { batch: 2, profile: 'gpu', schedules: { conv: { ocb: 4, pxb: 2 }, reduction: { target: 1 } } });
    const of = (f: string) => plan.schedules.filter((s) => s.schedule.family === f);
    for (const s of of('conv')) expect([s.schedule, s.from]).toMatchObject([{ ocb: 4, pxb: 2 }, 'override']);
    // one partial sum per channel (the whole batch) in the batch-norm reductions
    const bn = of('reduction').filter((s) => s.schedule.family === 'reduction' && s.schedule.level === 1);
    expect(bn.length).toBeGreaterThan(0);
    for (const s of bn) expect([s.schedule.family === 'reduction' && s.schedule.partials, s.from]).toEqual([1, 'override']);
    for (const s of of('conv_dx')) expect(s.from).toBe('option');
    // the forward tile fixes the packed weight layout
    for (const p of plan.params) if (p.layout.kind === 'conv-weight') expect(p.layout.ocb).toBe(4);
  });
});

describe('candidates a tuner would time', () => {
  const target: ScheduleTarget = { subgroupSize: 8, maxWorkgroupSize: 256, maxBindingBytes: 2 ** 27 };
  const shapes = [
    { batch: 32, inC: 16, inH: 16, inW: 16, outC: 32, outH: 8, outW: 8, kernel: 3, stride: 2, pad: 1, groups: 1 },
    { batch: 32, inC: 64, inH: 8, inW: 8, outC: 64, outH: 8, outW: 8, kernel: 1, stride: 1, pad: 0, groups: 2 },
  ];
  it("hold both profiles' choices, and every candidate fits the target", () => {
    const key = (o: object) => JSON.stringify(o);
    for (const s of shapes) {
      const g = { ...s, ocb: 8 };
      const has = <T extends object>(list: T[], x: T) => expect(list.map(key)).toContain(key(x));
      for (const profile of PROFILE_NAMES) {
        has(convCandidates(s, target), chooseConv(s, profile, target));
        has(convDxCandidates(s, target), chooseConvDx(s, profile, target));
        const { wg, ovb, kyb, pxb, target: t } = chooseConvDw(g, profile, target);
        has(convDwCandidates(g, target), { wg, ovb, kyb, pxb, target: t });
        has(fcCandidates(target), chooseFc(1000, profile, target));
        has(reductionCandidates(target), chooseReduction(profile, target));
        has(elementwiseCandidates(target), chooseElementwise(s.outH * s.outW, profile, target));
      }
      for (const c of [...convCandidates(s, target), ...convDxCandidates(s, target), ...convDwCandidates(g, target), ...fcCandidates(target), ...reductionCandidates(target), ...elementwiseCandidates(target)]) {
        expect(c.wg).toBeLessThanOrEqual(256);
        expect(c.wg % 8).toBe(0);
      }
    }
  });

  it("time the conv halo by subgroupShuffle where it applies, which no profile chooses", () => {
    const s3 = { batch: 8, inC: 16, inH: 16, inW: 16, outC: 16, outH: 16, outW: 16, kernel: 3, stride: 1, pad: 1, groups: 1 };
    const halos = (s: typeof s3, t: ScheduleTarget) => convCandidates(s, t).filter((c) => c.halo);
    // 3x3 stride 1 padded: with pixel blocks of 4 and 8 (whole quads), not 1 or 2
    expect(halos(s3, target).length).toBeGreaterThan(0);
    expect([...new Set(halos(s3, target).map((c) => c.pxb))].sort()).toEqual([4, 8]);
    expect(halos(s3, target).every((c) => c.gemm === false)).toBe(true);
    // not at stride 2, not unpadded (a flat 1x1), not without subgroups
    expect(halos(shapes[0], target)).toEqual([]);
    expect(halos(shapes[1], target)).toEqual([]);
    expect(halos(s3, { ...target, subgroupSize: 0 })).toEqual([]);
    for (const profile of PROFILE_NAMES) {
      expect(chooseConv(s3, profile, target).halo, profile).toBeUndefined();
      expect(chooseConv(s3, profile, target, { gemm: false, pxb: 4, halo: true }).halo, profile).toBe(true);
      expect(chooseConv(shapes[0], profile, target, { gemm: false, halo: true }).halo, profile).toBeUndefined();
      expect(chooseConv(s3, profile, target, { gemm: false, pxb: 2, halo: true }).halo, profile).toBeUndefined();
    }
  });

  it('plans compile with the first, middle and last candidate of each family forced', () => {
    // Overrides reach every kernel of a family, so every conv here is 3x3 (a kernel-row block must
    // divide the kernel) and the strides are 1 and 2 (dX pixel blocks are multiples of the stride).
    const b = new GraphBuilder();
    const x = b.addInput('input', { c: 3, h: 8, w: 8 });
    const c1 = b.add({ op: 'conv', name: 'c1', region: 'S1', input: x, outChannels: 8, kernel: 3, stride: 1, pad: 1, groups: 1, bias: false });
    const r1 = b.add({ op: 'relu', name: 'r1', region: 'S1', input: b.add({ op: 'bn', name: 'n1', region: 'S1', input: c1 }), start: 0, end: 8 });
    const c2 = b.add({ op: 'conv', name: 'c2', region: 'S1', input: r1, outChannels: 16, kernel: 3, stride: 2, pad: 1, groups: 1, bias: false });
    const n2 = b.add({ op: 'bn', name: 'n2', region: 'S1', input: c2 });
    const fc = b.add({ op: 'fc', name: 'fc', region: 'head', input: b.add({ op: 'avgpool', name: 'pool', region: 'head', input: n2 }), outFeatures: 10 });
    const g = b.finish('candidates', fc, ['S1'], 10);
    const s = { batch: 2, inC: 8, inH: 8, inW: 8, outC: 16, outH: 4, outW: 4, kernel: 3, stride: 2, pad: 1, groups: 1 };
    const pick = <T>(l: T[]) => [l[0], l[Math.floor(l.length / 2)], l[l.length - 1]];
    const lists = { conv: convCandidates(s, target), conv_dx: convDxCandidates(s, target), conv_dw: convDwCandidates({ ...s, ocb: 8 }, target), fc: fcCandidates(target), reduction: reductionCandidates(target), elementwise: elementwiseCandidates(target) };
    for (const [family, list] of Object.entries(lists)) {
      for (const c of pick(list as object[])) {
        const o = { batch: 2, subgroupSize: 8, schedules: { [family]: c } };
        expect(() => compileTrainPlan(g, o), `${family} ${JSON.stringify(c)}`).not.toThrow();
      }
    }
  });
});
