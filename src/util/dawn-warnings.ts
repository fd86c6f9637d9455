// Dawn prints two warnings every time an adapter is requested on Mesa lavapipe (its Vulkan driver
// reports a million dynamic buffers per pipeline layout, and Dawn clamps that to 16). Nothing in
// them is for the user. Dawn writes them from native code straight to file descriptor 2, so they
// can only be dropped by whoever reads that descriptor: hrn's process supervisor (cli/supervise.ts)
// and the sweep worker, which read their children's stderr through pipes. Nothing else is dropped.

/** The two warnings, whole lines only; anything else Dawn prints is kept. */
export const KNOWN_HARMLESS_DAWN_WARNINGS: readonly RegExp[] = [
  /^Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/,
  /^Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/,
];

function isHarmless(line: string): boolean {
  const bare = line.replace(/\r?\n$/, '');
  return KNOWN_HARMLESS_DAWN_WARNINGS.some((re) => re.test(bare));
}

/** `text` without the lines matching a known harmless warning. */
export function dropHarmlessDawnWarnings(text: string): string {
  return text
    .split(/(?<=\n)/)
    .filter((line) => !isHarmless(line))
    .join('');
}

/**
 * The same filter over a stream that arrives in chunks: whole lines pass as soon as their newline
 * arrives, a partial line waits for the rest (a warning may be split across two reads), and `end`
 * hands back whatever is left.
 */
export class DawnWarningFilter {
  private pending = '';

  push(chunk: string): string {
    const text = this.pending + chunk;
    const cut = text.lastIndexOf('\n') + 1;
    this.pending = text.slice(cut);
    return dropHarmlessDawnWarnings(text.slice(0, cut));
  }

  end(): string {
    const rest = this.pending;
    this.pending = '';
    return isHarmless(rest) ? '' : rest;
  }
}
