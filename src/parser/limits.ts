// The language's resource limits, stated once. Each is checked before any work that grows with it
// (reading, lexing, parsing, lowering, counting), so a small hostile file cannot make hrn run out of
// time or memory; crossing one is an ordinary diagnostic at the offending text. docs/language.md
// lists them for users. They sit far above any network the paper or a private-inference system
// would use (ResNet-1001 has 333 blocks per stage; WRN-28-10 has 640 channels).

import type { IToken } from 'chevrotain';
import { error, MAX_DIAGNOSTICS, type Diagnostic } from '../diagnostics.js';
import { isA, LBracket, LCurly, LParen, Newline, RBracket, RCurly, RParen, Semicolon } from './lexer.js';
import type { SourceText } from './spans.js';
import type { ArchIR } from '../ir/arch.js';
import { countGraph } from '../ir/count.js';
import { lowerToGraph } from '../ir/lower.js';

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
  /** Diagnostics reported for one command; the rest are counted, not shown. */
  diagnostics: MAX_DIAGNOSTICS,
});

export type LimitName = keyof typeof LIMITS;

/** `1,000` / `1e+10`: how a limit reads in a message. */
export function formatLimit(v: number): string {
  return v >= 1e9 ? v.toExponential(0).replace('e+', 'e') : v.toLocaleString('en-US');
}

/** A count in a message: `80,000`, or `8.25e11` when large. */
function formatCount(v: number): string {
  return v >= 1e9 ? v.toPrecision(3).replace('e+', 'e') : v.toLocaleString('en-US');
}

// ---- limits on the text itself, checked before the parser sees it -------------------------------


/** The first line longer than LIMITS.lineLength, as a diagnostic at its first character past the limit. */
export function lineLengthProblem(src: SourceText): Diagnostic | undefined {
  const text = src.text;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const len = end - start - (text.charCodeAt(end - 1) === 13 ? 1 : 0);
    if (len > LIMITS.lineLength) {
      const at = start + LIMITS.lineLength;
      return error(src.span(at, at), `line is ${formatLimit(len)} characters long; lines are limited to ${formatLimit(LIMITS.lineLength)}`);
    }
    start = end + 1;
  }
  return undefined;
}

/**
 * Nesting deeper than LIMITS.nesting, or a statement of more than LIMITS.statementTokens tokens,
 * found on the token stream (so before the parser, whose rules recurse on nesting, and before the
 * AST, whose expressions nest as deep as a statement is long).
 */
export function tokenLimitProblem(src: SourceText, tokens: readonly IToken[]): Diagnostic | undefined {
  let depth = 0;
  let count = 0;
  for (const tok of tokens) {
    const t = tok.tokenType;
    if (t === Newline || t === Semicolon || isA(tok, LCurly) || isA(tok, RCurly)) {
      count = 0;
      continue;
    }
    if (++count > LIMITS.statementTokens) {
      return error(src.tokenSpan(tok), `statement is longer than ${formatLimit(LIMITS.statementTokens)} tokens; split it or use a param`);
    }
    if (t === LParen || t === LBracket) {
      if (++depth > LIMITS.nesting) {
        return error(src.tokenSpan(tok), `brackets nest deeper than ${LIMITS.nesting} levels`);
      }
    } else if ((t === RParen || t === RBracket) && depth > 0) depth--;
  }
  return undefined;
}

// ---- limits on a network, checked on every network the language or a pass produces -------------

/**
 * Why `arch` is over a limit, or undefined. The structural limits are checked first, so that the
 * totals (which need the lowered graph) are only computed for a network of bounded size.
 */
export function networkSizeProblem(arch: ArchIR): string | undefined {
  const over = (what: string, v: number, max: number) => (v > max ? `${what} is ${formatCount(v)}, above the limit of ${formatLimit(max)}` : undefined);
  const expansion = arch.block === 'bottleneck' ? 4 : 1;
  const structural = [
    over('the number of stages', arch.stages.length, LIMITS.stages),
    over('the number of blocks', arch.stages.reduce((a, s) => a + s.depth, 0), LIMITS.totalDepth),
    over('the stem channels', arch.stem.channels, LIMITS.channels),
    ...arch.stages.map((s) => over(`the depth of stage ${s.name}`, s.depth, LIMITS.stageDepth)),
    ...arch.stages.map((s) => over(`the output channels of stage ${s.name}`, s.channels * expansion, LIMITS.channels)),
  ].find((p) => p !== undefined);
  if (structural !== undefined) return `${arch.name}: ${structural}`;
  const total = countGraph(lowerToGraph(arch)).total;
  const totals = [over('its ReLU count', total.relus, LIMITS.relus), over('its FLOP count', total.flops, LIMITS.flops), over('its parameter count', total.params, LIMITS.params)];
  const t = totals.find((p) => p !== undefined);
  return t === undefined ? undefined : `${arch.name}: ${t}`;
}
