import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { countGraph } from '../src/ir/count.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { parseHrn, resolveNetwork } from '../src/parser/index.js';
import { runText } from '../src/passes/manager.js';
import type { ArchIR } from '../src/ir/arch.js';
import { residualNetwork } from '../src/ir/factory.js';
import { expandPipelines, runPipeline, type PassEvent } from '../src/passes/manager.js';
import { builtinRegistry, defaultRegistry, PassRegistry } from '../src/passes/registry.js';
import { definePass, glueArgs, stepsFromText, type PipelineStep } from '../src/passes/types.js';
import { debugObserver, FLOPS_NOTE } from '../src/passes/debug.js';
import {
  CIFAR,
  deviation,
  diagnosticsOf,
  flops,
  net,
  one,
  relus,
  resnet18,
  run,
  stageRelus,
  TINY_IMAGENET,
} from './passes-fixtures.js';

const CULL_THIN = 'cull S1; thin S2 S3 S4';
const span = (line: number, col: number, length: number) => ({ file: 'net.hrn', line, col, length });

describe('pass manager', () => {
  it('runs steps in order, appends each step to history, and reports every pass to the observer', () => {
    const events: PassEvent[] = [];
    const { family } = run(net([2, 5, 3]), CULL_THIN, { observer: (e) => events.push(e) });
    expect(family).toHaveLength(1);
    expect(family[0].history).toEqual(['cull S1', 'thin S2 S3 S4']);
    expect(events.map((e) => [e.index, e.pass, e.text, e.args])).toEqual([
      [1, 'cull', 'cull S1', ['S1']],
      [2, 'thin', 'thin S2 S3 S4', ['S2', 'S3', 'S4']],
    ]);
    expect(relus(events[0].before[0])).toBe(186_368);
    expect(relus(events[1].after[0])).toBe(52_224);
  });

  it('passes are pure: the input network is not changed', () => {
    const input = net([2, 5, 3]);
    const copy = structuredClone(input);
    run(input, `equalize width; alpha 2; ${CULL_THIN}; reuse 4; scale 0.5`);
    expect(input).toEqual(copy);
  });

  it('a family flows through: single-network passes map each member, provenance is kept', () => {
    const events: PassEvent[] = [];
    const { family } = run(resnet18(16), 'equalize width; alpha 2', { observer: (e) => events.push(e) });
    expect(family.map((n) => n.name)).toEqual(['HRN-2x5x3x', 'HRN-2x7x2x', 'HRN-2x6x2x', 'HRN-2x5x2x']);
    expect(events[0].source).toEqual([0, 0, 0, 0]);
    expect(events[1].source).toEqual([0, 1, 2, 3]);
    expect(family[0].history).toEqual(['equalize width', 'alpha 2']);
  });

  it('named pipelines from the file expand in place; a pipeline naming itself is an error', () => {
    const steps = (text: string, line: number): PipelineStep[] =>
      stepsFromText(text).map((s) => ({ ...s, span: span(line, 3, s.pass.length), args: s.args.map((a) => ({ ...a, span: { ...a.span, file: 'net.hrn', line } })) }));
    const pipelines = new Map([
      ['lean', steps(CULL_THIN, 2)],
      ['loop', steps('thin S2; loop', 5)],
    ]);
    const { family } = runPipeline(net([2, 5, 3]), stepsFromText('lean; reuse 4'), { pipelines });
    expect(relus(family[0])).toBe(13_056);
    expect(family[0].history).toEqual(['cull S1', 'thin S2 S3 S4', 'reuse 4']);
    const [d] = diagnosticsOf(() => runPipeline(net([2, 5, 3]), stepsFromText('loop'), { pipelines }));
    expect(d.message).toContain("pipeline 'loop' uses itself");
    expect(d.span.file).toBe('net.hrn');
    // Plain records work as the table too.
    expect(expandPipelines(stepsFromText('lean'), { lean: pipelines.get('lean')! }).map((s) => s.pass)).toEqual(['cull', 'thin']);
  });

  it('the built-in pipeline hybrenet: equalize width, alpha 2, deepreshape', () => {
    const { family } = run(resnet18(16), 'hybrenet');
    expect(family).toHaveLength(4 * 6);
    expect(family[0].name).toBe('HRN-2x5x3x+cullS1');
  });

  it('unknown passes and missing sub-names are diagnostics at the step', () => {
    const [u] = diagnosticsOf(() => run(net([2, 5, 3]), 'thinn S2'));
    expect(u.message).toMatch(/^unknown pass 'thinn'; passes: equalize width, equalize depth, alpha, cull, thin, reuse, scale, deepreshape/);
    const [e] = diagnosticsOf(() => run(net([2, 5, 3]), 'equalize'));
    expect(e.message).toContain("'equalize' needs one of: width, depth");
  });

  it('arguments the lexer split but the user wrote together are glued by their spans', () => {
    const args = glueArgs([
      { text: 'last', span: span(3, 18, 4) },
      { text: '<', span: span(3, 22, 1) },
      { text: '4', span: span(3, 23, 1) },
      { text: 'min-first', span: span(3, 25, 9) },
    ]);
    expect(args.map((a) => a.text)).toEqual(['last<4', 'min-first']);
    expect(args[0].span).toEqual(span(3, 18, 6));
  });

  it('errors carry the warnings gathered before them', () => {
    const culled = one(net([2, 5, 3]), 'cull S1');
    const ds = diagnosticsOf(() => run(culled, 'thin S1; reuse 3'));
    expect(ds.map((d) => d.severity)).toEqual(['warning', 'error']);
  });

  it('a registry refuses a name twice and lists passes in order', () => {
    const p = definePass<null>({ name: 'nop', summary: '', usage: 'nop', parse: () => null, apply: (n) => [n] });
    const r = new PassRegistry().register(p);
    expect(() => r.register(p)).toThrow(/registered twice/);
    expect(defaultRegistry().list().map((x) => x.name)).toEqual(builtinRegistry().list().map((x) => x.name));
    expect(r.resolve({ pass: 'nop', args: [] })?.pass.name).toBe('nop');
  });
});

