// Training buffers sharing GPU memory by liveness (the training pass `allocate`): checked on every
// example network against live spans worked out here from the dispatch list, the memory a ResNet18
// step needs, and what `hrn compile --train` prints.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { bytes } from '../src/cli/format.js';
import { compileTrainNetwork, compileTrainPlan, type TrainPlan, type TrainPlanOptions } from '../src/codegen/train-plan.js';
import { loadNetworksFromText } from '../src/driver.js';
import type { ArchIR } from '../src/ir/arch.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { net, one } from './passes-fixtures.js';
import { clearedGradientGraph, reluReuseGraph } from './train-memory-fixtures.js';

const EXAMPLES = 'examples';

function exampleNetworks(): ArchIR[] {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.hrn')).sort();
  return files.flatMap((f) => loadNetworksFromText(f, readFileSync(join(EXAMPLES, f), 'utf8'), new Map(), { set: [] }).networks);
}

// The widest examples have more parameters than one default storage binding holds; the plan is
// still well defined, and its buffers are what is checked here.
const ROOMY = { maxStorageBufferBindingSize: 2 ** 31, maxBufferSize: 2 ** 31 };

async function hrn(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`) });
  return { code, out, err };
}

/** Buffers the host reads or writes outside the dispatch list, or that outlive a step. */
const PERSISTENT_KINDS = new Set(['params', 'grads', 'momentum', 'running', 'input', 'labels', 'teacher', 'uniform', 'sums', 'args', 'zeros']);

/** Each buffer's first and last dispatch, and whether the first one may write it, from the bindings alone. */
function spansFromDispatches(plan: TrainPlan) {
  const spans = new Map<number, { first: number; last: number; firstWrites: boolean }>();
  plan.dispatches.forEach((d, i) => {
    for (const b of d.bindings) {
      const s = spans.get(b.buffer);
      if (s) s.last = i;
      else spans.set(b.buffer, { first: i, last: i, firstWrites: b.type === 'storage' });
    }
  });
  return spans;
}

/** Every property buffer sharing must keep, each failure named. */
function checkSharing(plan: TrainPlan, what: string): void {
  const { allocations, allocationOf } = plan.memory;
  const spans = spansFromDispatches(plan);
  // each buffer in exactly one allocation, which is large enough for it
  const seen = plan.buffers.map(() => 0);
  for (const a of allocations) {
    for (const id of a.buffers) {
      seen[id]++;
      expect(allocationOf[id], `${what}: ${plan.buffers[id].name}`).toBe(a.id);
      expect(a.bytes, `${what}: allocation ${a.id} holds ${plan.buffers[id].name}`).toBeGreaterThanOrEqual(plan.buffers[id].bytes);
    }
  }
  expect(seen.every((n) => n === 1), `${what}: every buffer in one allocation`).toBe(true);
  expect(plan.memory.bytes).toBe(allocations.reduce((s, a) => s + a.bytes, 0));
  // views stay inside their buffer, at offsets WebGPU accepts (256-byte alignment)
  for (const d of plan.dispatches) {
    for (const b of d.bindings) {
      const offset = b.offset ?? 0;
      expect(offset % 256, `${what}: ${d.label} binding ${b.binding}`).toBe(0);
      expect(offset + (b.size ?? 0), `${what}: ${d.label} binding ${b.binding}`).toBeLessThanOrEqual(plan.buffers[b.buffer].bytes);
    }
  }
  const logitsGrad = plan.values.find((v) => v.node === plan.output.node)!.grad!.buffer;
  const persistent = new Set([plan.output.logits.buffer, logitsGrad, ...plan.buffers.filter((b) => PERSISTENT_KINDS.has(b.kind)).map((b) => b.id)]);
  for (const a of allocations) {
    const names = a.buffers.map((id) => plan.buffers[id].name).join(', ');
    if (a.buffers.length === 1) continue;
    for (const id of a.buffers) {
      expect(persistent.has(id), `${what}: ${plan.buffers[id].name} (${plan.buffers[id].kind}) is shared: ${names}`).toBe(false);
      const s = spans.get(id)!;
      // nothing reads a shared buffer before the step writes it, so no earlier tenant's data leaks in
      expect(s.firstWrites, `${what}: ${plan.buffers[id].name} is read before it is written`).toBe(true);
    }
    // no two buffers of an allocation live at the same dispatch
    const byFirst = [...a.buffers].sort((x, y) => spans.get(x)!.first - spans.get(y)!.first);
    for (let i = 1; i < byFirst.length; i++) {
      const [prev, next] = [spans.get(byFirst[i - 1])!, spans.get(byFirst[i])!];
      expect(prev.last, `${what}: ${plan.buffers[byFirst[i - 1]].name} and ${plan.buffers[byFirst[i]].name} overlap in allocation ${a.id}`).toBeLessThan(next.first);
    }
    // a buffer cleared at the start of the step is the first tenant of its allocation
    for (const id of a.buffers) {
      if (plan.clears.includes(id)) expect(byFirst[0], `${what}: cleared ${plan.buffers[id].name} is not first in allocation ${a.id}`).toBe(id);
    }
  }
}

const sharedCount = (plan: TrainPlan) => plan.memory.allocations.filter((a) => a.buffers.length > 1).length;

describe('training buffers share memory only when never live together', () => {
  const cases: { what: string; plan: (o: TrainPlanOptions) => TrainPlan }[] = [
    ...exampleNetworks().map((n) => ({ what: n.name, plan: (o: TrainPlanOptions) => compileTrainNetwork(n, o).plan })),
    { what: 'HRN-2x5x3x m=4 with reuse 4 (slices, concatenations)', plan: (o) => compileTrainNetwork(one(net([2, 5, 3], { m: 4 }), 'reuse 4'), o).plan },
    { what: 'ReLU-reuse units', plan: (o) => compileTrainPlan(reluReuseGraph(), o) },
    { what: 'a gradient cleared every step', plan: (o) => compileTrainPlan(clearedGradientGraph(), o) },
  ];
  for (const c of cases) {
    it(`${c.what}, batch 2`, () => {
      const plan = c.plan({ batch: 2, limits: ROOMY });
      expect(sharedCount(plan), c.what).toBeGreaterThan(0);
      expect(plan.memory.bytes).toBeLessThan(plan.memory.noReuseBytes);
      checkSharing(plan, c.what);
    });
  }

  it('with distillation the teacher logits keep memory of their own', () => {
    const plan = compileTrainPlan(reluReuseGraph(), { batch: 2, loss: { kind: 'hinton', temperature: 4, ceWeight: 0.1, kdWeight: 0.9 } });
    expect(plan.teacher).toBeDefined();
    expect(plan.memory.allocations[plan.memory.allocationOf[plan.teacher!]].buffers).toEqual([plan.teacher]);
    checkSharing(plan, 'hinton');
  });

  it('the cleared gradient case clears a buffer whose memory a later gradient takes over', () => {
    // (so the GPU test in train-memory-gpu.test.ts exercises the clear at the start of each step)
    const plan = compileTrainPlan(clearedGradientGraph(), { batch: 2 });
    expect(plan.clears.map((id) => plan.buffers[id].name)).toEqual(['c1.grad']);
    const a = plan.memory.allocations[plan.memory.allocationOf[plan.clears[0]]];
    expect(a.buffers.length).toBeGreaterThan(1);
  });

  it('reuse: false gives every buffer an allocation of its own and recomputes nothing', () => {
    const graph = lowerToGraph(net([2, 5, 3], { m: 4 }));
    const off = compileTrainPlan(graph, { batch: 2, reuse: false });
    expect(off.memory.allocations.map((a) => a.buffers.length)).toEqual(off.buffers.map(() => 1));
    expect(off.memory.bytes).toBe(off.buffers.reduce((s, b) => s + b.bytes, 0));
    expect(off.dispatches.filter((d) => d.label.endsWith(' recompute'))).toEqual([]);
    const on = compileTrainPlan(graph, { batch: 2 });
    expect(on.dispatches.filter((d) => d.label.endsWith(' recompute')).length).toBeGreaterThan(0);
    // the forward, the loss and the update are the same dispatches either way
    const same = (p: TrainPlan) => p.dispatches.filter((d) => d.phase !== 'backward').map((d) => `${d.phase} ${d.label} ${d.workgroups.join('x')}`);
    expect(same(on)).toEqual(same(off));
  });
});

describe('ResNet18 (m=64) at batch 128', () => {
  it('needs at most half the memory with sharing that it needs without', () => {
    // In MiB: one 64x32x32 value at batch 128 is 32 MiB. Without sharing the forward keeps 600 MiB of
    // values (stage 1: stem conv + relu and 2 blocks x (conv1, relu1, conv2, relu2) = 10 x 32;
    // stages 2-4: 10 each, downsample conv and bn included, at 16, 8 and 4 MiB), their gradients
    // take as much again, and parameters, their gradients and momentum 3 x 42.8 MiB: about 1331 MiB.
    // Sharing alone leaves every value the backward reads live at the loss (600 - 28 for the
    // downsample bn outputs + 130 kept, over half); recomputing the ReLU outputs whose inputs are
    // kept anyway (stem, each relu1, each stage's b2.relu2: 32 + 3x32 + 3x16 + 3x8 + 3x4 = 212 MiB)
    // brings the live peak near 507 MiB, and whole-buffer best fit packs that into about 620.
    const [resnet18] = loadNetworksFromText('resnet18.hrn', readFileSync(join(EXAMPLES, 'resnet18.hrn'), 'utf8'), new Map(), { set: [] }).networks;
    const on = compileTrainNetwork(resnet18, { batch: 128 }).plan;
    const off = compileTrainNetwork(resnet18, { batch: 128, reuse: false }).plan;
    expect(off.memory.bytes).toBe(off.buffers.reduce((s, b) => s + b.bytes, 0));
    expect(on.memory.bytes).toBeLessThanOrEqual(off.memory.bytes / 2);
    checkSharing(on, 'ResNet18 batch 128');
  });
});

describe('hrn compile --train', () => {
  it('prints the training buffers with and without reuse', async () => {
    const r = await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--set', 'm=4', '--train', '--batch', '2');
    expect(r.code).toBe(0);
    const [hrn2x5x3x] = loadNetworksFromText('hrn-2x5x3x.hrn', readFileSync(join(EXAMPLES, 'hrn-2x5x3x.hrn'), 'utf8'), new Map(), { set: ['m=4'] }).networks;
    const on = compileTrainNetwork(hrn2x5x3x, { batch: 2 }).plan;
    const off = compileTrainNetwork(hrn2x5x3x, { batch: 2, reuse: false }).plan;
    expect(r.out).toContain(`training buffers ${bytes(on.memory.bytes)} (${bytes(off.memory.bytes)} without reuse), ${on.buffers.length} buffers in ${on.memory.allocations.length} allocations`);
  });

  it('--debug-only allocate shows which buffers share an allocation and when each is live', async () => {
    const r = await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--set', 'm=4', '--train', '--batch', '2', '--debug-only', 'allocate');
    expect(r.code).toBe(0);
    const size = String.raw`[\d.]+ (?:B|KiB|MiB|GiB)`;
    expect(r.out).toMatch(new RegExp(String.raw`^memory: \d+ buffers in \d+ allocations, ${size} \(${size} with an allocation each\)$`, 'm'));
    expect(r.out).toMatch(new RegExp(String.raw`^ {2}allocation \d+ ${size}: params$`, 'm'));
    expect(r.out).toMatch(new RegExp(String.raw`^ {2}allocation \d+ ${size}: \S+ \[\d+, \d+\], \S+ \[\d+, \d+\]`, 'm'));
  });
});
