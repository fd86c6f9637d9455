// The gpu profile rounds every workgroup up to a multiple of the adapter's largest subgroup size
// (plan option subgroupMaxSize, 32 when not known), so no subgroup of a workgroup runs partly
// empty; the cpu profile is left as it was. Plans only: the kernels run against the reference with
// rounded workgroups in schedule-kernels.test.ts.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compilePlan, type Plan, type PlanOptions, type ScheduleOptions } from '../src/codegen/plan.js';
import { compileTrainPlan, type TrainPlan } from '../src/codegen/train-plan.js';
import { loadNetworksFromText, lowerNetwork } from '../src/driver.js';
import { residualNetwork } from '../src/ir/factory.js';
import type { LayerGraph } from '../src/ir/graph.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { withDeviceProfile } from '../src/launch/device-profile.js';

const graphOf = (file: string): LayerGraph => lowerNetwork(loadNetworksFromText(file, readFileSync(file, 'utf8'), new Map(), { set: [] }).networks[0]);

/** 40 channels a group: the cpu shapes give its weight gradients workgroups of 40 invocations. */
const forty = () => lowerToGraph(residualNetwork({ name: 'forty', depths: [1, 1], channels: [40, 80], input: { c: 3, h: 8, w: 8 }, classes: 10 }));

const NETWORKS: Array<[string, () => LayerGraph]> = [
  ['forty', forty],
  ['ResNet18', () => graphOf('examples/resnet18.hrn')],
  ['HRN-2x5x3x', () => graphOf('examples/hrn-2x5x3x.hrn')],
  ['ResNet50', () => graphOf('test/fixtures/resnet50.hrn')],
];

/** Every dispatch's workgroup size, as the plan records it and as its WGSL declares it. */
function workgroups(plan: Plan | TrainPlan): Array<{ kernel: string; size: number; declared: number }> {
  return plan.dispatches.map((d) => {
    const k = plan.kernels[d.kernel];
    const m = /@workgroup_size\((\d+)\)/.exec(k.wgsl);
    return { kernel: k.name, size: k.workgroupSize, declared: m ? Number(m[1]) : NaN };
  });
}

function plans(g: LayerGraph, o: Omit<PlanOptions, 'batch'>): Array<Plan | TrainPlan> {
  return [compilePlan(g, { batch: 3, ...o }), compileTrainPlan(g, { batch: 3, ...o })];
}

/** The dispatches whose workgroup is not a multiple of `m` (or whose WGSL declares another size). */
const offenders = (ps: Array<Plan | TrainPlan>, m: number) =>
  ps.flatMap((p) => workgroups(p)).filter((w) => w.size % m !== 0 || w.declared !== w.size).map((w) => `${w.kernel}: ${w.size} (declared ${w.declared})`);

describe('gpu-profile workgroups are whole subgroups of the largest size', () => {
  it("40 channels a group: the cpu profile's weight-gradient workgroups of 40 become 64 under gpu", () => {
    const sizes = (o: Omit<PlanOptions, 'batch'>) => plans(forty(), { subgroupSize: 8, ...o }).flatMap((p) => workgroups(p).filter((w) => w.kernel.endsWith('conv_dw')).map((w) => w.size));
    expect(sizes({ profile: 'cpu' })).toContain(40);
    // 40 channels need 64 lanes, the 3 of the input convolution 32
    expect(new Set(sizes({ profile: 'gpu', subgroupMaxSize: 32 }))).toEqual(new Set([32, 64]));
  });

  const CASES: Array<{ sg: number; max: number }> = [
    { sg: 0, max: 32 },
    { sg: 8, max: 16 },
    { sg: 8, max: 64 },
    { sg: 16, max: 128 },
    { sg: 32, max: 32 },
  ];
  for (const [name, graph] of NETWORKS) {
    it(`${name}: every dispatch of inference and training, subgroups of ${CASES.map((c) => `${c.sg || 'none'} up to ${c.max}`).join(', ')}`, () => {
      const g = graph();
      for (const { sg, max } of CASES) {
        expect(offenders(plans(g, { profile: 'gpu', subgroupSize: sg, subgroupMaxSize: max }), max), `subgroups of ${sg} to ${max}`).toEqual([]);
      }
    });
  }

  it('an adapter that does not say gets multiples of 32', () => {
    expect(offenders(plans(forty(), { profile: 'gpu', subgroupSize: 8 }), 32)).toEqual([]);
  });

  it('a largest subgroup above the workgroup limit gives the largest power of two within it', () => {
    const ps = plans(forty(), { profile: 'gpu', subgroupSize: 8, subgroupMaxSize: 128, limits: { maxComputeInvocationsPerWorkgroup: 64 } });
    expect(offenders(ps, 64)).toEqual([]);
    expect(Math.max(...ps.flatMap((p) => workgroups(p).map((w) => w.size)))).toBeLessThanOrEqual(64);
  });

  it('the cpu profile ignores it (the same plans byte for byte), the gpu profile does not', () => {
    for (const [, graph] of NETWORKS.slice(0, 2)) {
      const g = graph();
      const text = (o: Omit<PlanOptions, 'batch'>) => JSON.stringify(plans(g, { subgroupSize: 8, ...o }));
      expect(text({ profile: 'cpu', subgroupMaxSize: 64 })).toBe(text({ profile: 'cpu' }));
      expect(text({ profile: 'gpu', subgroupMaxSize: 64 })).not.toBe(text({ profile: 'gpu' }));
    }
  });

  it('a size that is not a power of two is refused', () => {
    expect(() => compilePlan(forty(), { batch: 1, profile: 'gpu', subgroupMaxSize: 48 })).toThrow(/subgroupMaxSize must be a positive power of two, got 48/);
  });

  it("the runtime passes the adapter's largest subgroup size on, unless the options give one", () => {
    expect(withDeviceProfile({ cpuDriver: false, subgroupMaxSize: 64 }, {})).toMatchObject({ profile: 'gpu', subgroupMaxSize: 64 });
    expect(withDeviceProfile({ cpuDriver: false, subgroupMaxSize: 64 }, { subgroupMaxSize: 16 }).subgroupMaxSize).toBe(16);
    const none: ScheduleOptions = {};
    expect(withDeviceProfile({ cpuDriver: true, subgroupMaxSize: 0 }, none).subgroupMaxSize).toBeUndefined();
  });
});