describe('cull', () => {
  it('cull S1 removes Stage1 and the stem ReLU', () => {
    expect(stageRelus(one(net([2, 5, 3]), 'cull S1'))).toEqual([0, 4 * 32 * 16 * 16, 4 * 160 * 8 * 8, 4 * 480 * 4 * 4]);
  });

  it('least-critical when dominant (Algorithm 2 line 1): culls S1 of HRN-2x5x3x (44% of ReLUs), leaves HRN-5x5x3x (23.9%)', () => {
    const { family, diagnostics } = run(net([2, 5, 3]), 'cull least-critical when dominant');
    expect(family[0].stages[0].relu.culled).toBe(true);
    expect(diagnostics[0].message).toContain('S1 holds 44.0% of the ReLUs, more than an even share (1/4 = 25.0%); culled');
    const r = run(net([5, 5, 3]), 'cull least-critical when dominant');
    expect(r.family[0].stages.every((s) => !s.relu.culled)).toBe(true);
    expect(r.diagnostics[0].message).toContain('S1 holds 23.9% of the ReLUs, not more than an even share (1/4 = 25.0%); nothing culled');
    // Without the condition it always culls the last stage of the order.
    expect(one(net([5, 5, 3]), 'cull least-critical').stages[0].relu.culled).toBe(true);
  });

  it('diagnostics at the argument', () => {
    const [d] = diagnosticsOf(() => run(net([2, 5, 3]), 'cull S5'));
    expect(d.message).toBe("cull: no stage 'S5' (this network has S1, S2, S3, S4)");
    expect(d.span.col).toBe(6);
    const [w] = diagnosticsOf(() => run(net([2, 5, 3]), 'cull least-critical when weak'));
    expect(w.message).toContain("expected 'when dominant'");
  });
});

