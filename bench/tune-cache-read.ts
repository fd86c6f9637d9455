// What reading the tuning cache adds to a command's start: a cache holding a schedule for every
// kernel signature of ResNet18's training step (batch 128) and forward pass (batch 64), read and
// checked as hrn train, infer and compile do (readTuneCache, then tunedSchedulesOf, which checks
// every entry against its signature's candidates). Prints the first read (cold code paths) and the
// median of the next ones, in milliseconds. No device is opened: the limits are lavapipe's.
//
//   npx tsx bench/tune-cache-read.ts [--rounds 20]

import '../src/codegen/template-files.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compilePlan } from '../src/codegen/plan.js';
import { compileTrainPlan } from '../src/codegen/train-plan.js';
import { cacheKey, readTuneCache, tunedSchedulesOf, writeTuneCache, type CacheEntry } from '../src/cli/tune-cache.js';
import { loadNetworksFromText, lowerNetwork } from '../src/driver.js';
import { median } from './stats.js';
import { familyOfKey, knobNames, type ScheduleFamily } from '../src/codegen/schedule/index.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '20' } } });
const rounds = Number(values.rounds);

const file = 'examples/resnet18.hrn';
const graph = lowerNetwork(loadNetworksFromText(file, readFileSync(file, 'utf8'), new Map(), { set: [] }).networks[0]);
const limits = { maxComputeInvocationsPerWorkgroup: 1024, maxStorageBufferBindingSize: 2 ** 31 - 1, maxBufferSize: 2 ** 31 - 1 };
const device = { subgroupSize: 8, limits };
const common = { subgroupSize: 8, limits, profile: 'cpu' as const };
const plans = [compileTrainPlan(graph, { ...common, batch: 128 }), compilePlan(graph, { ...common, batch: 64 })];

// Every signature with its profile's own schedule: a valid entry of the size hrn tune writes.
const entries: Record<string, CacheEntry> = {};
const measured = { at: new Date().toISOString(), mode: 'training' as const, network: graph.name, reps: 5, tried: 1, candidates: 1 };
for (const plan of plans) {
  for (const s of plan.schedules) {
    if (entries[s.signature] || (s.schedule.family === 'reduction' && s.schedule.level === 2) || familyOfKey(s.signature) !== s.schedule.family) continue;
    const { family, ...rest } = s.schedule as unknown as Record<string, unknown> & { family: ScheduleFamily };
    const knobs = Object.fromEntries(Object.entries(rest).filter(([k]) => knobNames(family).includes(k)));
    entries[s.signature] = { family, knobs, profile: 'cpu', ms: 1, profileMs: 1, measured } as unknown as CacheEntry;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'hrn-bench-tune-cache-'));
try {
  const key = cacheKey({ vendor: 'mesa', architecture: '', device: 'llvmpipe', description: 'llvmpipe (bench)' } as GPUAdapterInfo, 'bench');
  const path = writeTuneCache(dir, key, entries, (l) => console.error(l));
  const warnings: string[] = [];
  const read = () => {
    const t0 = performance.now();
    const cache = readTuneCache(dir, key, (l) => warnings.push(l));
    const tuned = cache ? tunedSchedulesOf(cache, device, (l) => warnings.push(l)) : new Map();
    return { ms: performance.now() - t0, size: tuned.size };
  };
  const first = read();
  const rest = Array.from({ length: rounds }, () => read().ms);
  if (warnings.length > 0) console.error(warnings.join('\n'));
  const bytes = readFileSync(path).length;
  console.log(`tuning cache read: ${first.size} schedules (${(bytes / 1024).toFixed(0)} KiB): first ${first.ms.toFixed(1)} ms, then median ${median(rest).toFixed(1)} ms of ${rounds}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
