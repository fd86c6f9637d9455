// Syntax diagrams of the .hrn grammar, drawn from the parser itself so they cannot drift from it.
// `npx tsx src/parser/diagrams.ts > grammar/diagrams.html` regenerates the committed file; a test
// checks that the committed file is current.

import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createSyntaxDiagramsCode } from 'chevrotain';
import { hrnParser } from './parser.js';

/** The html page with one railroad diagram per grammar rule. */
export function syntaxDiagramsHtml(): string {
  return createSyntaxDiagramsCode(hrnParser().getSerializedGastProductions());
}

function isMain(): boolean {
  const arg = process.argv[1];
  if (arg === undefined) return false;
  try {
    return realpathSync(arg) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) process.stdout.write(syntaxDiagramsHtml());
