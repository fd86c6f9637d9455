// The graph-level passes (lower, fuse, place, liveness, allocate, kernels): visible in
// `hrn compile --debug`, selectable with --debug-only, diffable with --debug=diff, each a pure step.

import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { suggest } from '../src/util/suggest.js';
import { GRAPH_PASSES, printGraphState, type GraphState } from '../src/codegen/graph/index.js';
import { fuseGraph } from '../src/codegen/graph/fuse.js';
import { compilePlan, stageOptions } from '../src/codegen/plan.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { runGraphPasses } from '../src/passes/framework.js';
import { resnet18 } from './passes-fixtures.js';

async function hrn(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`) });
  return { code, out, err };
}

const headers = (out: string) => [...out.matchAll(/^\/\/ ----- graph IR after (\S+) \((\S+)\) -----$/gm)].map((m) => `${m[1]} ${m[2]}`);

describe('hrn compile --debug', () => {
  it('prints the IR after every graph-level pass, in order', async () => {
    const r = await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--debug');
    expect(r.code).toBe(0);
    expect(headers(r.out)).toEqual(['lower', 'fuse', 'place', 'liveness', 'allocate', 'kernels', 'program'].map((p) => `${p} HRN-2x5x3x`));
    // After program: batch norm folding and packing are the program's weight uploads.
    expect(r.out).toMatch(/^program \(inference\): \d+ buffers in \d+ allocations, .*; \d+ kernels, \d+ dispatches$/m);
    expect(r.out).toMatch(/^ {4}buffer \d+ stem\.conv1\.packed_weight <- stem\.bn1 folded into stem\.conv1\.weight, packed in blocks of \d+ output channels$/m);
    // After fuse: the stem's conv, bn and ReLU are one step (the stem has 16 channels).
    expect(r.out).toContain('conv conv+bn+relu(%0), bn folded, relu [0, 16)  // stem.conv1 + stem.bn1 + stem.relu1');
    // After liveness and allocate: live ranges and shared buffers.
    expect(r.out).toMatch(/^liveness: root, kind, size, \[first write, last read\]$/m);
    expect(r.out).toMatch(/^ {2}buffer \d+ act0 \(activation\)/m);
    // The plan summary still follows.
    expect(r.out).toContain('HRN-2x5x3x: 186,368 ReLUs');
  });

  it('shows architecture passes and graph passes in one stream', async () => {
    const r = await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--pipeline', 'cull S1', '--debug');
    expect(r.code).toBe(0);
    const arch = r.out.indexOf('// ----- IR after cull S1 -----');
    const lower = r.out.indexOf('// ----- graph IR after lower');
    expect(arch).toBeGreaterThan(0);
    expect(lower).toBeGreaterThan(arch);
  });

  it('--debug-only PASS implies --debug and prints only that pass', async () => {
    const r = await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--debug-only', 'fuse');
    expect(r.code).toBe(0);
    expect(headers(r.out)).toEqual(['fuse HRN-2x5x3x']);
  });

  it("--debug-only kernels shows each conv and fc dispatch's schedule and where it came from", async () => {
    const r = await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--debug-only', 'kernels');
    expect(r.out).toMatch(/^kernels: \d+ kernels, \d+ dispatches; schedules: profile cpu \(the default without a device\)$/m);
    // a conv dispatch, then its schedule
    expect(r.out).toMatch(/^ {2}dispatch \d+: k\d+_conv .* {2}\/\/ stem\.conv1 \+ stem\.bn1 \+ stem\.relu1\n {4}schedule conv ocb 8, pxb 4, wg \d+, rows 4, gemm no, halo no \(profile cpu\)$/m);
    expect(r.out).toMatch(/^ {2}dispatch \d+: k\d+_fc .*\n {4}schedule fc wg \d+ \(profile cpu\)$/m);
    const gpu = await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--debug-only', 'kernels', '--profile', 'gpu');
    // the implicit-product kernel; at batch 1 the gpu profile shrinks its tiles as far as they go
    expect(gpu.out).toMatch(/^ {2}dispatch \d+: k\d+_conv_gemm .* {2}\/\/ stem\.conv1 \+ stem\.bn1 \+ stem\.relu1\n {4}schedule conv ocb 8, pxb 1, wg 64, rows 1, gemm yes, halo no \(--profile gpu\)$/m);
  });

  it('--debug-only rejects an unknown pass with a suggestion', async () => {
    const r = await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--debug-only', 'fuze');
    expect(r.code).toBe(2);
    expect(r.err).toContain("--debug-only: unknown pass 'fuze'; did you mean 'fuse'?");
  });

  it('--debug=diff prints what each pass added as a unified diff', async () => {
    const r = await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--debug=diff', '--debug-only', 'liveness');
    expect(r.code).toBe(0);
    expect(headers(r.out)).toEqual(['liveness HRN-2x5x3x']);
    expect(r.out).toContain('--- before liveness (HRN-2x5x3x)');
    expect(r.out).toContain('+++ after liveness (HRN-2x5x3x)');
    expect(r.out).toMatch(/^\+liveness: root/m);
    // Lines the pass did not touch are context, not additions.
    expect(r.out).not.toMatch(/^\+fusion:/m);
  });

  it('rejects an unknown --debug form', async () => {
    const r = await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--debug=yaml');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--debug=diff');
  });
});

describe('graph passes', () => {
  const net = resnet18(16);

  it('are pure: each returns a new state and leaves the previous one as it was', () => {
    const start: GraphState = { options: stageOptions({ batch: 2 }), arch: net };
    const seen: GraphState[] = [start];
    let state = start;
    for (const pass of GRAPH_PASSES) {
      const before = printGraphState(state);
      const next = pass.run(state);
      expect(printGraphState(state)).toBe(before);
      expect(next).not.toBe(state);
      seen.push(next);
      state = next;
    }
    expect(state.plan).toBeDefined();
    // The same plan and program as compilePlan on the lowered graph.
    expect({ ...state.plan, program: state.program }).toEqual(compilePlan(lowerToGraph(net), { batch: 2 }));
  });

  it('report to the observer with a running index', () => {
    const events: { index: number; pass: string }[] = [];
    runGraphPasses<GraphState>({ options: stageOptions({ batch: 1 }), arch: net }, {
      passes: GRAPH_PASSES,
      print: printGraphState,
      network: net.name,
      observer: { graphPass: (e) => events.push({ index: e.index, pass: e.pass }) },
    });
    expect(events).toEqual(GRAPH_PASSES.map((p, i) => ({ index: i + 1, pass: p.name })));
  });

  it('a pass run before the one it needs says so', () => {
    const fuse = GRAPH_PASSES.find((p) => p.name === 'fuse')!;
    expect(() => fuse.run({ options: stageOptions({ batch: 1 }), arch: net })).toThrow(/graph pass fuse: no graph yet/);
  });

  it('fusion without the conv epilogue (training) keeps each conv alone and fuses the chain after it', () => {
    const g = lowerToGraph(net);
    const inference = fuseGraph(g, { fuse: true, convEpilogue: true });
    const training = fuseGraph(g, { fuse: true, convEpilogue: false });
    const stem = (f: typeof inference) => f.steps.slice(0, 2).map((s) => s.nodes.map((id) => g.nodes[id].name).join(' + '));
    expect(stem(inference)[0]).toBe('stem.conv1 + stem.bn1 + stem.relu1');
    expect(stem(training)).toEqual(['stem.conv1', 'stem.bn1 + stem.relu1']);
    // Every node is computed by exactly one step (or is input, slice or concat) in both.
    for (const f of [inference, training]) {
      const covered = f.steps.flatMap((s) => s.nodes).sort((a, b) => a - b);
      const expected = g.nodes.filter((n) => !['input', 'slice', 'concat'].includes(n.op)).map((n) => n.id);
      expect(covered).toEqual(expected);
    }
  });
});

describe('suggest', () => {
  it('finds the nearest candidate within a third of the word', () => {
    expect(suggest('fuze', ['lower', 'fuse', 'place'])).toBe('fuse');
    expect(suggest('livenes', ['liveness', 'allocate'])).toBe('liveness');
    expect(suggest('xyz', ['lower', 'fuse'])).toBeUndefined();
  });
});