describe('thin', () => {
  it('thin all on HRN-5x5x3x: 163,328 ReLUs (Table 6 "163.3K")', () => {
    // Stage1 keeps b1.relu1 and b2.relu1 (the stem ReLU goes); later stages keep one ReLU per block.
    expect(relus(one(net([5, 5, 3]), 'thin all'))).toBe(2 * 16 * 32 * 32 + 2 * 80 * 16 * 16 + 2 * 400 * 8 * 8 + 2 * 1200 * 4 * 4);
    expect(relus(one(net([5, 5, 3]), 'thin all'))).toBe(163_328);
  });

  it('thin remaining thins every stage that is not culled', () => {
    const n = one(net([2, 5, 3]), 'cull S1; thin remaining');
    expect(n.stages.map((s) => s.relu.thinned)).toEqual([false, true, true, true]);
    expect(relus(n)).toBe(52_224);
  });

  it('warns when a named stage is culled; unknown stages are errors', () => {
    const { diagnostics } = run(net([2, 5, 3]), 'cull S1; thin S1 S2');
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0].message).toContain('S1 is culled');
    expect(diagnosticsOf(() => run(net([2, 5, 3]), 'thin S2 S2'))[0].message).toContain('named twice');
    expect(diagnosticsOf(() => run(net([2, 5, 3]), 'thin'))[0].message).toContain('thin needs stages');
  });
});

describe('alpha (capacity-criticality step, sec. 4.3)', () => {
  // Table 11, #ReLUs per stage of the HRN-Kx... rows (K = 2..7), in thousands as printed.
  const table11: Record<string, [number, number, number, number]> = {
    'HRN-2x7x2x': [81.92, 32.77, 57.34, 28.67],
    'HRN-3x7x2x': [81.92, 49.15, 86.02, 43.01],
    'HRN-4x7x2x': [81.92, 65.54, 114.69, 57.34],
    'HRN-5x7x2x': [81.92, 81.92, 143.36, 71.68],
    'HRN-6x7x2x': [81.92, 98.3, 172.03, 86.02],
    'HRN-7x7x2x': [81.92, 114.69, 200.7, 100.35],
    'HRN-2x6x2x': [81.92, 32.77, 49.15, 24.58],
    'HRN-3x6x2x': [81.92, 49.15, 73.73, 36.86],
    'HRN-4x6x2x': [81.92, 65.54, 98.3, 49.15],
    'HRN-5x6x2x': [81.92, 81.92, 122.88, 61.44],
    'HRN-6x6x2x': [81.92, 98.3, 147.46, 73.73],
    'HRN-7x6x2x': [81.92, 114.69, 172.03, 86.02],
    'HRN-2x5x2x': [81.92, 32.77, 40.96, 20.48],
    'HRN-3x5x2x': [81.92, 49.15, 61.44, 30.72],
    'HRN-4x5x2x': [81.92, 65.54, 81.92, 40.96],
    'HRN-5x5x2x': [81.92, 81.92, 102.4, 51.2],
    'HRN-6x5x2x': [81.92, 98.3, 122.88, 61.44],
    'HRN-7x5x2x': [81.92, 114.69, 143.36, 71.68],
    'HRN-2x5x3x': [81.92, 32.77, 40.96, 30.72],
    'HRN-3x5x3x': [81.92, 49.15, 61.44, 46.08],
    'HRN-4x5x3x': [81.92, 65.54, 81.92, 61.44],
    'HRN-5x5x3x': [81.92, 81.92, 102.4, 76.8],
    'HRN-6x5x3x': [81.92, 98.3, 122.88, 92.16],
    'HRN-7x5x3x': [81.92, 114.69, 143.36, 107.52],
  };

  it.each(Object.entries(table11))('%s: Table 11 stage ReLUs', (name, paper) => {
    const k = Number(name.slice(4, 5));
    const tail = name.slice(6).split('x').filter(Boolean).map(Number); // beta, gamma
    const n = one(net([7, ...tail]), `alpha ${k}`);
    expect(n.name).toBe(name);
    const [s1, s2, s3, s4] = stageRelus(n);
    const c2 = 16 * k;
    const [beta, gamma] = tail;
    // Stem + 4 ReLU layers at 32x32 in S1, 4 ReLU layers in each later stage.
    expect([s1, s2, s3, s4]).toEqual([5 * 16 * 32 * 32, 4 * c2 * 16 * 16, 4 * c2 * beta * 8 * 8, 4 * c2 * beta * gamma * 4 * 4]);
    const inK = [s1, s2, s3, s4].map((r) => r / 1000);
    inK.forEach((v, i) => expect(Math.abs(v - paper[i])).toBeLessThanOrEqual(0.005 + 1e-9));
  });

  it('alpha retags names and needs a width basis', () => {
    expect(one(resnet18(16), 'alpha 3').name).toBe('ResNet18-3x2x2x');
    const odd = residualNetwork({ name: 'Odd', channels: [16, 24, 40], depths: [1, 1, 1] });
    expect(diagnosticsOf(() => run(odd, 'alpha 2'))[0].message).toContain('no width basis');
    expect(diagnosticsOf(() => run(odd, 'alpha two'))[0].message).toContain('whole number');
  });
});

