// What every rule of the .hrn parser (parser.ts) leans on: the cap on syntax errors, and the shapes
// that several rules share (a braced declaration, separated items, a bracketed list).

import { CstParser, type CstNode, type IRecognitionException, type ParserMethod, type TokenType } from 'chevrotain';
import { Comma, Ident, LBracket, LCurly, Newline, RBracket, RCurly } from './lexer.js';

/** More syntax errors than anyone reads: the parse stops (see `HrnParserBase.SAVE_ERROR`). */
export const MAX_SYNTAX_ERRORS = 100;

export class TooManySyntaxErrors extends Error {
  constructor() {
    super(`more than ${MAX_SYNTAX_ERRORS} syntax errors`);
    this.name = 'TooManySyntaxErrors';
  }
}

type SaveError = (this: unknown, e: IRecognitionException) => IRecognitionException;
const baseSaveError = (CstParser.prototype as unknown as { SAVE_ERROR: SaveError }).SAVE_ERROR;

export abstract class HrnParserBase extends CstParser {
  /** A line's end or a `;`: the rule that ends each item of a braced declaration. */
  protected abstract readonly separator: ParserMethod<[], CstNode>;

  /**
   * Chevrotain records every error here. Recovery at the top level looks ahead for a place to
   * resume, which costs up to the rest of the input per error; on a file that is not .hrn at all
   * (a binary, a script) that would make a long file quadratic. So the parse stops once there are
   * more errors than a person would read. (Not part of chevrotain's typed API, but stable in 11.x.)
   */
  SAVE_ERROR(e: IRecognitionException): IRecognitionException {
    const saved = baseSaveError.call(this, e);
    if (this.errors.length > MAX_SYNTAX_ERRORS) throw new TooManySyntaxErrors();
    return saved;
  }

  // Shared rule shapes. These are plain methods, not rules: chevrotain records their DSL calls
  // inline in each rule that calls them, so the recorded grammar (and the diagrams) are as if
  // written out, and each calling rule keeps its own error recovery (skip to the next line, go on).

  /** `KEYWORD name {` items `}`; the `{` may be on the next line. */
  protected bracedDecl(keyword: TokenType, item: ParserMethod<[], CstNode>): void {
    this.CONSUME(keyword);
    this.CONSUME(Ident, { LABEL: 'name' });
    this.OPTION(() => this.CONSUME(Newline));
    this.CONSUME(LCurly);
    this.separatedItems(item);
    this.CONSUME(RCurly);
  }

  /** Any number of `item`s, each ended by a separator; blank lines and stray `;` allowed. */
  protected separatedItems(item: ParserMethod<[], CstNode>): void {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.separator) },
        {
          ALT: () => {
            this.SUBRULE(item);
            this.SUBRULE2(this.separator);
          },
        },
      ]);
    });
  }

  /** `[a, b, c]` of `item`s (labelled `item`), a trailing comma allowed. */
  protected bracketed(item: ParserMethod<[], CstNode>): void {
    this.CONSUME(LBracket);
    this.OPTION(() => {
      this.SUBRULE(item, { LABEL: 'item' });
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE2(item, { LABEL: 'item' });
      });
      this.OPTION2(() => this.CONSUME2(Comma));
    });
    this.CONSUME(RBracket);
  }

  /** Exactly one of `tokens`, under one label. */
  protected consumeOneOf(tokens: TokenType[], LABEL: string): void {
    this.OR(tokens.map((t) => ({ ALT: () => this.CONSUME(t, { LABEL }) })));
  }
}
