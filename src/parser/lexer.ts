// The .hrn lexer. Chevrotain's multi-mode lexer lets one file hold two small languages:
//
//   top        between declarations: only `network`, `pipeline`, `sweep`, newlines and comments belong here
//   netHeader  after `network`: the name (dashes allowed, e.g. HRN-5x5x3x), then `{`
//   netBody    inside a network block: expressions, statement keywords, the shape separator `x`
//   pipeHeader after `pipeline`: the name, then `{`
//   pipeBody   inside a pipeline block: pass names and arguments, where identifiers may contain
//              dashes (`least-critical`) and words may start with digits (`5x5x3x`)
//   sweepHeader after `sweep`: the name, then `{`
//   sweepBody  inside a sweep block: settings with numbers, names, lists and "strings"
//   setText    a `--set` text: like netBody, but braces and declaration words open nothing
//   pipeText   a `--pipeline` text: likewise, like pipeBody
//   sampleText a `--sample` text: likewise, like sweepBody
//
// Every mode knows every punctuation character, so a misplaced one reaches the parser as a token
// and is reported as "unexpected ..." with the grammar's expectation, not as a bare lexer error.
// `network`, `pipeline` and `sweep` inside a block end it for the lexer (in a sweep block, `network`
// only when a `{` follows its name, since `network HRN` there is a setting), so a missing `}` costs one
// diagnostic instead of garbling the rest of the file.
//
// The token types themselves are in tokens.ts.

import { Lexer, createToken, type IToken, type TokenType } from 'chevrotain';
import {
  CLAUSE_KEYWORDS,
  Comma,
  Comment,
  Cross,
  DashedIdent,
  Equals,
  Greater,
  Grid,
  Ident,
  LBracket,
  LCurly,
  LParen,
  LayerName,
  Less,
  List,
  Minus,
  Network,
  Newline,
  NumberLit,
  NumberWord,
  Pipeline,
  Plus,
  RBracket,
  RCurly,
  RParen,
  Sample,
  STATEMENT_KEYWORDS,
  Semicolon,
  Slash,
  StageRange,
  Star,
  Stride,
  StringLit,
  Sweep,
  WhiteSpace,
} from './tokens.js';

export * from './tokens.js';

