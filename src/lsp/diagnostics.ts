// hrn's diagnostics as the protocol publishes them: the same message, the span's characters as the
// range, and the severity the editor knows (hrn's notes are the protocol's information).

import { DiagnosticSeverity, type Diagnostic as ProtocolDiagnostic } from 'vscode-languageserver';
import type { Diagnostic, Severity } from '../diagnostics.js';
import type { Analysis } from './analysis.js';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  note: DiagnosticSeverity.Information,
};

export function protocolDiagnostics(a: Analysis): ProtocolDiagnostic[] {
  return a.diagnostics.map((d) => toProtocol(d, a));
}

function toProtocol(d: Diagnostic, a: Analysis): ProtocolDiagnostic {
  // Every span of a file checked without --set lies in the file; should one ever point elsewhere,
  // it is shown at the top with the place it names rather than at a wrong line.
  const here = d.span.file === a.path;
  const message = here ? d.message : `${d.span.file}:${d.span.line}:${d.span.col}: ${d.message}`;
  const range = a.doc.range(here ? d.span : { line: 1, col: 1, length: 0 });
  return { range, severity: SEVERITY[d.severity], source: 'hrn', message };
}
