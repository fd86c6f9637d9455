import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { residualNetwork } from '../src/ir/factory.js';
import { lowerToGraph } from '../src/ir/lower.js';
import {
  checkWeights,
  decodeSafetensors,
  encodeSafetensors,
  initWeights,
  readSafetensors,
  Rng,
  SafetensorsError,
  weightSpecs,
  writeSafetensors,
  type Weights,
} from '../src/weights/index.js';

const dir = mkdtempSync(join(tmpdir(), 'hrn-weights-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const graph = lowerToGraph(residualNetwork({ name: 'tiny', m: 4, factors: [2], depths: [1, 1], input: { c: 3, h: 8, w: 8 }, classes: 5 }));

function sample(): Weights {
  return new Map([
    ['a.weight', { shape: [2, 3], data: new Float32Array([1, -2, 3.5, 0, 1e-30, -Infinity]) }],
    ['b', { shape: [], data: new Float32Array([42]) }],
    ['empty', { shape: [0, 4], data: new Float32Array(0) }],
  ]);
}

/** A file image with a hand-written header. */
function image(header: unknown, data: Uint8Array | number = 0): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

describe('weights', () => {
  it('names every tensor after its node, with PyTorch layouts', () => {
    const specs = new Map(weightSpecs(graph).map((s) => [s.name, s.shape]));
    expect(specs.get('stem.conv1.weight')).toEqual([4, 3, 3, 3]);
    expect(specs.get('stem.bn1.gamma')).toEqual([4]);
    expect(specs.get('stem.bn1.running_var')).toEqual([4]);
    expect(specs.get('S2.b1.shortcut.conv.weight')).toEqual([8, 4, 1, 1]);
    expect(specs.get('head.fc.weight')).toEqual([5, 8]);
    expect(specs.get('head.fc.bias')).toEqual([5]);
    expect(specs.has('stem.conv1.bias')).toBe(false);
  });

  it('He initialization is seeded, reproducible and has the He variance', () => {
    const a = initWeights(graph, 7);
    const b = initWeights(graph, 7);
    const c = initWeights(graph, 8);
    const w = a.get('S2.b1.conv2.weight')!.data;
    expect(Array.from(w)).toEqual(Array.from(b.get('S2.b1.conv2.weight')!.data));
    expect(Array.from(w)).not.toEqual(Array.from(c.get('S2.b1.conv2.weight')!.data));
    // Large layer: sample variance close to 2 / fan_in.
    const big = initWeights(lowerToGraph(residualNetwork({ name: 'w', m: 64, factors: [], depths: [1], input: { c: 3, h: 4, w: 4 }, classes: 2 })), 3);
    const conv = big.get('S1.b1.conv1.weight')!.data; // 64 x 64 x 3 x 3
    const mean = conv.reduce((s, v) => s + v, 0) / conv.length;
    const variance = conv.reduce((s, v) => s + (v - mean) ** 2, 0) / conv.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(variance / (2 / (64 * 9))).toBeGreaterThan(0.95);
    expect(variance / (2 / (64 * 9))).toBeLessThan(1.05);
    expect(Array.from(a.get('stem.bn1.gamma')!.data)).toEqual([1, 1, 1, 1]);
    expect(Array.from(a.get('stem.bn1.running_mean')!.data)).toEqual([0, 0, 0, 0]);
    checkWeights(graph, a);
  });

  it('the PRNG is the same on every run', () => {
    const r = new Rng(123);
    const xs = Array.from({ length: 4 }, () => r.nextU32());
    expect(xs).toEqual(Array.from({ length: 4 }, ((r2) => () => r2.nextU32())(new Rng(123))));
    const n = new Rng(1);
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < 20000; i++) {
      const v = n.normal();
      s += v;
      s2 += v * v;
    }
    expect(Math.abs(s / 20000)).toBeLessThan(0.03);
    expect(Math.abs(s2 / 20000 - 1)).toBeLessThan(0.05);
  });

  it('checkWeights names the first differing tensor in one line, and counts the rest', () => {
    const w = initWeights(graph, 1);
    w.delete('S1.b1.bn2.beta');
    w.set('head.fc.weight', { shape: [5, 9], data: new Float32Array(45) });
    expect(() => checkWeights(graph, w, 'ckpt.safetensors')).toThrow(/^ckpt.safetensors do not fit network tiny: missing S1.b1.bn2.beta \[4\] \(and 1 more tensor differs\)$/);
    w.set('head.fc.weight', { shape: [5, 8], data: new Float32Array(40) });
    w.set('S1.b1.bn2.beta', { shape: [3], data: new Float32Array(3) });
    expect(() => checkWeights(graph, w, 'w')).toThrow(/^w do not fit network tiny: S1.b1.bn2.beta has shape \[3\], the network needs \[4\]$/);
  });
});

describe('safetensors', () => {
  it('round-trips tensors and metadata through a file', () => {
    const file = join(dir, 'a.safetensors');
    writeSafetensors(file, sample(), { format: 'pt', epoch: '3' });
    const back = readSafetensors(file);
    expect(back.metadata).toEqual({ format: 'pt', epoch: '3' });
    expect([...back.tensors.keys()].sort()).toEqual(['a.weight', 'b', 'empty']);
    expect(back.tensors.get('a.weight')!.shape).toEqual([2, 3]);
    expect(Array.from(back.tensors.get('a.weight')!.data)).toEqual([1, -2, 3.5, 0, Math.fround(1e-30), -Infinity]);
    expect(back.tensors.get('b')!.shape).toEqual([]);
    expect(Array.from(back.tensors.get('b')!.data)).toEqual([42]);
    expect(back.tensors.get('empty')!.data.length).toBe(0);
    // No temporary file left behind.
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('writes the spec layout: u64 header length, JSON header padded to 8 bytes, F32 data', () => {
    const bytes = encodeSafetensors(sample());
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header['a.weight']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header.b).toEqual({ dtype: 'F32', shape: [], data_offsets: [24, 28] });
    expect(bytes.length).toBe(8 + n + 28);
    expect(new DataView(bytes.buffer).getFloat32(8 + n + 8, true)).toBe(3.5);
  });

  it('round-trips a whole network checkpoint', () => {
    const w = initWeights(graph, 5);
    const file = join(dir, 'net.safetensors');
    writeSafetensors(file, w);
    writeSafetensors(file, w); // overwriting is atomic too
    const back = readSafetensors(file).tensors;
    checkWeights(graph, back);
    for (const [k, t] of w) expect(Array.from(back.get(k)!.data)).toEqual(Array.from(t.data));
  });

  const corrupt: [string, Uint8Array, RegExp][] = [
    ['empty file', new Uint8Array(0), /shorter than the 8-byte header length/],
    ['header length past the end', (() => { const b = image({}); new DataView(b.buffer).setBigUint64(0, 1000n, true); return b; })(), /header claims 1000 bytes.*truncated/],
    ['implausible header length', (() => { const b = image({}); new DataView(b.buffer).setBigUint64(0, 1n << 60n, true); return b; })(), /implausible/],
    ['bad JSON', image('{"a": '), /header is not valid UTF-8 JSON/],
    ['header not an object', image('[1,2]'), /header is not a JSON object/],
    ['unsupported dtype', image({ x: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, 4), /tensor x: dtype "F16" is not supported \(only F32\)/],
    ['shape and offsets disagree', image({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8), /tensor x: shape \[3\] needs 12 bytes but data_offsets span 8/],
    ['truncated data', image({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 10), /run past the end of the data \(10 bytes; truncated file\?\)/],
    ['overlapping tensors', image({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, y: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12), /overlaps/],
    ['trailing bytes', image({ x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 8), /4 bytes after the last tensor/],
    ['bad metadata', image({ __metadata__: { a: 1 } }), /__metadata__.a is not a string/],
    ['bad offsets', image({ x: { dtype: 'F32', shape: [1], data_offsets: [0] } }, 4), /data_offsets \[0\] is not \[begin, end\]/],
  ];
  for (const [what, bytes, message] of corrupt) {
    it(`rejects a corrupt file: ${what}`, () => {
      const file = join(dir, `bad-${what.replace(/\W+/g, '_')}.safetensors`);
      writeFileSync(file, bytes);
      let err: unknown;
      try {
        readSafetensors(file);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SafetensorsError);
      expect((err as Error).message).toContain(file);
      expect((err as Error).message).toMatch(message);
    });
  }

  it('names a truncated real checkpoint', () => {
    const file = join(dir, 'trunc.safetensors');
    writeSafetensors(file, initWeights(graph, 1));
    const full = readFileSync(file);
    writeFileSync(file, full.subarray(0, full.length - 100));
    expect(() => readSafetensors(file)).toThrow(/trunc\.safetensors: not a valid safetensors file: tensor .* run past the end/);
  });

  it('reports a missing file by name', () => {
    expect(() => readSafetensors(join(dir, 'nope.safetensors'))).toThrow(/nope\.safetensors: cannot read weights/);
  });

  it('decodes from an unaligned buffer', () => {
    const bytes = encodeSafetensors(sample());
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const back = decodeSafetensors(shifted.subarray(1));
    expect(back.tensors.get('a.weight')!.data[2]).toBe(3.5);
  });
});
