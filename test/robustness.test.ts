// hrn turns Dawn's bounds checks off on CPU drivers because those drivers bound every storage
// access themselves. Kernel warm-up relies on that too: it runs each new pipeline once on small
// scratch buffers. This test holds the Vulkan driver to it: with Dawn's checks off, writes far past a
// buffer's end must be dropped (nothing else changes, the process lives) and such reads give 0.

import { describe, expect, it } from 'vitest';
import { useGpu } from './gpu-fixtures.js';
import { readBack } from './kernel-dispatch.js';

const gpu = useGpu();

const OUT_OF_BOUNDS = `
@group(0) @binding(0) var<storage, read_write> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> b: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = g.x;
  a[i + 64u] = 123.0;        // just past the end of a (64 floats)
  a[i + 4000000u] = 456.0;   // 16 MB past it
  b[i] = a[i + 8000000u] + 1.0;
}`;

describe('buffer accesses past the end on lavapipe with Dawn bounds checks off', () => {
  it('are dropped (writes) or read as 0', async () => {
    const { device, robust } = gpu();
    expect(robust).toBe(false);
    const storage = (fill: number) => {
      const buf = device.createBuffer({ size: 256, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(buf, 0, new Float32Array(64).fill(fill));
      return buf;
    };
    const [a, b, bystander] = [storage(1), storage(2), storage(7)];
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code: OUT_OF_BOUNDS }), entryPoint: 'main' } });
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [a, b].map((buffer, binding) => ({ binding, resource: { buffer } })) }));
    pass.dispatchWorkgroups(1);
    pass.end();
    device.queue.submit([enc.finish()]);
    expect([...(await readBack(device, a))]).toEqual(new Array(64).fill(1));
    expect([...(await readBack(device, b))]).toEqual(new Array(64).fill(1));
    expect([...(await readBack(device, bystander))]).toEqual(new Array(64).fill(7));
  });
});
