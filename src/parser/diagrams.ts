// Syntax diagrams of the .hrn grammar, drawn from the parser itself so they cannot drift from it.
// `npx tsx src/parser/diagrams.ts > grammar/diagrams.html` regenerates the committed file; a test
// checks that the committed file is current.

import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSyntaxDiagramsCode } from 'chevrotain';
import { hrnParser } from './parser.js';

// chevrotain's generator links its drawing scripts and stylesheet from a CDN; the page inlines
// them from the installed chevrotain instead, so it works offline and draws with the same version.
const RESOURCES = 'hrn-inline:';
const CSS = `${RESOURCES}diagrams.css`;

function chevrotainDiagramsDir(): string {
  // The package's main file is lib/src/api.js; its diagrams/ folder sits at the package root.
  return join(dirname(createRequire(import.meta.url).resolve('chevrotain')), '..', '..', 'diagrams');
}

/** The html page with one railroad diagram per grammar rule, self-contained. */
export function syntaxDiagramsHtml(): string {
  const html = createSyntaxDiagramsCode(hrnParser().getSerializedGastProductions(), { resourceBase: RESOURCES, css: CSS });
  const dir = chevrotainDiagramsDir();
  const read = (rel: string): string => readFileSync(join(dir, rel), 'utf8');
  return html
    .replace(`<link rel='stylesheet' href='${CSS}'>`, () => `<style>\n${read('diagrams.css')}</style>`)
    .replace(/<script src='hrn-inline:([^']+)'><\/script>/g, (_, rel: string) => `<script>\n// chevrotain/diagrams/${rel}\n${read(rel)}</script>`);
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
