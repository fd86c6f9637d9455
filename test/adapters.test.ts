// Choosing the WebGPU adapter: by its number in Dawn's list or by part of its name, and
// --require-gpu, which refuses a CPU driver. Dawn's Node bindings select adapters only by name and
// list them only in the error for a name that matches none (src/runtime/adapters.ts); this machine
// has one adapter, lavapipe, so lists of several are Dawn's message format written out.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterAt, DeviceError, listAdapters, parseAdapterList } from '../src/runtime/adapters.js';
import { openDevice } from '../src/runtime/device.js';
import { hrn } from './run-cli.js';
import { TINY_HRN, writeTinyFashion } from './sweep-fixtures.js';

/** Dawn's rejection for an adapter name that matches none, as it words it. */
const dawnList = (adapters: [string, string][]) =>
  `no suitable backends found\nAvailable adapters:\n${adapters.map(([b, n]) => ` * backend: '${b}', name: '${n}'`).join('\n')}`;

describe('the adapter list', () => {
  it("is read from Dawn's message, in Dawn's order", () => {
    const list = parseAdapterList(dawnList([['vulkan', 'NVIDIA H100 80GB HBM3'], ['vulkan', 'llvmpipe (LLVM 15.0.6, 256 bits)'], ['opengl', 'NVIDIA H100 80GB HBM3/PCIe/SSE2']]));
    expect(list).toEqual([
      { index: 0, backend: 'vulkan', name: 'NVIDIA H100 80GB HBM3' },
      { index: 1, backend: 'vulkan', name: 'llvmpipe (LLVM 15.0.6, 256 bits)' },
      { index: 2, backend: 'opengl', name: 'NVIDIA H100 80GB HBM3/PCIe/SSE2' },
    ]);
    expect(parseAdapterList('no suitable backends found\nAvailable adapters:\n')).toEqual([]);
  });

  it('on this machine lists lavapipe', async () => {
    const list = await listAdapters();
    expect(list.length).toBeGreaterThanOrEqual(1);
    expect(list.some((a) => a.name.startsWith('llvmpipe'))).toBe(true);
  });

  it('selects by index; a missing index, or one Dawn cannot reach by name, is a clear DeviceError', () => {
    const two = parseAdapterList(dawnList([['vulkan', 'NVIDIA H100 80GB HBM3'], ['vulkan', 'NVIDIA H100 80GB HBM3'], ['vulkan', 'llvmpipe (LLVM 15.0.6, 256 bits)']]));
    expect(adapterAt(two, 0)).toEqual({ name: 'NVIDIA H100 80GB HBM3', backend: 'vulkan' });
    expect(adapterAt(two, 2)).toEqual({ name: 'llvmpipe (LLVM 15.0.6, 256 bits)', backend: 'vulkan' });
    expect(() => adapterAt(two, 1)).toThrow(DeviceError);
    expect(() => adapterAt(two, 1)).toThrow(/--adapter 1: Dawn's Node bindings select adapters by name, and adapter 0 \('NVIDIA H100 80GB HBM3'\) has the name of adapter 1/);
    expect(() => adapterAt(two, 3)).toThrow(
      "--adapter 3: there is no adapter 3; Dawn lists 3 adapters: 0: 'NVIDIA H100 80GB HBM3' (vulkan), 1: 'NVIDIA H100 80GB HBM3' (vulkan), 2: 'llvmpipe (LLVM 15.0.6, 256 bits)' (vulkan)",
    );
  });
});

describe('openDevice', () => {
  it('opens adapter 0 by its index; an index past the list names the adapters there are', async () => {
    const list = await listAdapters();
    const ctx = await openDevice({ adapter: '0' });
    try {
      expect(ctx.adapterInfo).toMatch(/llvmpipe/);
    } finally {
      ctx.close();
    }
    const past = String(list.length);
    const err = await openDevice({ adapter: past }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as Error).message).toMatch(new RegExp(`^--adapter ${past}: there is no adapter ${past}; Dawn lists \\d+ adapters?: 0: 'llvmpipe`));
  });

  it('a name that matches none: one line listing the adapters', async () => {
    const err = await openDevice({ adapter: 'no-such-adapter' }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^WebGPU adapter "no-such-adapter" was not found; Dawn lists \d+ adapters?: 0: 'llvmpipe .*\. Give --adapter a number/);
    expect((err as Error).message).not.toContain('\n');
  });

  it('requireGpu refuses lavapipe, naming it', async () => {
    const err = await openDevice({ requireGpu: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as Error).message).toMatch(/^a GPU is required \(--require-gpu\) but the WebGPU adapter is a CPU driver: mesa \/ .*llvmpipe.*; Dawn lists \d+ adapters?: 0: 'llvmpipe/);
  });
});

describe('--require-gpu and --adapter N on the command line', () => {
  let dir: string;
  let data: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hrn-adapters-'));
    writeFileSync(join(dir, 'tiny.hrn'), TINY_HRN);
    data = writeTinyFashion(join(dir, 'data'), 20);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The one line a refusal prints, after checking it is the only one and the status is 1. */
  const refusal = (r: { code: number; out: string; err: string }) => {
    expect(r.code, r.err).toBe(1);
    const lines = r.err.trim().split('\n');
    expect(lines, r.err).toHaveLength(1);
    return lines[0];
  };

  it('hrn infer and hrn train refuse lavapipe with one line naming it', async () => {
    const infer = await hrn('infer', '--weights', 'checkpoints/hrn-2x5x3x-m2', '--data', data, '--require-gpu');
    expect(refusal(infer)).toMatch(/^hrn infer: error: a GPU is required \(--require-gpu\) but the WebGPU adapter is a CPU driver: mesa \/ .*llvmpipe/);
    const train = await hrn('train', join(dir, 'tiny.hrn'), '--data', data, '--batch', '4', '--out', join(dir, 'run'), '--require-gpu');
    expect(refusal(train)).toMatch(/^hrn train: error: a GPU is required \(--require-gpu\) but the WebGPU adapter is a CPU driver: /);
  });

  it('hrn sweep and hrn worker refuse it too, before any run trains or the queue is reached', async () => {
    const sweep = await hrn('sweep', join(dir, 'tiny.hrn'), '--grid', 'm=2', '--data', data, '--batch', '4', '--out', join(dir, 'sweep'), '--require-gpu');
    expect(refusal(sweep)).toMatch(/^hrn sweep: error: a GPU is required \(--require-gpu\)/);
    // Nothing listens on port 9: the refusal comes before the worker tries the queue.
    const worker = await hrn('worker', '--queue', 'redis://127.0.0.1:9', '--require-gpu');
    expect(refusal(worker)).toMatch(/^hrn worker: error: a GPU is required \(--require-gpu\)/);
  });

  it('hrn compile --emit-wgsl takes an adapter number, and refuses one that is not there', async () => {
    const ok = await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--emit-wgsl', 'S1.b1.conv1', '--adapter', '0');
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toContain('// hrn kernel');
    const n = String((await listAdapters()).length);
    const missing = await hrn('compile', 'examples/hrn-2x5x3x.hrn', '--emit-wgsl', 'S1.b1.conv1', '--adapter', n);
    expect(refusal(missing)).toMatch(new RegExp(`^hrn compile: error: --adapter ${n}: there is no adapter ${n}; Dawn lists`));
    const gpuOnly = await hrn('compile', 'examples/hrn-2x5x3x.hrn', '-o', join(dir, 'out'), '--require-gpu');
    expect(refusal(gpuOnly)).toMatch(/^hrn compile: error: a GPU is required/);
  });
});
