// NetworkDecl -> ArchIR: evaluates params (with --set overrides), fills defaults, checks every
// statement, and builds the architecture IR when nothing is wrong. Each problem is one diagnostic
// at the place that causes it; a value that already failed is not reported again where it is used.
// Params and expressions live in evaluate.ts, the structured statements in resolve-statements.ts.

import type { Diagnostic } from '../diagnostics.js';
import { stageOutChannels, type ArchIR } from '../ir/arch.js';
import type { NetworkDecl, Override, ParamStmt, Statement, StatementKind } from './ast.js';
import { type ResolveDeps } from './evaluate.js';
import { LIMITS, networkSizeProblem } from './limits.js';
import { DEFAULTS, StatementChecker } from './resolve-statements.js';
import { where } from './values.js';

export { DEFAULTS } from './resolve-statements.js';
export type { ResolveDeps } from './evaluate.js';
export { formatValue, type Value } from './values.js';


const REQUIRED: StatementKind[] = ['input', 'classes', 'stem', 'stages'];
const EXAMPLES: Record<string, string> = {
  input: 'input 3x32x32',
  classes: 'classes 100',
  stem: 'stem conv3x3(64)',
  stages: 'stages depths [2, 2, 2, 2]',
};

class Resolver extends StatementChecker {
  run(): ArchIR | undefined {
    const decl = this.decl;
    const params: ParamStmt[] = [];
    const single = new Map<StatementKind, Statement>();
    for (const s of decl.statements) {
      if (s.kind === 'param') {
        params.push(s);
        continue;
      }
      const first = single.get(s.kind);
      if (first) {
        this.err(s.keyword, `duplicate '${s.kind}' statement (the first is at ${where(first.span)})`);
        continue;
      }
      single.set(s.kind, s);
    }
    this.params(params);

    if (!decl.hasSyntaxErrors) {
      for (const k of REQUIRED) {
        if (!single.has(k)) {
          this.err(decl.nameSpan, `network '${decl.name}' has no '${k}' statement (e.g. \`${EXAMPLES[k]}\`)`);
        }
      }
    }
    const get = <K extends StatementKind>(k: K) => single.get(k) as Extract<Statement, { kind: K }> | undefined;

    // input
    const input = get('input');
    let dims: (number | undefined)[] | undefined;
    if (input) {
      const names = ['input channels', 'input height', 'input width'];
      const max = [LIMITS.channels, LIMITS.inputSide, LIMITS.inputSide];
      dims = input.dims.map((d, i) => this.positiveInt(d, names[i], max[i]));
      if (input.dims.length !== 3) dims = undefined;
    }

    const classesStmt = get('classes');
    const classes = classesStmt && this.positiveInt(classesStmt.value, 'classes', LIMITS.classes);

    const kernelStmt = get('kernel');
    let kernel: number | undefined = DEFAULTS.kernel;
    if (kernelStmt) {
      kernel = this.positiveInt(kernelStmt.value, 'kernel', LIMITS.kernel);
      if (kernel !== undefined && kernel % 2 === 0) {
        this.err(kernelStmt.value!.span, `kernel must be odd (convolutions pad (f-1)/2 on each side to keep the size), got ${kernel}`);
        kernel = undefined;
      }
    }

    // stem
    const stemStmt = get('stem');
    let stem: ArchIR['stem'] | undefined;
    if (stemStmt) stem = this.stem(stemStmt);

    // block
    const blockStmt = get('block');
    const { block, options } = blockStmt ? this.block(blockStmt) : { block: DEFAULTS.block, options: [] };

    // stages
    const stagesStmt = get('stages');
    const stages = stagesStmt && this.stages(stagesStmt, stem?.channels);

    // head
    const headStmt = get('head');
    const head = headStmt ? this.head(headStmt) : { pool: 'avg' as const, fc: true };

    // criticality
    const critStmt = get('criticality');
    let criticality: string[] | undefined;
    if (stages) {
      const names = stages.list.map((s) => s.name);
      criticality = critStmt ? this.criticality(critStmt, names) : names;
    }

    // cross-statement checks
    if (dims && stem && stages && input) this.spatial(input, dims, stem, stages.list);
    if (stages) this.stageOptions(options, stages.list);
    if (head && !head.fc && stages && classes !== undefined && block) {
      const last = stages.list[stages.list.length - 1];
      const out = head.hidden?.[head.hidden.length - 1] ?? stageOutChannels({ block }, last);
      if (out !== classes) {
        this.err(headStmt!.span, `a head without fc outputs ${head.hidden ? 'the last hidden layer\'s' : 'the last stage\'s'} ${out} ${head.hidden ? 'values' : 'channels'}, but classes is ${classes}; add fc or make them equal`);
      }
    }

    if (this.diags.some((d) => d.severity === 'error') || decl.hasSyntaxErrors) return undefined;
    if (!dims || dims.some((d) => d === undefined) || classes === undefined || kernel === undefined) return undefined;
    if (!stem || !block || !stages || !head || !criticality) return undefined;
    const arch: ArchIR = {
      name: decl.name,
      input: { c: dims[0]!, h: dims[1]!, w: dims[2]! },
      classes,
      kernel,
      stem,
      block,
      stages: stages.list,
      criticality,
      head,
      history: [],
    };
    if (stages.widths) arch.widths = stages.widths;
    const tooBig = networkSizeProblem(arch);
    if (tooBig !== undefined) {
      this.err(stagesStmt!.span, tooBig);
      return undefined;
    }
    return arch;
  }
}

export function resolve(
  decl: NetworkDecl,
  overrides: readonly Override[],
  sources: ReadonlyMap<string, string>,
  deps: ResolveDeps,
): { arch?: ArchIR; diagnostics: Diagnostic[] } {
  const r = new Resolver(decl, overrides, sources, deps);
  const arch = r.run();
  if (r.dropped > 0) {
    r.diags.push({ severity: 'note', span: decl.nameSpan, message: `${r.dropped} more error${r.dropped === 1 ? '' : 's'} in network '${decl.name}' not shown` });
  }
  return arch ? { arch, diagnostics: r.diags } : { diagnostics: r.diags };
}