describe('scale (channel scaling, Algorithm 2 line 6)', () => {
  it('scale 0.5 of HRN-2x5x3x m=16 culled + thinned is the m=8 network: 26,112 ReLUs (Table 6 "26.1K")', () => {
    const n = one(net([2, 5, 3]), `${CULL_THIN}; scale 0.5`);
    expect(n.stem.channels).toBe(8);
    expect(n.widths).toEqual({ m: 8, factors: [2, 5, 3] });
    expect(relus(n)).toBe(2 * 16 * 16 * 16 + 2 * 80 * 8 * 8 + 2 * 240 * 4 * 4);
    expect(relus(n)).toBe(26_112);
    expect(flops(n)).toBe(flops(one(net([2, 5, 3], { m: 8 }), CULL_THIN)));
  });

  it('channel counts that are not whole numbers are a diagnostic at F', () => {
    const [d] = diagnosticsOf(() => run(net([2, 5, 3]), 'scale 0.3'));
    expect(d.message).toContain('not whole numbers: stem 16 -> 4.8');
    expect(d.span.col).toBe(7);
  });
});

describe('Table 6 (CIFAR-100): #ReLU exact, #FLOPs within 1% (reuse rows: test/reuse.test.ts)', () => {
  const rows: [string, ArchIR, string, number, number][] = [
    ['5x5x3x m=16, thinned S1-S4', net([5, 5, 3]), 'thin S1 S2 S3 S4', 163_328, 1055.4e6],
    ['2x5x3x m=32, culled S1, thinned S2-S4', net([2, 5, 3], { m: 32 }), CULL_THIN, 104_448, 714.1e6],
    ['2x5x3x m=16, culled S1, thinned S2-S4', net([2, 5, 3]), CULL_THIN, 52_224, 178.5e6],
    ['2x5x3x m=8, culled S1, thinned S2-S4', net([2, 5, 3], { m: 8 }), CULL_THIN, 26_112, 44.6e6],
  ];
  it.each(rows)('%s', (_, input, pipeline, paperRelus, paperFlops) => {
    const n = one(input, pipeline);
    expect(relus(n)).toBe(paperRelus);
    expect(Math.abs(deviation(flops(n), paperFlops))).toBeLessThan(0.01);
  });
  it('52,224 = the culled+thinned stages by hand', () => {
    expect(relus(one(net([2, 5, 3]), CULL_THIN))).toBe(2 * 32 * 16 * 16 + 2 * 160 * 8 * 8 + 2 * 480 * 4 * 4);
    expect(relus(one(net([2, 5, 3], { m: 32 }), CULL_THIN))).toBe(2 * 64 * 16 * 16 + 2 * 320 * 8 * 8 + 2 * 960 * 4 * 4);
  });
});

