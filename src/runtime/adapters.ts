// Which WebGPU adapter to open, through Dawn's Node bindings. Dawn selects an adapter only by
// name (`create(['adapter=NAME'])` takes the first adapter whose name contains NAME) and has no
// call that lists them: the list exists only in the error Dawn gives for a name that matches none.
// So `--adapter N` lists the adapters that way and asks for the N-th by its name and backend, and
// says so when an earlier adapter of the same backend carries the same name (two identical GPUs):
// Dawn's bindings cannot reach the second one.

import { create } from 'webgpu';

/** No usable WebGPU adapter, or not the one asked for: a setup problem, with the fix in the message. */
export class DeviceError extends Error {
  override name = 'DeviceError';
}

/** An adapter as Dawn lists it; `index` is its place in that list. */
export interface ListedAdapter {
  index: number;
  backend: string;
  name: string;
}

/** A name no adapter has: Dawn then rejects the request with the list of adapters. */
const NO_ADAPTER = '\u0001hrn: list the adapters\u0001';

/**
 * The adapters in the message Dawn gives when no adapter matches a name:
 * `Available adapters:` then one ` * backend: 'vulkan', name: 'llvmpipe (...)'` line each.
 */
export function parseAdapterList(message: string): ListedAdapter[] {
  const out: ListedAdapter[] = [];
  for (const m of message.matchAll(/^ \* backend: '([^']*)', name: '(.*)'$/gm)) out.push({ index: out.length, backend: m[1], name: m[2] });
  return out;
}

/** The adapters Dawn offers (on `backend` only, when given), in Dawn's order; empty when it lists none. */
export async function listAdapters(backend?: string): Promise<ListedAdapter[]> {
  const gpu = create([`adapter=${NO_ADAPTER}`, ...(backend ? [`backend=${backend}`] : [])]);
  try {
    await gpu.requestAdapter();
    return [];
  } catch (e) {
    return parseAdapterList((e as Error).message);
  }
}

/** The list for a message: `0: 'llvmpipe (LLVM 15.0.6, 256 bits)' (vulkan), 1: ...`. */
export function describeAdapters(list: readonly ListedAdapter[]): string {
  if (list.length === 0) return 'Dawn lists no adapters';
  const n = list.length;
  return `Dawn lists ${n} adapter${n === 1 ? '' : 's'}: ${list.map((a) => `${a.index}: '${a.name}' (${a.backend})`).join(', ')}`;
}

/** Whether `--adapter` names an adapter by its place in Dawn's list rather than by name. */
export function isAdapterIndex(adapter: string): boolean {
  return /^\d+$/.test(adapter);
}

/**
 * The adapter at `index` of `list`, as a name and backend Dawn selects it by; a DeviceError when
 * there is none, or when Dawn would take an earlier adapter of that name instead.
 */
export function adapterAt(list: readonly ListedAdapter[], index: number): { name: string; backend: string } {
  const a = list[index];
  if (a === undefined) throw new DeviceError(`--adapter ${index}: there is no adapter ${index}; ${describeAdapters(list)}`);
  const first = list.find((b) => b.index < index && b.backend === a.backend && b.name.includes(a.name));
  if (first) {
    throw new DeviceError(
      `--adapter ${index}: Dawn's Node bindings select adapters by name, and adapter ${first.index} ('${first.name}') has the name of adapter ${index} ('${a.name}'), ` +
        `so only adapter ${first.index} can be opened; run one hrn per GPU with only that GPU visible to it (as a job scheduler or container does)`,
    );
  }
  return { name: a.name, backend: a.backend };
}
