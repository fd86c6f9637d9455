// One version of a document as the language server sees it: the file parsed, its networks resolved
// without --set, every diagnostic `hrn check` would give (all at once, where the command stops at
// the first failing step), and the counts of `hrn stats`, worked out only when a hover asks.

import type { Diagnostic } from '../diagnostics.js';
import { checkText, NO_NETWORK } from '../driver.js';
import type { ArchIR } from '../ir/arch.js';
import { networkStats, type NetworkStats } from '../ir/stats.js';
import type { HrnFile, NetworkDecl, PipelineDecl, SweepDecl } from '../parser/index.js';
import { DocumentText } from './positions.js';

/**
 * What the server knows of sweep blocks. Their check reads data-set specs through src/data, which
 * reaches Node, so the command hands it in and this folder stays browser-safe.
 */
export interface SweepSupport {
  /** The diagnostics of the file's sweep blocks, as `hrn check` reports them. */
  check(file: HrnFile, sources: Map<string, string>): readonly Diagnostic[];
  /** The settings a sweep block takes (`epochs`, `data`, ...). */
  readonly settings: readonly string[];
  /** What a random search may draw besides the networks' params (`lr`, `epochs`, ...). */
  readonly sampled?: readonly string[];
  /** The distributions a `sample` line draws from (`uniform`, ...). */
  readonly distributions?: readonly string[];
}

export type Decl = { kind: 'network'; decl: NetworkDecl } | { kind: 'pipeline'; decl: PipelineDecl } | { kind: 'sweep'; decl: SweepDecl };

/** A declaration and the lines it owns: from its header to the line before the next one. */
type PlacedDecl = Decl & { from: number; to: number };

export class Analysis {
  readonly doc: DocumentText;
  readonly file: HrnFile;
  readonly diagnostics: readonly Diagnostic[];
  private readonly networks = new Map<string, ArchIR>();
  private readonly counted = new Map<string, NetworkStats | undefined>();
  private readonly placed: PlacedDecl[];

  constructor(
    readonly path: string,
    text: string,
    sweeps?: SweepSupport,
  ) {
    this.doc = new DocumentText(text);
    const sources = new Map<string, string>();
    const checked = checkText(path, text, sources);
    this.file = checked.file;
    for (const n of checked.networks) this.networks.set(n.name, n);
    const all = [...checked.diagnostics];
    // As `hrn check` reads them: a block with syntax errors has nothing more to say.
    if (sweeps) all.push(...sweeps.check({ ...this.file, sweeps: this.file.sweeps.filter((s) => !s.hasSyntaxErrors) }, sources));
    if (this.file.networks.length === 0 && !all.some((d) => d.severity === 'error')) {
      all.push({ severity: 'error', message: NO_NETWORK, span: { file: path, line: 1, col: 1, length: 0 } });
    }
    this.diagnostics = unique(all);
    this.placed = place(this.file);
  }

  /** The network of that name as declared, when it resolved. */
  network(name: string): ArchIR | undefined {
    return this.networks.get(name);
  }

  /** `hrn stats`'s counts of the network as declared; undefined when it did not resolve. */
  stats(name: string): NetworkStats | undefined {
    if (!this.counted.has(name)) {
      const net = this.networks.get(name);
      this.counted.set(name, net === undefined ? undefined : networkStats(net));
    }
    return this.counted.get(name);
  }

  /** The declaration whose lines hold `line` (1-based); undefined above the first one. */
  declAt(line: number): Decl | undefined {
    return this.placed.find((d) => line >= d.from && line <= d.to);
  }
}

function place(file: HrnFile): PlacedDecl[] {
  const decls: Decl[] = [
    ...file.networks.map((decl) => ({ kind: 'network' as const, decl })),
    ...file.pipelines.map((decl) => ({ kind: 'pipeline' as const, decl })),
    ...file.sweeps.map((decl) => ({ kind: 'sweep' as const, decl })),
  ].sort((a, b) => a.decl.span.line - b.decl.span.line);
  return decls.map((d, i) => ({ ...d, from: d.decl.span.line, to: (decls[i + 1]?.decl.span.line ?? Infinity) - 1 }));
}

/** A sweep's check resolves the networks it sweeps again; a problem found twice is shown once. */
function unique(diags: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diags.filter((d) => {
    const key = `${d.span.file}:${d.span.line}:${d.span.col}:${d.span.length}:${d.severity}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
