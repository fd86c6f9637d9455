// The token types of .hrn text that the parser sees: words, keywords, literals, punctuation, and
// the abstract braces. Which of them are recognised where (the lexer's modes), and the brace and
// declaration-word variants that move between modes, are in lexer.ts.

import { createToken, Lexer, type TokenType } from 'chevrotain';

export const WhiteSpace = createToken({ name: 'WHITESPACE', pattern: /[ \t\r\f\v]+/, group: Lexer.SKIPPED });
export const Comment = createToken({ name: 'COMMENT', pattern: /#[^\n]*/, group: Lexer.SKIPPED });
export const Newline = createToken({ name: 'NEWLINE', pattern: /\n/, line_breaks: true, label: 'end of line' });

/** Plain identifiers; statement keywords are identifiers too (by category) so params may reuse them. */
export const Ident = createToken({ name: 'IDENT', pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: 'a name' });
/** Identifiers with inner dashes, only in names and pipelines: `least-critical`, `HRN-5x5x3x`. */
export const DashedIdent = createToken({
  name: 'DASHED_IDENT',
  pattern: /[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)+/,
  categories: [Ident],
  label: 'a name',
});
/** In pipelines only: a range of stages, `S2..S4` (a pass argument, like a stage name). */
export const StageRange = createToken({
  name: 'STAGE_RANGE',
  pattern: /[Ss][0-9]+\.\.[Ss]?[0-9]+/,
  categories: [Ident],
  label: 'a range of stages',
});
/** In pipelines only: a ReLU layer's name, `S2.b1.relu1` (dotted, dashes allowed in each part). */
export const LayerName = createToken({
  name: 'LAYER_NAME',
  pattern: /[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*(?:\.[A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)*)+/,
  categories: [Ident],
  label: 'a name',
});
export const NumberLit = createToken({ name: 'NUMBER', pattern: /[0-9]+(?:\.[0-9]+)?/, label: 'a number' });
/** In pipelines only: a word that starts with digits, like the factor tag `5x5x3x` or `2x`. */
export const NumberWord = createToken({
  name: 'NUMBER_WORD',
  pattern: /[0-9]+(?:\.[0-9]+)?[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*/,
  label: 'a word',
});

/**
 * The `x` of a shape (`3x32x32`, `3 x n x n`): an `x` right after a digit or `)`, or an `x` standing
 * alone as a word. `x` is therefore not usable as a parameter name; `xs`, `x1` are.
 */
export const Cross = createToken({
  name: 'CROSS',
  pattern: {
    exec(text: string, offset: number): RegExpExecArray | null {
      if (text.charCodeAt(offset) !== 120 /* x */) return null;
      const prev = offset > 0 ? text[offset - 1] : '';
      const next = offset + 1 < text.length ? text[offset + 1] : '';
      const afterNumber = /[0-9)]/.test(prev);
      const standalone = !/[A-Za-z0-9_]/.test(next);
      if (!afterNumber && !standalone) return null;
      const m = ['x'] as unknown as RegExpExecArray;
      m.index = offset;
      m.input = text;
      return m;
    },
  },
  start_chars_hint: ['x'],
  line_breaks: false,
  label: "'x'",
});

function keyword(word: string, longerAlt: TokenType): TokenType {
  return createToken({
    name: word,
    pattern: new RegExp(word),
    longer_alt: longerAlt,
    categories: [Ident],
    label: `'${word}'`,
  });
}

// Declaration keywords: recognised in every mode. Categorised as identifiers only so that the
// parser can report them clearly; they cannot name params.
export const Network = createToken({ name: 'network', pattern: Lexer.NA, label: "'network'" });
export const Pipeline = createToken({ name: 'pipeline', pattern: Lexer.NA, label: "'pipeline'" });
export const Sweep = createToken({ name: 'sweep', pattern: Lexer.NA, label: "'sweep'" });

// Statement keywords of a network body.
export const Param = keyword('param', Ident);
export const Input = keyword('input', Ident);
export const Classes = keyword('classes', Ident);
export const Kernel = keyword('kernel', Ident);
export const Stem = keyword('stem', Ident);
export const Block = keyword('block', Ident);
export const Stages = keyword('stages', Ident);
export const Head = keyword('head', Ident);
export const Criticality = keyword('criticality', Ident);
// Words with a meaning after `stages` and `stem`.
export const Depths = keyword('depths', Ident);
export const Widths = keyword('widths', Ident);
export const Channels = keyword('channels', Ident);
export const Strides = keyword('strides', Ident);
export const Stride = keyword('stride', Ident);

// Words of a sweep block that start an axis. Not names (no Ident category): a setting's name can
// then never be confused with an axis, and one token of lookahead tells the two apart.
export const Grid = createToken({ name: 'GRID', pattern: /grid/, longer_alt: Ident, label: "'grid'" });
export const List = createToken({ name: 'LIST', pattern: /list/, longer_alt: Ident, label: "'list'" });
/** `sample NAME = loguniform(0.01, 0.3)`: a value drawn per trial of a random search. */
export const Sample = createToken({ name: 'SAMPLE', pattern: /sample/, longer_alt: Ident, label: "'sample'" });

/** In sweep blocks only: a data spec or a pipeline's steps, `"cull S1; thin S2"`, on one line. */
export const StringLit = createToken({ name: 'STRING', pattern: /"[^"\n]*"/, label: 'a string' });

export const STATEMENT_KEYWORDS = [Param, Input, Classes, Kernel, Stem, Block, Stages, Head, Criticality];
export const CLAUSE_KEYWORDS = [Depths, Widths, Channels, Strides];

// Braces: one abstract type for the parser; lexer.ts has the concrete variants that move the lexer between modes.
export const LCurly = createToken({ name: 'LCURLY', pattern: Lexer.NA, label: "'{'" });
export const RCurly = createToken({ name: 'RCURLY', pattern: Lexer.NA, label: "'}'" });

export const Equals = createToken({ name: 'EQUALS', pattern: /=/, label: "'='" });
export const LParen = createToken({ name: 'LPAREN', pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: 'RPAREN', pattern: /\)/, label: "')'" });
export const LBracket = createToken({ name: 'LBRACKET', pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: 'RBRACKET', pattern: /\]/, label: "']'" });
export const Comma = createToken({ name: 'COMMA', pattern: /,/, label: "','" });
export const Semicolon = createToken({ name: 'SEMICOLON', pattern: /;/, label: "';'" });
export const Plus = createToken({ name: 'PLUS', pattern: /\+/, label: "'+'" });
export const Minus = createToken({ name: 'MINUS', pattern: /-/, label: "'-'" });
export const Star = createToken({ name: 'STAR', pattern: /\*/, label: "'*'" });
export const Slash = createToken({ name: 'SLASH', pattern: /\//, label: "'/'" });
export const Greater = createToken({ name: 'GREATER', pattern: />/, label: "'>'" });
export const Less = createToken({ name: 'LESS', pattern: /</, label: "'<'" });
