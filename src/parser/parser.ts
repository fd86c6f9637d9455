// The .hrn grammar as a chevrotain CstParser. Rule names here are the production names of
// grammar/hrn.ebnf (a test keeps the two in step). Error recovery is on: a failed statement is
// skipped up to the next end of line, so one run reports every syntax error of a file, each in the
// words of syntax-messages.ts.

import {
  allTokens,
  Block,
  Channels,
  Classes,
  Comma,
  Criticality,
  Cross,
  Depths,
  Equals,
  Greater,
  Grid,
  Head,
  Ident,
  Input,
  Kernel,
  Less,
  List,
  LParen,
  Minus,
  Network,
  Newline,
  NumberLit,
  NumberWord,
  Param,
  Pipeline,
  Plus,
  RParen,
  Sample,
  Semicolon,
  Slash,
  Stages,
  Star,
  Stem,
  Stride,
  Strides,
  StringLit,
  Sweep,
  Widths,
  CLAUSE_KEYWORDS,
} from './lexer.js';
import { HrnParserBase } from './parser-base.js';
import { messages } from './syntax-messages.js';

export { MAX_SYNTAX_ERRORS, TooManySyntaxErrors } from './parser-base.js';

export class HrnParser extends HrnParserBase {
  constructor() {
    super(allTokens, {
      recoveryEnabled: true,
      maxLookahead: 3,
      errorMessageProvider: messages,
    });
    this.performSelfAnalysis();
  }

