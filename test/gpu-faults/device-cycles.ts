// Opens and closes a device 40 times in one process, with a garbage collection every third round
// (run with --expose-gc), next to a device that stays open: what a test file or an in-process
// `hrn compile` does. Dawn's Node bindings crashed or deadlocked here when each device came from an
// instance of its own that was then collected (src/runtime/device.ts keeps one per set of options).
import { openDevice } from '../../src/runtime/device.js';

const collect = (globalThis as { gc?: () => void }).gc;
if (!collect) throw new Error('run with node --expose-gc');
const kept = await openDevice();
for (let i = 0; i < 40; i++) {
  const ctx = await openDevice();
  ctx.device.createBuffer({ size: 1024, usage: GPUBufferUsage.STORAGE }).destroy();
  ctx.close();
  if (i % 3 === 0) collect();
  await new Promise((r) => setTimeout(r, 20));
}
kept.close();
collect();
console.log('40 devices opened and closed');
