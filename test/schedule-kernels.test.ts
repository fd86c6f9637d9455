// Kernel schedules against the reference: a sample of the schedule space (the cpu and gpu profiles,
// two points forcing every family's knobs, and the conv halo by subgroupShuffle,
// test/schedules/child.ts) runs inference and a training step on lavapipe with subgroups of 4, 8
// and 16 (LP_NATIVE_VECTOR_WIDTH 128, 256 and 512 bits), each with Dawn's bounds checks on and
// off, in child processes; the logits must match the reference executor and the gradients the
// reference backward.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runLavapipeChild } from './lavapipe-child.js';

interface ChildReport {
  subgroupSize: number;
  subgroupMaxSize: number;
  robust: boolean;
  results: Array<{ point: string; inference: number; gradients: number; schedules: string[]; planeSplit: boolean; workgroups: number[]; shuffles: number }>;
}

function runChild(vectorBits: number, robust: boolean): Promise<ChildReport> {
  const what = `${vectorBits} bits, bounds checks ${robust ? 'on' : 'off'}`;
  return runLavapipeChild<ChildReport>(join('test', 'schedules', 'child.ts'), vectorBits, { HRN_TEST_ROBUST: robust ? '1' : '0' }, what);
}

/** The family of a schedule as --debug prints it (`conv_dw wg 64, ... (profile cpu)`). */
const family = (text: string) => text.split(' ')[0];

const RUNS = [128, 256, 512].flatMap((bits) => [false, true].map((robust) => ({ bits, robust })));

describe('schedules against the reference at subgroups of 4, 8 and 16, bounds checks on and off', () => {
  it('every sampled schedule gives the reference logits and gradients', { timeout: 1_800_000 }, async () => {
    // two children at a time: each keeps a core busy compiling kernels
    const reports: ChildReport[] = [];
    for (let i = 0; i < RUNS.length; i += 2) reports.push(...(await Promise.all(RUNS.slice(i, i + 2).map((r) => runChild(r.bits, r.robust)))));
    expect(reports.map((r) => [r.subgroupSize, r.robust])).toEqual([[4, false], [4, true], [8, false], [8, true], [16, false], [16, true]]);
    for (const r of reports) {
      const where = `subgroups of ${r.subgroupSize}, bounds checks ${r.robust ? 'on' : 'off'}`;
      expect(r.results.map((x) => x.point)).toEqual(['profile cpu', 'profile gpu', 'small tiles, many partial sums', 'large tiles, one partial sum', 'halo by subgroupShuffle']);
      for (const x of r.results) {
        expect(x.inference, `${x.point}, ${where}: logits`).toBeLessThan(1e-5);
        expect(x.gradients, `${x.point}, ${where}: gradients`).toBeLessThan(1e-4);
      }
      // The sample spans each family: no family has the same schedules at every point.
      for (const f of ['conv', 'conv_dx', 'conv_dw', 'fc', 'reduction', 'elementwise']) {
        const at = r.results.map((x) => JSON.stringify(x.schedules.filter((s) => family(s) === f).map((s) => s.replace(/ \(.*\)$/, '')).sort()));
        expect(JSON.parse(at[0]).length, `${f} is scheduled`).toBeGreaterThan(0);
        expect(new Set(at).size, `${f}: schedules differ between points`).toBeGreaterThan(1);
      }
      // The gpu profile cuts the reductions' planes on this small batch, the cpu profile does not.
      expect(r.results.map((x) => x.planeSplit)).toEqual([false, true, true, false, false]);
      // Only the halo's point shuffles a halo, in its inference and training forward convs (which matched above).
      expect(r.results.map((x) => x.shuffles > 0)).toEqual([false, false, false, false, true]);
      // The gpu profile's workgroups are whole subgroups of the adapter's largest size (lavapipe's
      // is its only one), and of 64 at the point that says subgroups run up to 64 wide: the
      // kernels above matched the reference with workgroups rounded up.
      expect(r.subgroupMaxSize).toBe(r.subgroupSize);
      const [, gpu, small] = r.results;
      expect(gpu.workgroups.filter((w) => w % r.subgroupMaxSize !== 0), `${where}: profile gpu`).toEqual([]);
      expect(small.workgroups.filter((w) => w % 64 !== 0), `${where}: ${small.point}`).toEqual([]);
      // The gpu profile adds some weight gradients' chunks with the tree form of conv_dw_reduce
      // (several lanes per vec4), and those gradients matched the reference above; the cpu profile never does.
      expect(gpu.schedules.some((s) => /^reduction level 2, wg \d+, partials \d+, lanes \d+ /.test(s)), `${where}: profile gpu`).toBe(true);
      expect(r.results[0].schedules.some((s) => s.includes('lanes')), `${where}: profile cpu`).toBe(false);
      // The gpu profile's forward convs and dX are all the implicit-product kernels with workgroup
      // tiles, and matched the reference above; the cpu profile's never are.
      const convs = (x: ChildReport['results'][number]) => x.schedules.filter((s) => family(s) === 'conv' || family(s) === 'conv_dx');
      expect(convs(gpu).length).toBeGreaterThan(0);
      expect(convs(gpu).filter((s) => !s.includes('gemm yes')), `${where}: profile gpu`).toEqual([]);
      expect(convs(r.results[0]).filter((s) => s.includes('gemm yes')), `${where}: profile cpu`).toEqual([]);
    }
  });
});
