// Runs one generated kernel on the test device with the given buffer contents and reads back what
// it wrote: for testing a kernel on its own against a reference, without compiling a whole plan.

import type { GpuContext } from '../src/runtime/index.js';

export interface DispatchBuffer {
  binding: number;
  data: Float32Array;
  /** A uniform buffer (the training step's hyperparameters) rather than storage. */
  uniform?: boolean;
}

/** `src`'s contents, copied to a mappable buffer and read. */
export async function readBack(device: GPUDevice, src: GPUBuffer): Promise<Float32Array> {
  const rb = device.createBuffer({ size: src.size, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, rb, 0, src.size);
  device.queue.submit([enc.finish()]);
  await rb.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(rb.getMappedRange().slice(0));
  rb.destroy();
  return out;
}

/**
 * Dispatches `wgsl` once over `workgroups` with a buffer per entry of `buffers` and the arguments
 * uniform `args` at its binding; returns every storage buffer's contents afterwards, by binding.
 */
export async function dispatchKernel(
  gpu: GpuContext,
  k: { wgsl: string; entryPoint: string; workgroups: [number, number, number]; args?: { binding: number; words: Uint32Array } },
  buffers: readonly DispatchBuffer[],
): Promise<Map<number, Float32Array>> {
  const { device } = gpu;
  const made: { binding: number; buffer: GPUBuffer; uniform: boolean }[] = buffers.map((b) => {
    const usage = b.uniform ? GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST : GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const buffer = device.createBuffer({ size: Math.max(16, b.data.byteLength), usage });
    device.queue.writeBuffer(buffer, 0, b.data);
    return { binding: b.binding, buffer, uniform: b.uniform === true };
  });
  if (k.args) {
    const buffer = device.createBuffer({ size: k.args.words.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(buffer, 0, k.args.words);
    made.push({ binding: k.args.binding, buffer, uniform: true });
  }
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code: k.wgsl }), entryPoint: k.entryPoint } });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: made.map((m) => ({ binding: m.binding, resource: { buffer: m.buffer } })) }));
  pass.dispatchWorkgroups(...k.workgroups);
  pass.end();
  device.queue.submit([enc.finish()]);
  const out = new Map<number, Float32Array>();
  for (const m of made) if (!m.uniform) out.set(m.binding, (await readBack(device, m.buffer)).slice(0, buffers.find((b) => b.binding === m.binding)!.data.length));
  for (const m of made) m.buffer.destroy();
  return out;
}
