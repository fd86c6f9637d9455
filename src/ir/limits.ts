// The language's resource limits, stated once, and the check of a whole network against them.
// The parser checks each value as it reads it; passes that reshape a network check their result,
// so no pass can grow a network past what a source file could declare. docs/language.md lists them.

import { MAX_DIAGNOSTICS } from '../diagnostics.js';
import { stageOutChannels, type ArchIR } from './arch.js';
import { countGraph } from './count.js';
import { lowerToGraph } from './lower.js';

export const LIMITS = Object.freeze({
  /** Bytes in a source file. */
  fileBytes: 1_000_000,
  /** Characters in one line of source (or one command-line text). */
  lineLength: 4_096,
  /** Tokens in one statement or pipeline step (a list may span lines, so this is not implied by the line limit). */
  statementTokens: 2_000,
  /** Open `(` and `[` at any point. */
  nesting: 32,
  /** Stages in a network. */
  stages: 64,
  /** Blocks in one stage. */
  stageDepth: 1_000,
  /** Blocks in the whole network. */
  totalDepth: 4_000,
  /** Channels of any layer: the stem, a stage, a block's expanded output, the input. */
  channels: 65_536,
  /** Height or width of the input image. */
  inputSide: 8_192,
  /** Output classes. */
  classes: 1_000_000,
  /** Side of a convolution kernel. */
  kernel: 31,
  /** Stride of the stem or a stage. */
  stride: 64,
  /** ReLUs in the whole network (one image). */
  relus: 1e10,
  /** FLOPs of one forward pass (one image). */
  flops: 1e14,
  /** Trainable parameters. */
  params: 1e10,
  /**
   * Networks in a family after any pipeline step. Passes such as `deepreshape` and `equalize width`
   * turn one network into several, so a pipeline that repeats them grows the family geometrically.
   */
  family: 256,
  /**
   * Runs in one sweep (networks x axis values x pipelines x seeds, each family member a run). Each
   * run is a training, and checking or expanding a sweep builds every run's network, so a grid
   * written too large must be refused before that work starts.
   */
  sweepRuns: 1_000,
  /** Diagnostics reported for one command; the rest are counted, not shown. */
  diagnostics: MAX_DIAGNOSTICS,
});

export type LimitName = keyof typeof LIMITS;

/** `1,000` / `1e+10`: how a limit reads in a message. */
export function formatLimit(v: number): string {
  return v >= 1e9 ? v.toExponential(0).replace('e+', 'e') : v.toLocaleString('en-US');
}

/** A count in a message: `80,000`, or `8.25e11` when large. */
export function formatCount(v: number): string {
  return v >= 1e9 ? v.toPrecision(3).replace('e+', 'e') : v.toLocaleString('en-US');
}

/**
 * Why `arch` is over a limit, or undefined. The structural limits are checked first, so that the
 * totals (which need the lowered graph) are only computed for a network of bounded size.
 */
export function networkSizeProblem(arch: ArchIR): string | undefined {
  const over = (what: string, v: number, max: number) => (v > max ? `${what} is ${formatCount(v)}, above the limit of ${formatLimit(max)}` : undefined);
  const structural = [
    over('the number of stages', arch.stages.length, LIMITS.stages),
    over('the number of blocks', arch.stages.reduce((a, s) => a + s.depth, 0), LIMITS.totalDepth),
    over('the stem channels', arch.stem.channels, LIMITS.channels),
    ...arch.stages.map((s) => over(`the depth of stage ${s.name}`, s.depth, LIMITS.stageDepth)),
    ...arch.stages.map((s) => over(`the output channels of stage ${s.name}`, stageOutChannels(arch, s), LIMITS.channels)),
  ].find((p) => p !== undefined);
  if (structural !== undefined) return `${arch.name}: ${structural}`;
  const total = countGraph(lowerToGraph(arch)).total;
  const totals = [over('its ReLU count', total.relus, LIMITS.relus), over('its FLOP count', total.flops, LIMITS.flops), over('its parameter count', total.params, LIMITS.params)];
  const t = totals.find((p) => p !== undefined);
  return t === undefined ? undefined : `${arch.name}: ${t}`;
}