const LCurlyPlain = createToken({ name: 'LCurlyPlain', pattern: /\{/, categories: [LCurly], label: "'{'" });
const LCurlyNet = createToken({ name: 'LCurlyNet', pattern: /\{/, categories: [LCurly], pop_mode: true, push_mode: 'netBody', label: "'{'" });
const LCurlyPipe = createToken({ name: 'LCurlyPipe', pattern: /\{/, categories: [LCurly], pop_mode: true, push_mode: 'pipeBody', label: "'{'" });
const LCurlySweep = createToken({ name: 'LCurlySweep', pattern: /\{/, categories: [LCurly], pop_mode: true, push_mode: 'sweepBody', label: "'{'" });
const RCurlyPlain = createToken({ name: 'RCurlyPlain', pattern: /\}/, categories: [RCurly], label: "'}'" });
const RCurlyPop = createToken({ name: 'RCurlyPop', pattern: /\}/, categories: [RCurly], pop_mode: true, label: "'}'" });

// `network` / `pipeline` seen while inside a header or block: leave it and start the new one.
const NetworkInBlock = createToken({ name: 'NetworkInBlock', pattern: /network/, longer_alt: Ident, categories: [Network], pop_mode: true, push_mode: 'netHeader', label: "'network'" });
const PipelineInBlock = createToken({ name: 'PipelineInBlock', pattern: /pipeline/, longer_alt: Ident, categories: [Pipeline], pop_mode: true, push_mode: 'pipeHeader', label: "'pipeline'" });
const SweepInBlock = createToken({ name: 'SweepInBlock', pattern: /sweep/, longer_alt: Ident, categories: [Sweep], pop_mode: true, push_mode: 'sweepHeader', label: "'sweep'" });
// In a sweep block `network NAME` picks a network; only `network NAME {` starts a declaration.
const NetworkInSweep = createToken({
  name: 'NetworkInSweep',
  pattern: /network(?=[ \t]+[A-Za-z_][A-Za-z0-9_-]*[ \t]*(?:#[^\n]*)?\n?[ \t]*\{)/,
  categories: [Network],
  pop_mode: true,
  push_mode: 'netHeader',
  label: "'network'",
});
const NetworkAtTop = createToken({ name: 'NetworkAtTop', pattern: /network/, longer_alt: Ident, categories: [Network], push_mode: 'netHeader', label: "'network'" });
const PipelineAtTop = createToken({ name: 'PipelineAtTop', pattern: /pipeline/, longer_alt: Ident, categories: [Pipeline], push_mode: 'pipeHeader', label: "'pipeline'" });
const SweepAtTop = createToken({ name: 'SweepAtTop', pattern: /sweep/, longer_alt: Ident, categories: [Sweep], push_mode: 'sweepHeader', label: "'sweep'" });


const PUNCTUATION = [Equals, LParen, RParen, LBracket, RBracket, Comma, Semicolon, Plus, Minus, Star, Slash, Greater, Less];
const LAYOUT = [WhiteSpace, Comment, Newline];

const netBody: TokenType[] = [
  ...LAYOUT,
  NetworkInBlock,
  PipelineInBlock,
  SweepInBlock,
  ...STATEMENT_KEYWORDS,
  ...CLAUSE_KEYWORDS,
  Stride,
  Cross,
  Ident,
  NumberLit,
  LCurlyPlain,
  RCurlyPop,
  ...PUNCTUATION,
];

const pipeBody: TokenType[] = [
  ...LAYOUT,
  StageRange,
  LayerName,
  DashedIdent,
  NetworkInBlock,
  PipelineInBlock,
  SweepInBlock,
  Ident,
  NumberWord,
  NumberLit,
  LCurlyPlain,
  RCurlyPop,
  ...PUNCTUATION,
];

// Names may carry dashes (`HRN-5x5x3x`, `test-subset`); values are numbers, names, strings and lists.
const sweepBody: TokenType[] = [
  ...LAYOUT,
  DashedIdent,
  NetworkInSweep,
  PipelineInBlock,
  SweepInBlock,
  Grid,
  List,
  Sample,
  Ident,
  NumberLit,
  StringLit,
  LCurlyPlain,
  RCurlyPop,
  ...PUNCTUATION,
];

const IN_BLOCK = [NetworkInBlock, PipelineInBlock, SweepInBlock, RCurlyPop];

// Command-line texts start in a mode of their own: nothing there opens or closes blocks (the
// lexer cannot pop the only mode on its stack), so braces and declaration words are plain tokens.
const setText: TokenType[] = netBody.filter((t) => !IN_BLOCK.includes(t)).concat(RCurlyPlain);
const pipeText: TokenType[] = pipeBody.filter((t) => !IN_BLOCK.includes(t)).concat(RCurlyPlain);
// A `--sample` text is read as a sweep block's `sample` line is, so setting names keep their dashes.
const sampleText: TokenType[] = sweepBody.filter((t) => !IN_BLOCK.includes(t) && t !== NetworkInSweep).concat(RCurlyPlain);

const header = (open: TokenType): TokenType[] => [
  ...LAYOUT,
  DashedIdent,
  NetworkInBlock,
  PipelineInBlock,
  SweepInBlock,
  Ident,
  NumberLit,
  open,
  RCurlyPlain,
  ...PUNCTUATION,
];

const top: TokenType[] = [
  ...LAYOUT,
  DashedIdent,
  NetworkAtTop,
  PipelineAtTop,
  SweepAtTop,
  Ident,
  NumberLit,
  LCurlyPlain,
  RCurlyPlain,
  ...PUNCTUATION,
];

export type LexMode = 'top' | 'setText' | 'pipeText' | 'sampleText';

const hrnLexer = new Lexer(
  {
    modes: {
      top,
      netHeader: header(LCurlyNet),
      netBody,
      pipeHeader: header(LCurlyPipe),
      pipeBody,
      sweepHeader: header(LCurlySweep),
      sweepBody,
      setText,
      pipeText,
      sampleText,
    },
    defaultMode: 'top',
  },
  {
    positionTracking: 'full',
    lineTerminatorsPattern: /\n/g,
    lineTerminatorCharacters: ['\n'],
    ensureOptimizations: false,
  },
);

/** Every token type the parser may see (abstract categories included). */
export const allTokens: TokenType[] = [
  ...new Set<TokenType>([
    Newline,
    Network,
    Pipeline,
    Sweep,
    LCurly,
    RCurly,
    ...top,
    ...netBody,
    ...pipeBody,
    ...sweepBody,
    ...header(LCurlyNet),
    ...header(LCurlyPipe),
    ...header(LCurlySweep),
  ]),
].filter((t) => t !== WhiteSpace && t !== Comment);

export interface LexError {
  offset: number;
  line: number;
  column: number;
  length: number;
  text: string;
}

export interface LexResult {
  tokens: IToken[];
  errors: LexError[];
}

/**
 * Tokenizes and normalizes the layout:
 * - newlines inside `(...)` and `[...]` are dropped, so lists may span lines;
 * - runs of newlines collapse into one, and newlines right after `{` or `;` or at the start vanish;
 * - an end of line is inserted before every `}` so the last statement of a block needs no
 *   separator (`network N { classes 10 }` is fine).
 * The grammar therefore sees at most one NEWLINE in a row, which keeps its lookahead small.
 */
export function tokenize(text: string, mode: LexMode, finalNewline = true): LexResult {
  const res = hrnLexer.tokenize(text, mode);
  const errors: LexError[] = res.errors.map((e) => ({
    offset: e.offset,
    line: e.line ?? 1,
    column: e.column ?? 1,
    length: e.length,
    text: text.substr(e.offset, e.length),
  }));
  const out: IToken[] = [];
  let depth = 0;
  const toks = res.tokens;
  for (let i = 0; i < toks.length; i++) {
    const tok = toks[i];
    const t = tok.tokenType;
    if (t === LParen || t === LBracket) depth++;
    else if ((t === RParen || t === RBracket) && depth > 0) depth--;
    else if (isA(tok, Network) || isA(tok, Pipeline) || isA(tok, Sweep) || isA(tok, LCurly) || isA(tok, RCurly)) depth = 0;
    if (t === Newline) {
      // Inside brackets a newline is layout, unless the next line starts a statement or closes
      // the block: then the bracket was left open by mistake, and keeping the line break limits
      // the damage (and puts the error at the end of the line that lacks the bracket).
      if (depth > 0) {
        const next = toks[i + 1];
        const opensNext =
          next !== undefined && (STATEMENT_KEYWORDS.includes(next.tokenType) || isA(next, RCurly) || isA(next, Network) || isA(next, Pipeline) || isA(next, Sweep));
        if (!opensNext) continue;
        depth = 0;
      }
      const prev = out[out.length - 1];
      if (prev === undefined || prev.tokenType === Newline || prev.tokenType === Semicolon || isA(prev, LCurly)) continue;
      out.push(tok);
      continue;
    }
    if (isA(tok, RCurly)) {
      const prev = out[out.length - 1];
      if (prev !== undefined && prev.tokenType !== Newline && prev.tokenType !== Semicolon && !isA(prev, LCurly)) {
        out.push(syntheticNewline(tok, 'brace'));
      }
    }
    out.push(tok);
  }
  // The last statement of a file or command-line pipeline needs no end of line either.
  const last = out[out.length - 1];
  if (finalNewline && last !== undefined && last.tokenType !== Newline && last.tokenType !== Semicolon && !isA(last, LCurly)) {
    out.push(syntheticNewlineAfter(last));
  }
  return { tokens: out, errors };
}

export function isA(tok: IToken, type: TokenType): boolean {
  const t = tok.tokenType;
  if (t === type) return true;
  const cats = (t as { CATEGORIES?: TokenType[] }).CATEGORIES;
  return cats !== undefined && cats.includes(type);
}

export type SyntheticKind = 'brace' | 'end';

/** For an end of line the lexer implied: what actually stands there. */
export function syntheticKind(tok: IToken): SyntheticKind | undefined {
  return (tok as { synthetic?: SyntheticKind }).synthetic;
}

function syntheticNewlineAfter(tok: IToken): IToken {
  const end = tok.endOffset ?? tok.startOffset;
  return {
    ...syntheticNewline(tok, 'end'),
    startOffset: end + 1,
    endOffset: end,
    startLine: tok.endLine,
    endLine: tok.endLine,
    startColumn: (tok.endColumn ?? 0) + 1,
    endColumn: tok.endColumn,
  };
}

/** A zero-width end of line placed just before `at`; marked so spans ignore it. */
function syntheticNewline(at: IToken, kind: SyntheticKind): IToken {
  return {
    image: '',
    startOffset: at.startOffset,
    endOffset: at.startOffset - 1,
    startLine: at.startLine,
    endLine: at.startLine,
    startColumn: at.startColumn,
    endColumn: (at.startColumn ?? 1) - 1,
    tokenTypeIdx: Newline.tokenTypeIdx!,
    tokenType: Newline,
    isInsertedInRecovery: false,
    // not a character of the source: the end of line implied by a `}` or by the end of the text
    synthetic: kind,
  } as IToken & { synthetic: SyntheticKind };
}

/** Tokens with a lexical production of their own in grammar/hrn.ebnf (the rest are literals). */
export const LEXICAL_TOKENS: TokenType[] = [WhiteSpace, Comment, Newline, Ident, DashedIdent, LayerName, StageRange, NumberLit, NumberWord, StringLit, Cross];