describe('Table 13 (TinyImageNet: 3x64x64, 200 classes)', () => {
  const tin = { data: TINY_IMAGENET };
  const rows: [string, ArchIR, string, number, number][] = [
    ['5x5x3x m=16, thinned S1-S4', net([5, 5, 3], tin), 'thin all', 653_312, 4216.4e6],
    ['2x5x3x m=32, culled S1, thinned S2-S4', net([2, 5, 3], { ...tin, m: 32 }), CULL_THIN, 417_792, 2841.7e6],
    ['5x5x3x m=8, thinned S1-S4', net([5, 5, 3], { ...tin, m: 8 }), 'thin all', 326_656, 1055.4e6],
    ['2x5x3x m=8, culled S1, thinned S2-S4', net([2, 5, 3], { ...tin, m: 8 }), CULL_THIN, 104_448, 178.9e6],
  ];
  it.each(rows)('%s', (_, input, pipeline, paperRelus, paperFlops) => {
    const n = one(input, pipeline);
    expect(relus(n)).toBe(paperRelus);
    expect(Math.abs(deviation(flops(n), paperFlops))).toBeLessThan(0.01);
  });
  it('653,312 by hand: four times the 32x32 count', () => {
    expect(relus(one(net([5, 5, 3], tin), 'thin all'))).toBe(2 * 16 * 64 * 64 + 2 * 80 * 32 * 32 + 2 * 400 * 16 * 16 + 2 * 1200 * 8 * 8);
  });
});

describe('Table 14 (ResNet34-based HRNs, depths 3,4,6,3; ConvNeXt-V2 allocations)', () => {
  const r34 = (factors: number[], m: number, data = CIFAR) => net(factors, { m, data, depths: [3, 4, 6, 3] });
  const rows: [string, ArchIR, string, number, number][] = [
    ['CIFAR 4x6x3x m=16 thinned', r34([4, 6, 3], 16), 'thin all', 317_440, 2061.1e6],
    ['CIFAR 2x6x3x m=16 culled+thinned', r34([2, 6, 3], 16), CULL_THIN, 134_144, 527.4e6],
    ['CIFAR 2x6x3x m=8 culled+thinned', r34([2, 6, 3], 8), CULL_THIN, 67_072, 132.2e6],
    ['Tiny 4x6x3x m=16 thinned', r34([4, 6, 3], 16, TINY_IMAGENET), 'thin all', 1_269_760, 8244.2e6],
    ['Tiny 4x6x3x m=12 thinned', r34([4, 6, 3], 12, TINY_IMAGENET), 'thin all', 952_320, 4638.8e6],
    ['Tiny 2x6x3x m=16 culled+thinned', r34([2, 6, 3], 16, TINY_IMAGENET), CULL_THIN, 536_576, 2109.4e6],
    ['Tiny 2x6x3x m=12 culled+thinned', r34([2, 6, 3], 12, TINY_IMAGENET), CULL_THIN, 402_432, 1187.5e6],
    ['Tiny 2x6x3x m=8 culled+thinned', r34([2, 6, 3], 8, TINY_IMAGENET), CULL_THIN, 268_288, 528.6e6],
  ];
  it.each(rows)('%s', (_, input, pipeline, ours, paperFlops) => {
    const n = one(input, pipeline);
    expect(relus(n)).toBe(ours);
    expect(Math.abs(deviation(flops(n), paperFlops))).toBeLessThan(0.01);
  });

  it('the ReLU column as printed (317.4K, 134.1K, 67.1K, 1269.8K, 952K, 536.6K, 402K, 268.3K)', () => {
    const printed = [317.4, 134.1, 67.1, 1269.8, 952, 536.6, 402, 268.3];
    rows.forEach(([, , , ours], i) => expect(Math.abs(ours / 1000 - printed[i])).toBeLessThan(0.5));
    // S2: 4 blocks, S3: 6 blocks, S4: 3 blocks, one ReLU layer kept per block.
    expect(134_144).toBe(4 * 32 * 16 * 16 + 6 * 192 * 8 * 8 + 3 * 576 * 4 * 4);
  });

  it('ConvNeXt-V2 allocations on TinyImageNet, culled S1 + thinned: T 1622K, P 720.9K, F 540.7K, A 450.6K', () => {
    const cnx = (name: string, channels: number[], depths: number[]) =>
      residualNetwork({ name, channels, depths, input: TINY_IMAGENET.input, classes: 200 });
    const cases: [ArchIR, number, number][] = [
      [cnx('T', [96, 192, 384, 768], [3, 3, 9, 3]), 1_622_016, 11801e6],
      [cnx('P', [64, 128, 256, 512], [2, 2, 6, 2]), 720_896, 3435.7e6],
      [cnx('F', [48, 96, 192, 384], [2, 2, 6, 2]), 540_672, 1935e6],
      [cnx('A', [40, 80, 160, 320], [2, 2, 6, 2]), 450_560, 1345.1e6],
    ];
    for (const [n, r, f] of cases) {
      const out = one(n, CULL_THIN);
      expect(relus(out)).toBe(r);
      expect(Math.abs(deviation(flops(out), f))).toBeLessThan(0.01);
    }
  });
});

