// Every kernel that hrn generates for every bundled example, under every kind of pass pipeline,
// must be valid WGSL for Dawn. Kernels are deduplicated by source; only Dawn's shader compiler
// runs here (pipeline creation, which also runs the Vulkan driver's compiler, is covered in runtime tests).
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePlan } from '../src/codegen/index.js';
import type { ArchIR } from '../src/ir/arch.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { parseHrn, resolveNetwork } from '../src/parser/index.js';
import { runText } from '../src/passes/manager.js';
import { openDevice, type GpuContext } from '../src/runtime/index.js';

function example(file: string): ArchIR {
  const path = `examples/${file}`;
  const text = readFileSync(path, 'utf8');
  const { file: parsed } = parseHrn(text, path);
  const r = resolveNetwork(parsed.networks[0], [], new Map([[path, text]]));
  if (!r.arch) throw new Error(`${path} does not resolve`);
  return r.arch;
}

const PIPELINES = [
  '',
  'thin all',
  'cull S1; thin remaining',
  'cull S1; thin remaining; reuse 4',
  'cull S1; thin remaining; reuse 8',
  'cull S1; thin remaining; reuse 16',
  'scale 0.5',
];
// The whole DeepReShape flow needs a criticality order that equalization can meet: the
// four-stage ResNet18-style networks.
const HYBRENET = ['resnet18.hrn', 'hrn-5x5x3x.hrn', 'hrn-2x5x3x.hrn'];

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await openDevice();
});
afterAll(() => ctx?.close());

describe('generated WGSL compiles in Dawn', () => {
  const files = readdirSync('examples').filter((f) => f.endsWith('.hrn')).sort();
  for (const file of files) {
    it(file, async () => {
      const base = example(file);
      const variants: ArchIR[] = PIPELINES.flatMap((p) => (p === '' ? [base] : runText(base, p).family));
      if (HYBRENET.includes(file)) variants.push(...runText(base, 'hybrenet').family);
      const seen = new Set<string>();
      for (const net of variants) {
        const plan = compilePlan(lowerToGraph(net), { batch: 1, subgroupSize: ctx.subgroupSize, limits: ctx.limits });
        for (const k of plan.kernels) {
          if (seen.has(k.wgsl)) continue;
          seen.add(k.wgsl);
          const info = await ctx.device.createShaderModule({ code: k.wgsl }).getCompilationInfo();
          const errors = info.messages.filter((m) => m.type === 'error').map((m) => `${m.lineNum}:${m.linePos} ${m.message}`);
          expect(errors, `${net.name} [${net.history.join('; ')}] ${k.name}`).toEqual([]);
        }
      }
      expect(variants.length).toBeGreaterThanOrEqual(PIPELINES.length);
      expect(seen.size).toBeGreaterThan(10);
    });
  }
});
