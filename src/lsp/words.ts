// What a word of a .hrn file names, read from the text around it: a stage (`S2`), a pass (one
// word, or either word of a two-word name such as `equalize width`). Pipelines written in a sweep's
// strings are read the same way as a pipeline block's steps.

import type { Position, Range } from 'vscode-languageserver';
import { defaultRegistry } from '../passes/registry.js';
import type { AnyPass } from '../passes/types.js';
import type { DocumentText } from './positions.js';

/** `S2` for `S2` or `s2` (stage names are written in either case in pipelines). */
export function stageWord(word: string): string | undefined {
  const m = /^[Ss]([1-9][0-9]*)$/.exec(word);
  return m ? `S${m[1]}` : undefined;
}

/** The pass a word of a step names, given the line around it. */
export function passAt(line: string, range: Range): AnyPass | undefined {
  const word = line.slice(range.start.character, range.end.character);
  const prev = /([A-Za-z0-9_-]+)[ \t]+$/.exec(line.slice(0, range.start.character))?.[1];
  const next = /^[ \t]+([A-Za-z0-9_-]+)/.exec(line.slice(range.end.character))?.[1];
  const r = defaultRegistry();
  return (next !== undefined ? r.get(`${word} ${next}`) : undefined) ?? (prev !== undefined ? r.get(`${prev} ${word}`) : undefined) ?? r.get(word);
}

/**
 * How many braces are open at the position, and whether it is inside a double-quoted string:
 * comments (`#` to the end of the line) and strings do not count.
 */
export function openAt(doc: DocumentText, p: Position): { depth: number; inString: boolean } {
  let depth = 0;
  let inString = false;
  for (let l = 0; l <= p.line && l < doc.lines.length; l++) {
    const line = l === p.line ? doc.before(p) : doc.lines[l];
    inString = false;
    for (const c of line) {
      if (inString) {
        if (c === '"') inString = false;
      } else if (c === '#') break;
      else if (c === '"') inString = true;
      else if (c === '{') depth++;
      else if (c === '}') depth = Math.max(0, depth - 1);
    }
  }
  return { depth, inString };
}
