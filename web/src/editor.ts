// The .hrn editor: CodeMirror 6 with hrn's lexer colouring the text and hrn's parser and resolver
// underlining errors as you type (through @codemirror/lint; the page's compile is the lint source).
import { linter, lintGutter, setDiagnostics, type Diagnostic as CmDiagnostic } from '@codemirror/lint';
import { EditorView, basicSetup } from 'codemirror';
import type { Diagnostic } from '../../src/diagnostics.js';
import { hrnHighlighting } from './hrn-language.js';

/** A diagnostic's 1-based line and column as document offsets, clamped to the text. */
export function diagnosticRange(text: string, d: Diagnostic): { from: number; to: number } {
  const lines = text.split('\n');
  const line = Math.min(Math.max(1, d.span.line), lines.length);
  let from = 0;
  for (let i = 0; i < line - 1; i++) from += lines[i].length + 1;
  from += Math.min(Math.max(0, d.span.col - 1), lines[line - 1].length);
  const to = Math.min(text.length, from + Math.max(1, d.span.length));
  return { from, to: Math.max(from, to) };
}

export interface HrnEditor {
  view: EditorView;
  text(): string;
  setText(text: string): void;
  /** Re-runs the lint source soon (after an input outside the editor changed). */
  relint(): void;
}

/**
 * `check(text)` compiles the text and returns the diagnostics that belong to the editor's file;
 * it runs after each pause in typing.
 */
export function createEditor(parent: HTMLElement, initial: string, check: (text: string) => Diagnostic[]): HrnEditor {
  const source = (view: EditorView): CmDiagnostic[] => {
    const text = view.state.doc.toString();
    return check(text).map((d) => ({ ...diagnosticRange(text, d), severity: d.severity === 'note' ? 'info' : d.severity, message: d.message, source: 'hrn' }));
  };
  let pending: ReturnType<typeof setTimeout> | undefined;
  const view = new EditorView({
    parent,
    doc: initial,
    extensions: [basicSetup, hrnHighlighting(), lintGutter(), linter(source, { delay: 250 }), EditorView.lineWrapping],
  });
  return {
    view,
    text: () => view.state.doc.toString(),
    setText(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    relint() {
      // The linter reruns only on edits; other inputs push their results themselves, debounced.
      clearTimeout(pending);
      pending = setTimeout(() => view.dispatch(setDiagnostics(view.state, source(view))), 250);
    },
  };
}
