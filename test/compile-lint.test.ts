// The GPU-starvation lint: a dispatch carrying more than 1% of a plan's FLOPs in fewer than 32,768
// invocations would leave a GPU mostly idle. `hrn compile --lint` lists such dispatches and exits 1.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dispatchLoads, type DispatchLoad } from '../src/codegen/dispatch-load.js';
import { STARVATION_LIMITS, starvedDispatches } from '../src/codegen/lint.js';
import { compilePlan } from '../src/codegen/plan.js';
import { compileTrainPlan } from '../src/codegen/train-plan.js';
import { loadNetworksFromText, lowerNetwork } from '../src/driver.js';
import { hrn } from './run-cli.js';
import { validateJson } from './json-schema.js';

const graphOf = (file: string) => lowerNetwork(loadNetworksFromText(file, readFileSync(file, 'utf8'), new Map(), { set: [] }).networks[0]);

const load = (index: number, invocations: number, flops: number): DispatchLoad => ({
  index,
  kernel: `k${index}`,
  label: `layer ${index}`,
  workgroupSize: 64,
  workgroups: [invocations / 64, 1, 1],
  invocations,
  flops,
});

/** The lint's rule, written out independently of src/codegen/lint.ts. */
const starving = (loads: DispatchLoad[]) => {
  const total = loads.reduce((s, d) => s + d.flops, 0);
  return loads.filter((d) => d.flops / total > 0.01 && d.invocations < 32_768).map((d) => d.index);
};

describe('starvedDispatches', () => {
  it('flags a dispatch over 1% of the FLOPs with fewer than 32,768 invocations, and nothing at the limits', () => {
    const loads = [
      load(0, 1024, 20), // 20%, few invocations: flagged
      load(1, 32_768, 50), // 50% at exactly the invocation limit: not flagged
      load(2, 32_704, 20), // 20%, one workgroup short of it: flagged
      load(3, 64, 1), // exactly 1%: not flagged
      load(4, 64, 0), // memory-bound
      load(5, 1 << 20, 9),
    ];
    const flagged = starvedDispatches(loads);
    expect(flagged.map((d) => d.index)).toEqual([0, 2]);
    expect(flagged.map((d) => d.flopsShare)).toEqual([0.2, 0.2]);
    expect(STARVATION_LIMITS).toEqual({ minInvocations: 32_768, minFlopsShare: 0.01 });
    expect(starvedDispatches([load(0, 64, 0)])).toEqual([]);
  });

  it('reads invocations as workgroups x workgroup size, for both kinds of plan', () => {
    const graph = graphOf('examples/hrn-2x5x3x.hrn');
    for (const plan of [compilePlan(graph, { batch: 2 }), compileTrainPlan(graph, { batch: 2 })]) {
      const loads = dispatchLoads(plan);
      expect(loads).toHaveLength(plan.dispatches.length);
      loads.forEach((l, i) => {
        const d = plan.dispatches[i];
        expect(l.invocations).toBe(d.workgroups.reduce((a, b) => a * b, 1) * plan.kernels[d.kernel].workgroupSize);
      });
      expect(starvedDispatches(loads).map((d) => d.index)).toEqual(starving(loads));
    }
  });
});

describe('hrn compile --lint under the schedule profiles', () => {
  const NETWORKS = ['examples/resnet18.hrn', 'examples/hrn-2x5x3x.hrn', 'test/fixtures/resnet50.hrn'];
  for (const file of NETWORKS) {
    it(`${file}: the gpu profile's training step at batch 128 starves no GPU (exit 0); --profile cpu finds what the default finds`, { timeout: 120_000 }, async () => {
      const gpu = await hrn('compile', file, '--train', '--batch', '128', '--profile', 'gpu', '--lint');
      expect(gpu.code, gpu.out + gpu.err).toBe(0);
      expect(gpu.out).toMatch(/training step at batch 128: no dispatch starves a GPU/);
      const cpu = await hrn('compile', file, '--train', '--batch', '128', '--profile', 'cpu', '--lint');
      const plain = await hrn('compile', file, '--train', '--batch', '128', '--lint');
      expect([cpu.code, cpu.out]).toEqual([plain.code, plain.out]);
    });
  }

  it("under the cpu profile ResNet18's starved dispatches are its weight gradients and its S3 and S4 forward convs and input gradients, HRN-2x5x3x's are in S3 and S4", { timeout: 120_000 }, async () => {
    const flagged = async (file: string) => {
      const r = await hrn('compile', file, '--train', '--batch', '128', '--profile', 'cpu', '--lint');
      expect(r.code).toBe(1);
      return [...r.out.matchAll(/^ +\d+  t\d+_(\w+) +(\S+) /gm)].map((m) => ({ kernel: m[1], layer: m[2] }));
    };
    const resnet18 = await flagged('examples/resnet18.hrn');
    expect(resnet18.length).toBeGreaterThan(0);
    expect(new Set(resnet18.map((d) => d.kernel))).toEqual(new Set(['conv', 'conv_dx', 'conv_dw']));
    // the cpu profile's 4 rows per invocation (output rows forward, input rows for dX) leave the
    // small late planes few invocations
    expect(resnet18.filter((d) => d.kernel !== 'conv_dw').every((d) => /^S[34]\./.test(d.layer))).toBe(true);
    const hrn2 = await flagged('examples/hrn-2x5x3x.hrn');
    expect(new Set(hrn2.map((d) => d.kernel))).toEqual(new Set(['conv', 'conv_dx', 'conv_dw']));
    expect(hrn2.every((d) => /^S[34]\./.test(d.layer))).toBe(true);
  });
});

describe('hrn compile --lint', () => {
  it('a network whose every layer is small starves a GPU: the flagged dispatches are listed, exit 1', async () => {
    const r = await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--set', 'm=2', '--train', '--lint');
    expect(r.code, r.err).toBe(1);
    const loads = dispatchLoads(compileTrainPlan(lowerNetwork(loadNetworksFromText('x', readFileSync('examples/hrn-2x5x3x.hrn', 'utf8'), new Map(), { set: ['m=2'] }).networks[0]), { batch: 1 }));
    const expected = starving(loads);
    expect(expected.length).toBeGreaterThan(0);
    expect(r.out).toContain(`HRN-2x5x3x: training step at batch 1: ${expected.length} of ${loads.length} dispatches starve a GPU (each over 1% of the FLOPs in fewer than 32,768 invocations`);
    for (const i of expected) {
      const d = loads[i];
      expect(r.out).toMatch(new RegExp(`^\\s+${i}  ${d.kernel}\\s+${d.label.replace(/[.+]/g, '\\$&')}\\s+${d.invocations.toLocaleString('en-US')}\\s+\\d+\\.\\d%$`, 'm'));
    }
  });

  it("exits 0 exactly when nothing is flagged; with --json the findings are in the document", async () => {
    const r = await hrn('compile', 'examples/resnet18.hrn', '--batch', '128', '--lint', '--json');
    const doc = JSON.parse(r.out);
    expect(validateJson('compile', doc)).toEqual([]);
    const loads = dispatchLoads(compilePlan(graphOf('examples/resnet18.hrn'), { batch: 128 }));
    const expected = starving(loads);
    expect(doc.networks[0].lint.starved.map((d: { index: number }) => d.index)).toEqual(expected);
    expect(r.code).toBe(expected.length > 0 ? 1 : 0);
    const text = await hrn('compile', 'examples/resnet18.hrn', '--batch', '128', '--lint');
    expect(text.code).toBe(r.code);
    if (expected.length === 0) expect(text.out).toContain('ResNet18: inference at batch 128: no dispatch starves a GPU');
  });
});
