// Limits on the source text itself (line length, tokens per statement, bracket nesting), checked
// before the parser sees it, so a small hostile file cannot make hrn run out of time or memory.
// The limit values live in ir/limits.ts (re-exported here); crossing one is an ordinary diagnostic
// at the offending text.

import type { IToken } from 'chevrotain';
import { error, type Diagnostic } from '../diagnostics.js';
import { formatLimit, LIMITS } from '../ir/limits.js';
import { isA, LBracket, LCurly, LParen, Newline, RBracket, RCurly, RParen, Semicolon } from './lexer.js';
import type { SourceText } from './spans.js';

export { formatLimit, LIMITS, networkSizeProblem, type LimitName } from '../ir/limits.js';

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