describe('deepreshape (Algorithm 2)', () => {
  it('HRN-2x5x3x m=16: baseline culled, thinned, scaled 0.5, reuse 4/8/16 (Table 6 52.2K, 26.1K, 13.1K, 6.5K, 3.2K)', () => {
    const events: PassEvent[] = [];
    const { family } = run(net([2, 5, 3]), 'deepreshape', { observer: (e) => events.push(e) });
    expect(family.map((n) => n.name)).toEqual([
      'HRN-2x5x3x+cullS1',
      'HRN-2x5x3x+cullS1+thin',
      'HRN-2x5x3x+cullS1+thin+scale0.5',
      'HRN-2x5x3x+cullS1+thin+reuse4',
      'HRN-2x5x3x+cullS1+thin+reuse8',
      'HRN-2x5x3x+cullS1+thin+reuse16',
    ]);
    expect(family.map(relus)).toEqual([104_448, 52_224, 26_112, 13_056, 6_528, 3_264]);
    expect(family[3].history).toEqual(['cull least-critical when dominant', 'thin remaining', 'reuse 4']);
    // Each sub-step is observed (inside deepreshape), then the family.
    expect(events.map((e) => [e.text, e.within.join('>'), e.composite])).toEqual([
      ['cull least-critical when dominant', 'deepreshape', false],
      ['thin remaining', 'deepreshape', false],
      ['scale 0.5', 'deepreshape', false],
      ['reuse 4', 'deepreshape', false],
      ['reuse 8', 'deepreshape', false],
      ['reuse 16', 'deepreshape', false],
      ['deepreshape', '', true],
    ]);
  });

  it('HRN-5x5x3x: Stage1 does not dominate, so nothing is culled and all four stages are thinned (163.3K)', () => {
    const { family } = run(net([5, 5, 3]), 'deepreshape');
    expect(family.map((n) => n.name).slice(0, 2)).toEqual(['HRN-5x5x3x', 'HRN-5x5x3x+thin']);
    expect(family.map(relus).slice(0, 2)).toEqual([343_040, 163_328]);
  });

  it('variants that cannot be built are left out with a warning; arguments choose them', () => {
    const { family, diagnostics } = run(net([2, 5, 3], { m: 8 }), 'deepreshape scale=0.25 reuse=16 reuse=32');
    // m=8: the stem 8*0.25 = 2 is fine, Stage2 16*0.25 = 4 too; reuse 32 does not divide 16 channels.
    expect(family.map((n) => n.name)).toEqual([
      'HRN-2x5x3x+cullS1',
      'HRN-2x5x3x+cullS1+thin',
      'HRN-2x5x3x+cullS1+thin+scale0.25',
      'HRN-2x5x3x+cullS1+thin+reuse16',
    ]);
    expect(diagnostics.filter((d) => d.severity === 'warning').map((d) => d.message)).toEqual([
      expect.stringContaining('HRN-2x5x3x+cullS1+thin+reuse32 left out'),
    ]);
  });
});

