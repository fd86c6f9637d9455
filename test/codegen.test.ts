import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../src/ir/builder.js';
import { residualNetwork } from '../src/ir/factory.js';
import { lowerToGraph } from '../src/ir/lower.js';
import { compilePlan, instantiate, writeCompiled } from '../src/codegen/index.js';
import { genConv } from '../src/ops/conv/kernels.js';
import { setTemplateSource, tableTemplateSource, templateSource } from '../src/codegen/template.js';
import { packConv } from '../src/program/param-layout.js';
import { weightContents } from '../src/program/uploads.js';
import { initWeights } from '../src/weights/index.js';
import { renderBindings } from '../src/codegen/kernels/bindings.js';
import { genFcDx } from '../src/ops/fc/kernels.js';

const resnet = (m = 8, h = 16) =>
  lowerToGraph(residualNetwork({ name: 'r', m, factors: [2, 2], depths: [2, 1, 1], input: { c: 3, h, w: h }, classes: 10 }));

describe('templates', () => {
  const src = 'a {{X}}\n//#if F\nyes {{Y}}\n//#else\nno\n//#endif\nz';
  it('substitutes values and keeps or drops flagged blocks', () => {
    expect(instantiate('t', { X: 1, Y: 2 }, { F: true }, src)).toBe('a 1\nyes 2\nz');
    expect(instantiate('t', { X: 1, Y: 2 }, { F: false }, src)).toBe('a 1\nno\nz');
  });
  it('refuses missing values, unknown values and missing flags', () => {
    expect(() => instantiate('t', { X: 1 }, { F: true }, src)).toThrow(/no value for \{\{Y\}\}/);
    expect(() => instantiate('t', { X: 1, Y: 2, Q: 3 }, { F: true }, src)).toThrow(/value Q is not used/);
    expect(() => instantiate('t', { X: 1, Y: 2 }, {}, src)).toThrow(/flag F not given/);
    expect(() => instantiate('t', {}, {}, '//#endif')).toThrow(/#endif without #if/);
  });
  it('repeats a #for block for each item of a table, with its fields, nested tables and boolean fields', () => {
    const tmpl = ['//#for r in ROWS', 'row {{r.i}} of {{N}}', '//#if r.last', 'last', '//#endif', '//#for c in r.cols', '  {{r.i}}.{{c.j}}', '//#endfor', '//#endfor', 'end'].join('\n');
    const rows = [
      { i: 0, last: false, cols: [{ j: 'a' }] },
      { i: 1, last: true, cols: [{ j: 'b' }, { j: 'c' }] },
    ];
    expect(instantiate('t', { N: 2, ROWS: rows }, {}, tmpl)).toBe('row 0 of 2\n  0.a\nrow 1 of 2\nlast\n  1.b\n  1.c\nend');
    expect(instantiate('t', { N: 2, ROWS: [] }, {}, tmpl)).toBe('end');
  });
  it('refuses a table it is not given, a field its items lack, a table it does not walk and an unclosed #for', () => {
    const tmpl = '//#for r in ROWS\n{{r.i}}\n//#endfor';
    expect(() => instantiate('t', {}, {}, tmpl)).toThrow(/#for r in ROWS: no table ROWS given/);
    expect(() => instantiate('t', { ROWS: [{ j: 1 }] }, {}, tmpl)).toThrow(/the items of r have no field i/);
    expect(() => instantiate('t', { ROWS: [], COLS: [] }, {}, tmpl)).toThrow(/value COLS is not used/);
    expect(() => instantiate('t', { ROWS: [] }, {}, '{{ROWS}}')).toThrow(/\{\{ROWS\}\} is a table/);
    expect(() => instantiate('t', { ROWS: [] }, {}, '//#for r in ROWS\n{{r.i}}')).toThrow(/unterminated #for ROWS/);
    expect(() => instantiate('t', {}, {}, '//#endfor')).toThrow(/#endfor without #for/);
    expect(() => instantiate('t', { ROWS: [{ i: 1 }] }, {}, '//#for r in ROWS\n//#if r.i\nx\n//#endif\n//#endfor')).toThrow(/#if r.i is not a boolean field/);
    expect(() => instantiate('t', {}, {}, 'a\n{{r.i}}')).toThrow(/t:2: r is not a #for variable here/);
  });
  it('puts the body an include gives where its snippet says //#body, and refuses a body with no place or a place with no body', () => {
    const saved = templateSource();
    setTemplateSource(
      tableTemplateSource({
        'lib/twice': '//#for st in STORES\nfirst {{st.i}}\n//#body\nthen\n//#body\n//#endfor',
        'lib/plain': 'plain',
        'lib/outer': 'outer {\n//#include twice with body\n//#body\n//#endinclude\n}',
      }),
    );
    try {
      const kernel = ['//#include twice with body', 'use {{st.i}} of {{N}}', '//#include plain', '//#endinclude', 'end'].join('\n');
      expect(instantiate('t', { N: 2, STORES: [{ i: 0 }, { i: 1 }] }, {}, kernel)).toBe(
        ['first 0', 'use 0 of 2', 'plain', 'then', 'use 0 of 2', 'plain', 'first 1', 'use 1 of 2', 'plain', 'then', 'use 1 of 2', 'plain', 'end'].join('\n'),
      );
      // a body handed on through a snippet that includes another with body
      expect(instantiate('t', { STORES: [{ i: 5 }] }, {}, '//#include outer with body\nx{{st.i}}\n//#endinclude')).toBe('outer {\nfirst 5\nx5\nthen\nx5\n}');
      expect(() => instantiate('t', {}, {}, '//#include twice')).toThrow(/t:1: lib\/twice has a \/\/#body, so it is included 'with body'/);
      expect(() => instantiate('t', {}, {}, 'a\n//#include plain with body\nb\n//#endinclude')).toThrow(/t:2: lib\/plain has no \/\/#body line/);
      expect(() => instantiate('t', {}, {}, '//#include twice with body\nb')).toThrow(/t:1: #include twice with body has no #endinclude/);
      expect(() => instantiate('t', {}, {}, 'a\n//#endinclude')).toThrow(/t:2: #endinclude without an include 'with body'/);
      expect(() => instantiate('t', {}, {}, 'a\n//#body')).toThrow(/t:2: #body is no directive here/);
    } finally {
      if (saved) setTemplateSource(saved);
    }
  });
  it('gives slot placeholders their identifiers last, inside generated values too', () => {
    const text = instantiate('t', { BODY: '{{y_out}}[i] = v;' }, {}, 'let v = {{x_in}}[i];\n{{BODY}}', { x_in: 'x_in', y_out: 'x_in' });
    expect(text).toBe('let v = x_in[i];\nx_in[i] = v;');
    expect(() => instantiate('t', {}, {}, '{{q_in}}[0]', { x_in: 'x_in' })).toThrow(/no value for \{\{q_in\}\}/);
    // a field's text may name slots and values, a value's text only slots
    const field = instantiate('t', { N: 4, ROWS: [{ at: '{{x_in}}[{{N}}]' }] }, {}, '//#for r in ROWS\nlet v = {{r.at}};\n//#endfor', { x_in: 'buf' });
    expect(field).toBe('let v = buf[4];');
    expect(() => instantiate('t', { A: '{{N}}', N: 1 }, {}, '{{A}} {{N}}')).toThrow(/no value for \{\{N\}\}/);
  });
});

describe('binding renderer', () => {
  it('declares one binding per buffer, writable if any slot on it writes, named by its first slot', () => {
    const r = renderBindings(
      [
        { name: 'a_in', type: 'array<f32>', write: false },
        { name: 'scale', type: 'array<f32>', write: false },
        { name: 'y_out', type: 'array<f32>', write: true, shares: 'a_in' },
      ],
      'k',
    );
    expect(r.bindings.map((b) => [b.binding, b.slots.map((s) => s.name), b.write])).toEqual([
      [0, ['a_in', 'y_out'], true],
      [1, ['scale'], false],
    ]);
    expect(r.names).toEqual({ a_in: 'a_in', scale: 'scale', y_out: 'a_in' });
    expect(r.decl).toBe('@group(0) @binding(0) var<storage, read_write> a_in: array<f32>;\n@group(0) @binding(1) var<storage, read> scale: array<f32>;');
  });
  it('refuses to share a binding between element types, or with a slot that has none', () => {
    const x = { name: 'x_in', type: 'array<vec4<f32>>', write: false };
    expect(() => renderBindings([x, { name: 'y_out', type: 'array<f32>', write: true, shares: 'x_in' }], 'k')).toThrow(/k: slot y_out \(array<f32>\) cannot share x_in/);
    expect(() => renderBindings([x, { name: 'y_out', type: 'array<f32>', write: true, shares: 'z_in' }], 'k')).toThrow(/k: slot y_out shares z_in, which is not a bound slot/);
  });
  it('a training kernel whose gradient input and output share a buffer binds it once, read-write', () => {
    const k = genFcDx('f', { batch: 2, inFeatures: 6, outFeatures: 3 }, { buffer: 2, offset: 0, batchStride: 3 }, { buffer: 2, offset: 64, batchStride: 6, accumulate: true }, { buffer: 5, offset: 0 }, { wg: 64 }, { maxComputeWorkgroupsPerDimension: 65535 });
    expect(k.bindings.map((b) => [b.buffer, b.type])).toEqual([
      [2, 'storage'],
      [5, 'read-only-storage'],
    ]);
    expect(k.wgsl).toContain('var<storage, read_write> g_in: array<f32>;');
    expect(k.wgsl).not.toMatch(/\{\{|\}\}/);
    expect(k.wgsl.split('\n').filter((l) => !l.trimStart().startsWith('//') && /\bdx\b/.test(l))).toEqual([]);
  });
});

describe('conv code generation', () => {
  const base = {
    name: 'c', batch: 2, inC: 8, inH: 7, inW: 5, outC: 12, outH: 7, outW: 5, kernel: 3, stride: 1, pad: 1, groups: 2,
    input: { batchStride: 8 * 35, offset: 0 }, output: { batchStride: 12 * 35, offset: 0 },
    tile: { ocb: 8, pxb: 4, wg: 32 },
  };
  it('bakes shapes in as constants and unrolls the block', () => {
    const k = genConv(base);
    expect(k.wgsl).toContain('const IN_W: u32 = 5u;');
    expect(k.wgsl).toContain('const CIG: u32 = 4u;');
    expect(k.wgsl).not.toMatch(/\{\{|\}\}/);
    expect(k.wgsl).not.toContain('subgroupBroadcast(');
    expect(k.bindings.map((b) => b.slots[0])).toEqual(['x_in', 'wgt', 'bias', 'y_out']);
    expect(k.workgroups[1]).toBe(2); // 2 groups x ceil(6 / 8) channel blocks
  });
  it('uses subgroup broadcasts and branch-free rows with a subgroup size', () => {
    const k = genConv({ ...base, subgroupSize: 8 });
    expect(k.wgsl).toMatch(/^\/\/[^]*enable subgroups;/);
    expect(k.wgsl).toContain('subgroupBroadcast(q0, 0u)');
    expect(k.wgsl).not.toMatch(/if \(u32\(iy\) < IN_H\)/);
    expect(k.wgsl).not.toMatch(/return;/);
  });
  it('shares one read-write binding when input and output view the same buffer', () => {
    const k = genConv(base, { y_out: 'x_in' });
    expect(k.bindings.map((b) => [b.slots, b.write])).toEqual([[['x_in', 'y_out'], true], [['wgt'], false], [['bias'], false]]);
    expect(k.wgsl).toContain('var<storage, read_write> x_in: array<f32>;');
    expect(k.wgsl).not.toMatch(/\by_out\b/);
  });
  it('splits large dispatches over x and z, and names the layer when it cannot', () => {
    const k = genConv({ ...base, name: 'S9.conv' }, {}, { maxComputeWorkgroupsPerDimension: 3 });
    expect(k.workgroups[0]).toBeLessThanOrEqual(3);
    expect(k.workgroups[0] * k.workgroups[2]).toBeGreaterThanOrEqual(Math.ceil((2 * 7 * 2) / 32));
    expect(() => genConv({ ...base, name: 'S9.conv', outC: 64, groups: 1 }, {}, { maxComputeWorkgroupsPerDimension: 3 })).toThrow(/S9\.conv: 64 output channels need 8 workgroups along y/);
  });
  it('packs weights so each block holds OCB output channels, zero past a group', () => {
    // 2 groups, 3 output channels per group, 1 input channel per group, 1x1 kernel, ocb 4.
    const w = new Float32Array([1, 2, 3, 4, 5, 6]);
    const b = new Float32Array([10, 20, 30, 40, 50, 60]);
    const p = packConv(w, b, 6, 2, 1, 2, 4);
    expect(Array.from(p.weight)).toEqual([1, 2, 3, 0, 4, 5, 6, 0]);
    expect(Array.from(p.bias)).toEqual([10, 20, 30, 0, 40, 50, 60, 0]);
  });
});

describe('plans', () => {
  it('fuses conv + bn + add + relu and runs the shortcut as its own kernel', () => {
    const plan = compilePlan(resnet(), { batch: 2 });
    const ops = plan.dispatches.map((d) => d.op);
    expect(ops.filter((o) => o === 'ewise' || o === 'copy')).toEqual([]);
    expect(plan.dispatches[0].nodes).toEqual(['stem.conv1', 'stem.bn1', 'stem.relu1']);
    expect(plan.dispatches.some((d) => d.nodes.join(' ') === 'S1.b1.conv2 S1.b1.bn2 S1.b1.add S1.b1.relu2')).toBe(true);
    expect(ops.slice(-4)).toEqual(['avgpool', 'fc', 'softmax', 'argmax']);
    expect(plan.output.classes).toBe(10);
  });

  it('reuses activation buffers by liveness', () => {
    const plan = compilePlan(resnet(), { batch: 4 });
    expect(plan.memory.activationBytes).toBeLessThan(plan.memory.noReuseBytes / 2);
    const noReuse = compilePlan(resnet(), { batch: 4, reuse: false });
    expect(noReuse.memory.activationBytes).toBe(noReuse.memory.noReuseBytes);
    // No dispatch binds a buffer it writes a second time (WebGPU forbids writable aliasing).
    for (const d of plan.dispatches) {
      for (const w of d.bindings.filter((b) => b.write)) {
        expect(d.bindings.filter((b) => b.buffer === w.buffer).length).toBe(1);
      }
    }
  });

  it('without fusion every op is its own kernel', () => {
    const plan = compilePlan(resnet(), { batch: 1, fuse: false });
    expect(plan.dispatches.filter((d) => d.op === 'ewise').length).toBeGreaterThan(10);
    expect(plan.dispatches.every((d) => d.nodes.length === 1)).toBe(true);
  });

  it('makes slices free and writes concatenation inputs in place', () => {
    const b = new GraphBuilder();
    const x = b.addInput('input', { c: 4, h: 5, w: 5 });
    const c1 = b.add({ op: 'conv', name: 'c1', region: 'S1', input: x, outChannels: 6, kernel: 3, stride: 1, pad: 1, groups: 1, bias: false });
    const r1 = b.add({ op: 'relu', name: 'r1', region: 'S1', input: c1, start: 0, end: 3 });
    const s1 = b.add({ op: 'slice', name: 's1', region: 'S1', input: r1, start: 2, end: 6 });
    const c2 = b.add({ op: 'conv', name: 'c2', region: 'S1', input: s1, outChannels: 4, kernel: 1, stride: 1, pad: 0, groups: 2, bias: true });
    const cat = b.add({ op: 'concat', name: 'cat', region: 'S1', inputs: [r1, c2, x] });
    const pool = b.add({ op: 'avgpool', name: 'pool', region: 'head', input: cat });
    const g = b.finish('g', pool, ['S1'], 14);
    const plan = compilePlan(g, { batch: 2 });
    // r1 (fused into c1) and c2 are written into the concat's buffer; the input is copied.
    const copies = plan.dispatches.filter((d) => d.op === 'copy');
    expect(copies.map((d) => d.nodes[0])).toEqual(['cat <- input']);
    const t = new Map(plan.tensors.map((x) => [x.node, x]));
    expect(t.get('r1')!.buffer).toBe(t.get('cat')!.buffer);
    expect(t.get('c2')!.buffer).toBe(t.get('cat')!.buffer);
    expect(t.get('c2')!.offset).toBe(6 * 25);
    expect(t.get('s1')!.offset).toBe(2 * 25);
    expect(t.get('cat')!.batchStride).toBe(14 * 25);
    expect(plan.dispatches.some((d) => d.nodes.includes('s1'))).toBe(false);
    // c2 reads a slice of the buffer it writes to: one read-write binding.
    const c2d = plan.dispatches.find((d) => d.nodes[0] === 'c2')!;
    expect(c2d.bindings.filter((x) => x.buffer === t.get('cat')!.buffer)).toEqual([{ binding: 0, buffer: t.get('cat')!.buffer, write: true }]);
  });

  it('names the layer whose activation does not fit a binding', () => {
    const g = resnet(64, 32);
    expect(() => compilePlan(g, { batch: 300, limits: { maxStorageBufferBindingSize: 64 * 1024 * 1024 } })).toThrow(
      /at inference batch 300: layer stem\.conv1 \+ stem\.bn1 \+ stem\.relu1 \(conv\+bn\+relu, 64x32x32\): its output needs 75\.0 MiB, above the device's maxStorageBufferBindingSize \(64\.0 MiB\); the largest inference batch that fits this device is 256$/,
    );
  });

  it('packs parameters for every param buffer', () => {
    const g = resnet();
    const plan = compilePlan(g, { batch: 1, subgroupSize: 8 });
    const params = weightContents(plan.program, initWeights(g, 1));
    for (const b of plan.buffers.filter((x) => x.kind === 'param')) {
      expect(params.get(b.id)!.byteLength).toBe(b.bytes);
    }
  });

  it('writes one WGSL file per kernel and a manifest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrn-plan-'));
    try {
      const plan = compilePlan(resnet(), { batch: 2 });
      writeCompiled(plan, dir);
      const files = readdirSync(dir).sort();
      expect(files.filter((f) => f.endsWith('.wgsl')).length).toBe(plan.kernels.length);
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
      expect(manifest.format).toBe('hrn-plan');
      expect(manifest.dispatches.length).toBe(plan.dispatches.length);
      expect(manifest.kernels[0].file).toBe(`${plan.kernels[0].name}.wgsl`);
      expect(readFileSync(join(dir, manifest.kernels[0].file), 'utf8')).toContain('@compute');
      expect(manifest.memory.activationBytes).toBeLessThan(manifest.memory.noReuseBytes);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
