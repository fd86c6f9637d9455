// Syntax colouring for .hrn driven by hrn's own lexer (src/parser/lexer.ts), so the editor and the
// compiler agree on every token: keywords are the lexer's keyword tokens (names in the Ident
// category with their own type), comments are what the lexer skips between tokens.
import { RangeSetBuilder, type Extension } from '@codemirror/state';
import { Decoration, ViewPlugin, type DecorationSet, type EditorView, type ViewUpdate } from '@codemirror/view';
import { Cross, DashedIdent, Grid, Ident, isA, LayerName, List, Network, NumberLit, NumberWord, Pipeline, StageRange, StringLit, Sweep, tokenize } from '../../src/parser/lexer.js';

const mark = (cls: string) => Decoration.mark({ class: cls });
const KEYWORD = mark('hrn-keyword');
const NUMBER = mark('hrn-number');
const STRING = mark('hrn-string');
const COMMENT = mark('hrn-comment');
const OPERATOR = mark('hrn-operator');
const STAGE = mark('hrn-stage');

const PLAIN_NAMES = new Set([Ident, DashedIdent, LayerName]);

/** Every coloured range of `text`, in order: [from, to, decoration]. */
export function hrnTokens(text: string): Array<[number, number, Decoration, string]> {
  const out: Array<[number, number, Decoration, string]> = [];
  const tokens = tokenize(text, 'top', false).tokens.filter((t) => t.endOffset !== undefined && !Number.isNaN(t.startOffset) && t.image.length > 0 && t.image !== '\n');
  let pos = 0;
  const comments = (upTo: number) => {
    // Between tokens there is only layout and comments: a '#' starts a comment to the end of line.
    const gap = text.slice(pos, upTo);
    for (const m of gap.matchAll(/#[^\n]*/g)) out.push([pos + m.index, pos + m.index + m[0].length, COMMENT, 'comment']);
  };
  for (const t of tokens) {
    const from = t.startOffset;
    const to = t.endOffset! + 1;
    if (from < pos) continue;
    comments(from);
    const type = t.tokenType;
    if (type === NumberLit || type === NumberWord) out.push([from, to, NUMBER, 'number']);
    else if (type === StringLit) out.push([from, to, STRING, 'string']);
    else if (type === Cross) out.push([from, to, OPERATOR, 'operator']);
    else if (type === StageRange) out.push([from, to, STAGE, 'stage']);
    else if (isA(t, Ident) && !PLAIN_NAMES.has(type)) out.push([from, to, KEYWORD, 'keyword']);
    else if ([Network, Pipeline, Sweep].some((k) => isA(t, k)) || type === Grid || type === List) out.push([from, to, KEYWORD, 'keyword']);
    pos = to;
  }
  comments(text.length);
  return out;
}

function decorations(view: EditorView): DecorationSet {
  const b = new RangeSetBuilder<Decoration>();
  for (const [from, to, deco] of hrnTokens(view.state.doc.toString())) b.add(from, to, deco);
  return b.finish();
}

/** The .hrn colouring as a CodeMirror extension. */
export function hrnHighlighting(): Extension {
  return ViewPlugin.fromClass(
    class {
      decorations: DecorationSet;
      constructor(view: EditorView) {
        this.decorations = decorations(view);
      }
      update(u: ViewUpdate) {
        if (u.docChanged) this.decorations = decorations(u.view);
      }
    },
    { decorations: (v) => v.decorations },
  );
}