describe('--debug output (debug.ts)', () => {
  const capture = (text: string, o: Partial<Parameters<typeof debugObserver>[0]> = {}) => {
    const out: string[] = [];
    run(net([2, 5, 3]), text, { observer: debugObserver({ ...o, write: (c) => out.push(c) }) });
    return out;
  };

  it('text: a header naming the pass and arguments, the IR, the stage table, and what changed', () => {
    const [first, second] = capture(CULL_THIN);
    expect(first.split('\n').slice(0, 2)).toEqual([FLOPS_NOTE, '// ----- IR after cull S1 -----']);
    expect(second.startsWith('\n// ----- IR after thin S2 S3 S4 -----\nnetwork HRN-2x5x3x {')).toBe(true);
    expect(second).toContain('  # after: cull S1; thin S2 S3 S4');
    expect(second).toMatch(/stage +ReLUs +share +FLOPs +params/);
    expect(second).toMatch(/\nS3 +20,480 +39\.2% +47\.5M +744,000\n/);
    expect(second.endsWith('// thin S2 S3 S4: HRN-2x5x3x: ReLUs 104,448 -> 52,224 (-50.0%), FLOPs 177.7M (unchanged)')).toBe(true);
  });

  it('only= filters by pass name or its first word; before= dumps the input first', () => {
    const out = capture(`${CULL_THIN}; reuse 4`, { only: ['reuse'], before: true });
    expect(out).toHaveLength(2);
    expect(out[0]).toContain('// ----- IR before the pipeline -----');
    expect(out[1]).toContain('// ----- IR after reuse 4 -----');
    expect(out[1]).toContain('ReLUs 52,224 -> 13,056 (-75.0%), FLOPs 177.7M -> 121.1M (-31.8%)');
    expect(capture('equalize width', { only: ['equalize'] })).toHaveLength(1);
  });

  it('composite passes end with a family table; sub-steps say where they ran', () => {
    const out = capture('deepreshape');
    expect(out[1]).toContain('// ----- IR after thin remaining (in deepreshape) -----');
    const last = out[out.length - 1];
    expect(last).toContain('// ----- family after deepreshape: 6 networks -----');
    expect(last).toMatch(/HRN-2x5x3x\+cullS1\+thin\+reuse16 +3,264 +136\.7M/);
  });

  it('jsonl: one parseable object per pass with per-stage rows and before/after totals', () => {
    const lines = capture(CULL_THIN, { format: 'jsonl' });
    expect(lines).toHaveLength(2);
    const rec = JSON.parse(lines[1]);
    expect(rec).toMatchObject({ index: 2, pass: 'thin', args: ['S2', 'S3', 'S4'], text: 'thin S2 S3 S4', within: [] });
    expect(rec.networks[0].total.relus).toBe(52_224);
    expect(rec.networks[0].before.relus).toBe(104_448);
    expect(rec.networks[0].stages.map((r: { relus: number }) => r.relus)).toEqual([0, 16_384, 20_480, 15_360]);
    expect(rec.networks[0].ir).toContain('stage S4 depth 2 channels 480 stride 2 relu thinned');
  });
});

describe('stage ranges in pipeline text', () => {
  it('thin S2..S4 lexes as one argument and means thin S2 S3 S4', () => {
    const text = readFileSync('examples/hrn-2x5x3x.hrn', 'utf8');
    const { file } = parseHrn(text, 'examples/hrn-2x5x3x.hrn');
    const arch = resolveNetwork(file.networks[0], [], new Map([['examples/hrn-2x5x3x.hrn', text]])).arch!;
    const reluCount = (steps: string) => countGraph(lowerToGraph(runText([arch], steps).family[0])).total.relus;
    // Table 6 HRN-2x5x3x m=16: culled S1 and thinned S2-S4 leaves 52,224 ReLUs.
    expect(reluCount('cull S1; thin S2..S4')).toBe(52_224);
    expect(reluCount('cull S1; thin S2..S4')).toBe(reluCount('cull S1; thin S2 S3 S4'));
  });
});
