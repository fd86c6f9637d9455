// The kernels at subgroup sizes 4 (Chromium's SwiftShader adapter) and 8 (lavapipe's default):
// lavapipe takes its SIMD width from LP_NATIVE_VECTOR_WIDTH, so a child process started with 128
// bits has subgroups of 4 and one with 256 bits subgroups of 8. Each child runs inference and two
// training steps of networks that between them use every kernel template, against the CPU
// reference (test/subgroups/child.ts). The playground test runs the inference kernels at size 4 in
// Chromium itself.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compilePlan } from '../src/codegen/plan.js';
import { residualNetwork } from '../src/ir/factory.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { runLavapipeChild } from './lavapipe-child.js';

interface ChildReport {
  subgroupSize: number;
  adapter: string;
  templates: string[];
  results: Array<{ network: string; inference: number; training: number }>;
}

function runChild(vectorBits: number): Promise<ChildReport> {
  return runLavapipeChild<ChildReport>(join('test', 'subgroups', 'child.ts'), vectorBits);
}

/** Every kernel template: kernels/*.wgsl and kernels/train/*.wgsl (kernels/lib holds shared snippets). */
function allTemplates(): string[] {
  const names = (dir: string, prefix: string) => readdirSync(join('kernels', dir)).filter((f) => f.endsWith('.wgsl')).map((f) => `${prefix}${f.replace(/\.wgsl$/, '')}`);
  return [...names('.', ''), ...names('train', 'train/')].sort();
}

describe('kernels at subgroup sizes 4 and 8', () => {
  it('the forward convolution is specialized for the subgroup size (so running both sizes tests two kernels)', () => {
    const g = lowerToGraph(residualNetwork({ name: 'n', depths: [1, 1], channels: [4, 8], input: { c: 3, h: 8, w: 8 }, classes: 5 }));
    const conv = (sg: number) => compilePlan(g, { batch: 4, subgroupSize: sg }).kernels.filter((k) => k.template === 'conv').map((k) => k.wgsl);
    expect(conv(4)[0]).toContain('subgroupBroadcast(');
    expect(conv(4)).not.toEqual(conv(8));
  });

  it('every kernel template matches the CPU reference on lavapipe with subgroups of 4 and of 8', { timeout: 1_200_000 }, async () => {
    const reports = await Promise.all([runChild(128), runChild(256)]);
    expect(reports.map((r) => r.subgroupSize)).toEqual([4, 8]);
    for (const r of reports) {
      expect(r.templates, `templates run with subgroups of ${r.subgroupSize}`).toEqual(allTemplates());
      for (const x of r.results) {
        expect(x.inference, `${x.network}: inference logits, subgroups of ${r.subgroupSize}`).toBeLessThan(1e-5);
        expect(x.training, `${x.network}: weights after two training steps, subgroups of ${r.subgroupSize}`).toBeLessThan(1e-4);
      }
    }
  });
});
