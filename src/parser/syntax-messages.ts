// What a syntax error says: chevrotain's messages replaced by ones in the language of the .hrn
// file (what was expected, in words, and what stands there instead), for the parser in parser.ts.

import { EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from 'chevrotain';
import { Cross, Ident, isA, Network, Newline, Pipeline, RCurly, STATEMENT_KEYWORDS, Sweep, syntheticKind } from './lexer.js';

/** How a token is named in messages. */
function describeToken(tok: IToken): string {
  if (tok.tokenType === EOF) return 'end of input';
  if (tok.tokenType === Newline) {
    const implied = syntheticKind(tok);
    return implied === 'brace' ? "'}'" : implied === 'end' ? 'end of input' : 'end of line';
  }
  return `'${tok.image}'`;
}

function label(t: TokenType): string {
  if (t === EOF) return 'end of input';
  return t.LABEL ?? t.name;
}

function oneOf(items: string[]): string {
  const uniq = [...new Set(items)];
  if (uniq.length <= 1) return uniq[0] ?? 'something else';
  return `${uniq.slice(0, -1).join(', ')} or ${uniq[uniq.length - 1]}`;
}

const STATEMENT_WORDS = STATEMENT_KEYWORDS.map((k) => k.name);

function unknownStatement(tok: IToken): string {
  return `unknown statement ${describeToken(tok)}; expected one of ${oneOf(STATEMENT_WORDS)}`;
}

/** A token after everything the start rule could read. */
function redundant(tok: IToken, ruleName: string): string {
  if (ruleName === 'hrnFile') return `unexpected ${describeToken(tok)}; expected 'network', 'pipeline' or 'sweep'`;
  if (ruleName === 'pipelineText') return `unexpected ${describeToken(tok)} in the pipeline; expected a pass name`;
  return `unexpected ${describeToken(tok)} after the value`;
}

const VALUE_EXPECTED = "a value (a number, a parameter name, '(' or '[')";

/** The parser's error messages. */
export const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, ruleName }) {
    if (expected === EOF) return redundant(actual, ruleName);
    if (expected === RCurly && (isA(actual, Network) || isA(actual, Pipeline) || isA(actual, Sweep))) {
      return `expected '}' before ${describeToken(actual)}: the block above is not closed`;
    }
    if (ruleName === 'networkDecl' && expected === RCurly && actual.tokenType !== EOF) {
      return isIdentLike(actual) ? unknownStatement(actual) : `expected a statement or '}', found ${describeToken(actual)}`;
    }
    if (ruleName === 'pipelineDecl' && expected === RCurly && actual.tokenType !== EOF) {
      return `expected a pass name or '}', found ${describeToken(actual)}`;
    }
    if (ruleName === 'sweepDecl' && expected === RCurly && actual.tokenType !== EOF) {
      return `expected a sweep setting (e.g. 'seeds [0, 1]'), an axis ('grid NAME = [...]'), a 'sample' or '}', found ${describeToken(actual)}`;
    }
    if (expected === Cross) return `expected 'x' between the dimensions of the input shape (C x H x W), found ${describeToken(actual)}`;
    if (expected === RCurly && actual.tokenType !== EOF) return `expected '}' or a new line, found ${describeToken(actual)}`;
    return `expected ${label(expected)}, found ${describeToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant, ruleName }) {
    return redundant(firstRedundant, ruleName);
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }) {
    const tok = actual[0];
    switch (ruleName) {
      case 'statement':
        return unknownStatement(tok);
      case 'separator':
        return `expected the end of the line (or ';'), found ${describeToken(tok)}`;
      case 'factor':
      case 'primary':
        return `expected ${VALUE_EXPECTED}, found ${describeToken(tok)}`;
      case 'sweepValue':
        return `expected a value (a number, a name, a "string" or '['), found ${describeToken(tok)}`;
      case 'sweepStmt':
        return `expected a sweep setting (e.g. 'seeds [0, 1]'), an axis ('grid NAME = [...]') or a 'sample', found ${describeToken(tok)}`;
      case 'sampleValue':
        return `expected a distribution (e.g. 'loguniform(0.01, 0.3)') or a list of entries ('[int(2, 6), 6, 2]'), found ${describeToken(tok)}`;
      case 'sampleItem':
        return `expected a distribution (e.g. 'int(2, 6)') or a value, found ${describeToken(tok)}`;
      case 'stepArgument':
        return `expected a pass argument (a name or a number), found ${describeToken(tok)}`;
      default: {
        const firsts = expectedPathsPerAlt.flatMap((alt) => alt.map((path) => (path[0] ? label(path[0]) : 'end of input')));
        return `expected ${oneOf(firsts)}, found ${describeToken(tok)}`;
      }
    }
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, ruleName }) {
    const tok = actual[0];
    if (ruleName === 'headStmt') return `expected head items (e.g. 'avgpool fc'), found ${describeToken(tok)}`;
    const firsts = expectedIterationPaths.map((path) => (path[0] ? label(path[0]) : 'end of input'));
    return `expected ${oneOf(firsts)}, found ${describeToken(tok)}`;
  },
};

function isIdentLike(tok: IToken): boolean {
  const t = tok.tokenType;
  return t === Ident || (t.CATEGORIES ?? []).includes(Ident);
}

