// What waiting on the GPU costs the main thread: a chain of compute dispatches is submitted and
// awaited (onSubmittedWorkDone), alternately with Node's own setImmediate (through which dawn.node's
// poll of Dawn re-arms itself on every turn of the event loop) and with hrn's throttled one
// (src/runtime/dawn-polling.ts, which openDevice installs on a CPU driver). Prints, per mode, the
// median wall time, the main thread's CPU time (read from /proc: Linux only) and the whole
// process's, in ms.
//
//   npx tsx bench/gpu-wait.ts [--rounds 7] [--dispatches 30]

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { processCpuMs } from './process-time.js';
import { median } from './stats.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, dispatches: { type: 'string', default: '30' } } });
const ROUNDS = Number(values.rounds);
const DISPATCHES = Number(values.dispatches);

// Node's own setImmediate, kept before openDevice installs the throttled one.
const spinning = globalThis.setImmediate;
const { openDevice } = await import('../src/runtime/device.js');
const ctx = await openDevice();
const throttled = globalThis.setImmediate;
const { device } = ctx;

const N = 131_072;
const buffer = () => device.createBuffer({ size: N * 16, usage: GPUBufferUsage.STORAGE });
const [a, y] = [buffer(), buffer()];
const code = `@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> y: array<vec4<f32>>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  var v = a[id.x];
  for (var i = 0; i < 200; i++) { v = v * 1.0001 + 0.5; }
  y[id.x] = v;
}`;
const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
const group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [a, y].map((b, binding) => ({ binding, resource: { buffer: b } })) });

/** CPU ms of one thread (utime + stime; clock ticks of 10 ms). */
const threadMs = (tid: string) => {
  const f = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};

async function run(): Promise<{ wall: number; main: number; all: number }> {
  const [m0, a0, w0] = [threadMs(String(process.pid)), processCpuMs(), performance.now()];
  const enc = device.createCommandEncoder();
  for (let i = 0; i < DISPATCHES; i++) {
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(N / 64);
    pass.end();
  }
  device.queue.submit([enc.finish()]);
  await device.queue.onSubmittedWorkDone();
  return { wall: performance.now() - w0, main: threadMs(String(process.pid)) - m0, all: processCpuMs() - a0 };
}

const modes = { 'dawn.node polling': spinning, 'hrn throttled polling': throttled } as const;
const results: Record<string, { wall: number; main: number; all: number }[]> = {};
await run(); // compile and warm up
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, impl] of Object.entries(modes)) {
    globalThis.setImmediate = impl;
    (results[name] ??= []).push(await run());
  }
}
globalThis.setImmediate = throttled;
console.log(`${DISPATCHES} dispatches per wait, ${ROUNDS} rounds, modes alternating; medians in ms`);
for (const [name, rs] of Object.entries(results)) {
  const m = (k: 'wall' | 'main' | 'all') => median(rs.map((x) => x[k])).toFixed(0);
  console.log(`${name.padEnd(22)} wall ${m('wall').padStart(5)}   main thread CPU ${m('main').padStart(5)}   process CPU ${m('all').padStart(5)}`);
}
ctx.close();
process.exit(0);
