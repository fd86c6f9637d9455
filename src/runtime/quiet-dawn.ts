// Dawn prints two warnings on every adapter request on Mesa lavapipe (its Vulkan driver reports
// a million dynamic buffers per pipeline layout and Dawn clamps that to 16). They say nothing the
// user can act on, and Dawn writes them from native code straight to file descriptor 2, where no
// JavaScript hook sees them. So while the adapter is requested, descriptor 2 points at a temporary
// file; afterwards it points back at the original stderr, and everything captured except exactly
// those two lines is written there. Where this cannot be done safely (not Linux, stderr not
// reopenable) Dawn's output passes through untouched. HRN_DAWN_WARNINGS=1 turns the filter off.

import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The two warnings, whole lines only; anything else Dawn prints is kept. */
export const KNOWN_HARMLESS_DAWN_WARNINGS: readonly RegExp[] = [
  /^Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/,
  /^Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/,
];

/** `text` without the lines matching a known harmless warning. */
export function dropHarmlessDawnWarnings(text: string): string {
  return text
    .split(/(?<=\n)/)
    .filter((line) => !KNOWN_HARMLESS_DAWN_WARNINGS.some((re) => re.test(line.replace(/\r?\n$/, ''))))
    .join('');
}

let active = false;

/** Runs `call` with native writes to stderr captured, then forwards them minus the known warnings. */
export async function withDawnWarningsFiltered<T>(call: () => Promise<T>): Promise<T> {
  const capture = active || process.env.HRN_DAWN_WARNINGS === '1' ? undefined : captureStderr();
  if (!capture) return call();
  active = true;
  try {
    return await call();
  } finally {
    active = false;
    const text = capture.restore();
    const kept = dropHarmlessDawnWarnings(text);
    if (kept.length > 0) writeSync(2, kept);
  }
}

interface Capture {
  /** Points descriptor 2 back at the original stderr; returns what was written meanwhile. */
  restore(): string;
}

function captureStderr(): Capture | undefined {
  if (process.platform !== 'linux') return undefined;
  // Node sets up its stderr stream on first use from what descriptor 2 is; make sure that has
  // happened while it is still the real one.
  void process.stderr.isTTY;
  let original: number;
  try {
    // A second description of the same terminal, pipe or file ('a': a file is appended to, never
    // truncated), to reopen descriptor 2 from later.
    original = openSync('/proc/self/fd/2', 'a');
  } catch {
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'hrn-dawn-'));
  const file = join(dir, 'stderr');
  const back = (): void => {
    // The lowest free descriptor is 2 right after closing it.
    closeSync(2);
    const fd = openSync(`/proc/self/fd/${original}`, 'a');
    if (fd !== 2) closeSync(fd);
    closeSync(original);
  };
  closeSync(2);
  const fd = openSync(file, 'w+');
  if (fd !== 2) {
    // Something else took descriptor 2 in between: give up capturing, put stderr back.
    closeSync(fd);
    const again = openSync(`/proc/self/fd/${original}`, 'a');
    if (again !== 2) closeSync(again);
    closeSync(original);
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return {
    restore() {
      back();
      const text = readFileSync(file, 'utf8');
      rmSync(dir, { recursive: true, force: true });
      return text;
    },
  };
}
