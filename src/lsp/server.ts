// The language server over any connection: documents kept in sync, each version checked once (on
// open and on every change) and its diagnostics published, hover, completion and definition
// answered from the latest version. Nothing here needs Node; `hrn lsp` gives it a connection over
// stdio (src/cli/commands/lsp.ts).

import { TextDocuments, TextDocumentSyncKind, type Connection, type InitializeResult } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { Analysis, type SweepSupport } from './analysis.js';
import { complete } from './completion.js';
import { definition } from './definition.js';
import { protocolDiagnostics } from './diagnostics.js';
import { hover } from './hover.js';

export interface ServerOptions {
  /** hrn's version, for the client's log. */
  version: string;
  /** The sweep blocks' check and settings; without them, sweep blocks are parsed only. */
  sweeps?: SweepSupport;
}

/** The file name diagnostics and messages use: a file URI's path, else the URI as it is. */
export function documentPath(uri: string): string {
  if (!uri.startsWith('file:')) return uri;
  try {
    return decodeURIComponent(new URL(uri).pathname);
  } catch {
    return uri;
  }
}

export function serveHrn(connection: Connection, options: ServerOptions): void {
  const documents = new TextDocuments(TextDocument);
  const latest = new Map<string, { version: number; analysis: Analysis | undefined }>();

  /** The document's analysis at its current version; undefined if checking it failed (a bug in hrn, logged). */
  const analysisOf = (doc: TextDocument): Analysis | undefined => {
    const known = latest.get(doc.uri);
    if (known?.version === doc.version) return known.analysis;
    let analysis: Analysis | undefined;
    try {
      analysis = new Analysis(documentPath(doc.uri), doc.getText(), options.sweeps);
    } catch (e) {
      connection.console.error(`hrn: internal error while checking ${doc.uri}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
    latest.set(doc.uri, { version: doc.version, analysis });
    return analysis;
  };
  const analysisAt = (uri: string): Analysis | undefined => {
    const doc = documents.get(uri);
    return doc && analysisOf(doc);
  };

  connection.onInitialize(
    (): InitializeResult => ({
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        definitionProvider: true,
        completionProvider: { triggerCharacters: [' ', ';', '"'] },
      },
      serverInfo: { name: 'hrn', version: options.version },
    }),
  );
  // Fires on open and on every change.
  documents.onDidChangeContent(({ document }) => {
    const a = analysisOf(document);
    if (a) void connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics: protocolDiagnostics(a) });
  });
  documents.onDidClose(({ document }) => {
    latest.delete(document.uri);
    void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
  });
  connection.onHover(({ textDocument, position }) => {
    const a = analysisAt(textDocument.uri);
    return a ? hover(a, position) : null;
  });
  connection.onCompletion(({ textDocument, position }) => {
    const a = analysisAt(textDocument.uri);
    return a ? complete(a, position, options.sweeps) : [];
  });
  connection.onDefinition(({ textDocument, position }) => {
    const a = analysisAt(textDocument.uri);
    return a ? definition(a, textDocument.uri, position) : [];
  });
  documents.listen(connection);
  connection.listen();
}