  /** A file: any number of network, pipeline and sweep declarations. */
  hrnFile = this.RULE('hrnFile', () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(Newline) },
        { ALT: () => this.SUBRULE(this.networkDecl) },
        { ALT: () => this.SUBRULE(this.pipelineDecl) },
        { ALT: () => this.SUBRULE(this.sweepDecl) },
      ]);
    });
  });

  networkDecl = this.RULE('networkDecl', () => this.bracedDecl(Network, this.statement));

  /** Statements and pipeline steps end at a new line or a `;` (a `}` implies one). */
  separator = this.RULE('separator', () => {
    this.OR([{ ALT: () => this.CONSUME(Newline) }, { ALT: () => this.CONSUME(Semicolon) }]);
  });

  statement = this.RULE('statement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.paramStmt) },
      { ALT: () => this.SUBRULE(this.inputStmt) },
      { ALT: () => this.SUBRULE(this.classesStmt) },
      { ALT: () => this.SUBRULE(this.kernelStmt) },
      { ALT: () => this.SUBRULE(this.stemStmt) },
      { ALT: () => this.SUBRULE(this.blockStmt) },
      { ALT: () => this.SUBRULE(this.stagesStmt) },
      { ALT: () => this.SUBRULE(this.headStmt) },
      { ALT: () => this.SUBRULE(this.criticalityStmt) },
    ]);
  });

  paramStmt = this.RULE('paramStmt', () => {
    this.CONSUME(Param);
    this.CONSUME(Ident, { LABEL: 'name' });
    this.CONSUME(Equals);
    this.SUBRULE(this.expression);
  });

  inputStmt = this.RULE('inputStmt', () => {
    this.CONSUME(Input);
    this.SUBRULE(this.expression, { LABEL: 'dim' });
    this.CONSUME(Cross);
    this.SUBRULE2(this.expression, { LABEL: 'dim' });
    this.CONSUME2(Cross);
    this.SUBRULE3(this.expression, { LABEL: 'dim' });
  });

  classesStmt = this.RULE('classesStmt', () => {
    this.CONSUME(Classes);
    this.SUBRULE(this.expression);
  });

  kernelStmt = this.RULE('kernelStmt', () => {
    this.CONSUME(Kernel);
    this.SUBRULE(this.expression);
  });

  stemStmt = this.RULE('stemStmt', () => {
    this.CONSUME(Stem);
    this.CONSUME(Ident, { LABEL: 'conv' });
    this.CONSUME(LParen);
    this.SUBRULE(this.expression, { LABEL: 'channelCount' });
    this.CONSUME(RParen);
    this.OPTION(() => {
      this.OPTION2(() => this.CONSUME(Comma));
      this.CONSUME(Stride);
      this.SUBRULE2(this.expression, { LABEL: 'strideValue' });
    });
    // `, maxpool3x3, stride 2`: the ImageNet stem's pooling after the convolution.
    this.OPTION3(() => {
      this.OPTION4(() => this.CONSUME2(Comma));
      this.CONSUME2(Ident, { LABEL: 'pool' });
      this.OPTION5(() => {
        this.OPTION6(() => this.CONSUME3(Comma));
        this.CONSUME2(Stride);
        this.SUBRULE3(this.expression, { LABEL: 'poolStride' });
      });
    });
  });

  blockStmt = this.RULE('blockStmt', () => {
    this.CONSUME(Block);
    this.CONSUME(Ident, { LABEL: 'kind' });
    // `block bottleneck groups 8 expansion 2`: options of the block kind, each with its value.
    this.MANY(() => {
      this.CONSUME2(Ident, { LABEL: 'option' });
      this.SUBRULE(this.expression, { LABEL: 'optionValue' });
    });
  });

  /** Clauses may continue on the following lines: a line that starts with a clause word. */
  stagesStmt = this.RULE('stagesStmt', () => {
    this.CONSUME(Stages);
    this.SUBRULE(this.stageClause);
    // Lookahead is computed within a rule, so it cannot tell a continuation line from the next
    // statement by itself: the gate looks past the end of line for a clause word.
    this.MANY({
      GATE: () => this.LA(1).tokenType !== Newline || CLAUSE_KEYWORDS.includes(this.LA(2).tokenType),
      DEF: () => {
        this.OPTION(() => this.CONSUME(Newline));
        this.SUBRULE2(this.stageClause);
      },
    });
  });

  stageClause = this.RULE('stageClause', () => {
    this.consumeOneOf([Depths, Widths, Channels, Strides], 'clause');
    this.SUBRULE(this.expression);
  });

  headStmt = this.RULE('headStmt', () => {
    this.CONSUME(Head);
    this.AT_LEAST_ONE(() => this.SUBRULE(this.headItem, { LABEL: 'item' }));
  });

  /** `avgpool`, `maxpool`, `fc`, or a hidden layer with its width: `fc(4096)`. */
  headItem = this.RULE('headItem', () => {
    this.CONSUME(Ident, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(LParen);
      this.SUBRULE(this.expression, { LABEL: 'size' });
      this.CONSUME(RParen);
    });
  });

  criticalityStmt = this.RULE('criticalityStmt', () => {
    this.CONSUME(Criticality);
    this.CONSUME(Ident, { LABEL: 'stage' });
    this.MANY(() => {
      this.CONSUME(Greater);
      this.CONSUME2(Ident, { LABEL: 'stage' });
    });
  });

  /** Sums and differences of terms. */
  expression = this.RULE('expression', () => {
    this.SUBRULE(this.term, { LABEL: 'operand' });
    this.MANY(() => {
      this.consumeOneOf([Plus, Minus], 'op');
      this.SUBRULE2(this.term, { LABEL: 'operand' });
    });
  });

  /** Products and quotients of factors. */
  term = this.RULE('term', () => {
    this.SUBRULE(this.factor, { LABEL: 'operand' });
    this.MANY(() => {
      this.consumeOneOf([Star, Slash], 'op');
      this.SUBRULE2(this.factor, { LABEL: 'operand' });
    });
  });

  factor = this.RULE('factor', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(Minus);
          this.SUBRULE(this.factor);
        },
      },
      { ALT: () => this.SUBRULE(this.primary) },
    ]);
  });

  primary = this.RULE('primary', () => {
    this.OR([
      { ALT: () => this.CONSUME(NumberLit) },
      { ALT: () => this.CONSUME(Ident) },
      {
        ALT: () => {
          this.CONSUME(LParen);
          this.SUBRULE(this.expression);
          this.CONSUME(RParen);
        },
      },
      { ALT: () => this.SUBRULE(this.list) },
    ]);
  });

  /** `[a, b, c]`, a trailing comma allowed; lists may span lines. */
  list = this.RULE('list', () => this.bracketed(this.expression));

  pipelineDecl = this.RULE('pipelineDecl', () => this.bracedDecl(Pipeline, this.pipelineStep));

  /** The steps of a `--pipeline` command-line text: a pipeline body without braces. */
  pipelineText = this.RULE('pipelineText', () => this.separatedItems(this.pipelineStep));

  /** A pass name and its arguments; the parser does not know what passes exist. */
  pipelineStep = this.RULE('pipelineStep', () => {
    this.CONSUME(Ident, { LABEL: 'pass' });
    this.MANY(() => this.SUBRULE(this.stepArgument));
  });

  /** One argument: words and numbers joined by `>`, `<`, `=` or `/` (`S3>S2>S4>S1`, `last<4`, `scale=1/2`). */
  stepArgument = this.RULE('stepArgument', () => {
    this.SUBRULE(this.stepAtom);
    this.MANY(() => {
      this.consumeOneOf([Greater, Less, Equals, Slash], 'connector');
      this.SUBRULE2(this.stepAtom);
    });
  });

  stepAtom = this.RULE('stepAtom', () => this.consumeOneOf([Ident, NumberLit, NumberWord], 'atom'));

  sweepDecl = this.RULE('sweepDecl', () => this.bracedDecl(Sweep, this.sweepStmt));

  sweepStmt = this.RULE('sweepStmt', () => {
    this.OR([{ ALT: () => this.SUBRULE(this.sweepAxis) }, { ALT: () => this.SUBRULE(this.sweepSample) }, { ALT: () => this.SUBRULE(this.sweepSetting) }]);
  });

  /** `sample lr = loguniform(0.01, 0.3)`: a value drawn for each trial of a random search. */
  sweepSample = this.RULE('sweepSample', () => {
    this.CONSUME(Sample);
    this.CONSUME(Ident, { LABEL: 'param' });
    this.CONSUME(Equals);
    this.SUBRULE(this.sampleValue);
  });

  /** A distribution, or a list whose entries are distributions or fixed values (`[int(2, 6), 6, 2]`). */
  sampleValue = this.RULE('sampleValue', () => {
    this.OR([{ ALT: () => this.SUBRULE(this.distribution) }, { ALT: () => this.SUBRULE(this.sampleList) }]);
  });

  sampleList = this.RULE('sampleList', () => this.bracketed(this.sampleItem));

  sampleItem = this.RULE('sampleItem', () => {
    this.OR([{ ALT: () => this.SUBRULE(this.distribution) }, { ALT: () => this.SUBRULE(this.expression) }]);
  });

  /** `uniform(0, 1)`, `choice([6,6,2], [4,6,2])`: the name and its arguments are checked when resolved. */
  distribution = this.RULE('distribution', () => {
    this.CONSUME(Ident, { LABEL: 'name' });
    this.CONSUME(LParen);
    this.OPTION(() => {
      this.SUBRULE(this.expression, { LABEL: 'arg' });
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE2(this.expression, { LABEL: 'arg' });
      });
    });
    this.CONSUME(RParen);
  });

  /** `--sample NAME=DISTRIBUTION`: a sweep block's `sample` line without the keyword. */
  sampleText = this.RULE('sampleText', () => {
    this.CONSUME(Ident, { LABEL: 'param' });
    this.CONSUME(Equals);
    this.SUBRULE(this.sampleValue);
  });

  /** `grid m = [2, 4]`: a param over values, each an expression as `--set` takes it. */
  sweepAxis = this.RULE('sweepAxis', () => {
    this.consumeOneOf([Grid, List], 'mode');
    this.CONSUME(Ident, { LABEL: 'param' });
    this.CONSUME(Equals);
    this.SUBRULE(this.list);
  });

  /** `epochs 2`, `network HRN`, `data "KIND:DIR"`, `pipelines [none, "cull S1"]`: checked when resolved. */
  sweepSetting = this.RULE('sweepSetting', () => {
    this.CONSUME(Ident, { LABEL: 'setting' });
    this.SUBRULE(this.sweepValue);
  });

  sweepValue = this.RULE('sweepValue', () => {
    this.OR([
      { ALT: () => this.CONSUME(NumberLit) },
      { ALT: () => this.CONSUME(Ident) },
      { ALT: () => this.CONSUME(StringLit) },
      { ALT: () => this.SUBRULE(this.sweepList) },
    ]);
  });

  sweepList = this.RULE('sweepList', () => this.bracketed(this.sweepValue));

  /** `--set NAME=VALUE`. */
  override = this.RULE('override', () => {
    this.CONSUME(Ident, { LABEL: 'name' });
    this.CONSUME(Equals);
    this.SUBRULE(this.overrideValue);
  });

  /** The value of an override on its own (re-read when an override carries no parsed value). */
  overrideValue = this.RULE('overrideValue', () => {
    this.SUBRULE(this.expression);
  });
}

let instance: HrnParser | undefined;

/** The parser is built once (grammar analysis is not free) and reused. */
export function hrnParser(): HrnParser {
  instance ??= new HrnParser();
  return instance;
}
