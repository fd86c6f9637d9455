// CST -> AST for the pipeline and sweep blocks (and `--pipeline` texts), on top of the network
// blocks and expressions of visitor-network.ts: together, one method per grammar rule, which the
// parser's visitor check requires of the finished class.

import type { CstNode, IToken } from 'chevrotain';
import type { Expr, PipelineArg, PipelineDecl, PipelineStep, SampleDistribution, SampleFixed, SampleValue, SweepAxisStmt, SweepAxisValue, SweepDecl, SweepSampleStmt, SweepSettingStmt, SweepStmt, SweepValue } from './ast.js';
import { NetworkAstBuilder, tok, toks, sub, subs, type Children } from './visitor-network.js';
import { extent, isRealToken, type SourceText } from './spans.js';

export type { FileAst } from './visitor-network.js';

export class AstBuilder extends NetworkAstBuilder {
  constructor(src: SourceText) {
    super(src);
    this.validateVisitor();
  }

  pipelineDecl(node: Children): PipelineDecl | undefined {
    const span = this.spanOf(node);
    if (span === undefined) return undefined;
    const nameTok = tok(node, 'name');
    return {
      name: nameTok?.image ?? '',
      steps: this.steps(node),
      span,
      nameSpan: nameTok ? this.src.tokenSpan(nameTok) : span,
    };
  }

  pipelineText(node: Children): PipelineStep[] {
    return this.steps(node);
  }

  private steps(node: Children): PipelineStep[] {
    const steps: PipelineStep[] = [];
    for (const s of subs(node, 'pipelineStep')) {
      const step = this.visit(s) as PipelineStep | undefined;
      if (step) steps.push(step);
    }
    return steps;
  }

  pipelineStep(node: Children): PipelineStep | undefined {
    const pass = tok(node, 'pass');
    if (pass === undefined) return undefined;
    const args: PipelineArg[] = [];
    for (const a of subs(node, 'stepArgument')) {
      const arg = this.visit(a) as PipelineArg | undefined;
      if (arg) args.push(arg);
    }
    const first = this.src.tokenSpan(pass);
    const span = args.length > 0 ? this.src.between(first, args[args.length - 1].span) : first;
    return { pass: pass.image, args, span };
  }

  stepArgument(node: Children): PipelineArg | undefined {
    const atoms = subs(node, 'stepAtom')
      .map((a) => this.visit(a) as IToken | undefined)
      .filter(isRealToken);
    const connectors = toks(node, 'connector');
    if (atoms.length === 0) return undefined;
    let text = atoms[0].image;
    for (let i = 1; i < atoms.length; i++) text += (connectors[i - 1]?.image ?? '') + atoms[i].image;
    const span = this.src.between(this.src.tokenSpan(atoms[0]), this.src.tokenSpan(atoms[atoms.length - 1]));
    return { text, span };
  }

  stepAtom(node: Children): IToken | undefined {
    return tok(node, 'atom');
  }

  sweepDecl(node: Children): SweepDecl | undefined {
    const span = this.spanOf(node);
    if (span === undefined) return undefined;
    const nameTok = tok(node, 'name');
    const statements = subs(node, 'sweepStmt')
      .map((s) => this.visit(s) as SweepStmt | undefined)
      .filter((s): s is SweepStmt => s !== undefined);
    return { name: nameTok?.image ?? '', span, nameSpan: nameTok ? this.src.tokenSpan(nameTok) : span, statements, hasSyntaxErrors: false };
  }

  sweepStmt(node: Children): SweepStmt | undefined {
    const [inner] = Object.values(node).flat() as CstNode[];
    return inner === undefined ? undefined : (this.visit(inner) as SweepStmt | undefined);
  }

  sweepAxis(node: Children): SweepAxisStmt | undefined {
    const h = this.head(node, 'mode');
    if (!h) return undefined;
    const listNode = sub(node, 'list');
    let values: SweepAxisValue[] | undefined;
    if (listNode !== undefined) {
      values = [];
      for (const item of subs(listNode.children, 'item')) {
        const value = this.writtenValue(item);
        if (value) values.push(value);
      }
    }
    const mode = tok(node, 'mode')!.image as 'grid' | 'list';
    return { kind: 'axis', mode, ...h, param: this.name(tok(node, 'param')), values };
  }

  /** An expression with its text as `--set` takes it; without layout, so a run's label does not depend on spacing. */
  private writtenValue(node: CstNode): SweepAxisValue | undefined {
    const value = this.visit(node) as Expr | undefined;
    const r = extent(node);
    if (value === undefined || r === undefined) return undefined;
    return { text: this.src.text.slice(r.start, r.end + 1).replace(/\s+/g, ''), value, span: value.span };
  }

  sweepSample(node: Children): SweepSampleStmt | undefined {
    const h = this.head(node, 'SAMPLE');
    if (!h) return undefined;
    const v = sub(node, 'sampleValue');
    const value = v === undefined ? undefined : (this.visit(v) as SampleValue | undefined);
    return { kind: 'sample', ...h, param: this.name(tok(node, 'param')), ...(value ? { value } : {}) };
  }

  sampleText(node: Children): { param?: IToken; value?: SampleValue } {
    const v = sub(node, 'sampleValue');
    return { param: tok(node, 'param'), value: v === undefined ? undefined : (this.visit(v) as SampleValue | undefined) };
  }

  sampleValue(node: Children): SampleValue | undefined {
    const inner = sub(node, 'distribution') ?? sub(node, 'sampleList');
    return inner === undefined ? undefined : (this.visit(inner) as SampleValue | undefined);
  }

  sampleList(node: Children): SampleValue | undefined {
    const span = this.spanOf(node);
    if (span === undefined) return undefined;
    const items = subs(node, 'item')
      .map((i) => this.visit(i) as SampleDistribution | SampleFixed | undefined)
      .filter((i): i is SampleDistribution | SampleFixed => i !== undefined);
    return { kind: 'entries', items, span };
  }

  sampleItem(node: Children): SampleDistribution | SampleFixed | undefined {
    const d = sub(node, 'distribution');
    if (d) return this.visit(d) as SampleDistribution | undefined;
    const e = sub(node, 'expression');
    const value = e === undefined ? undefined : this.writtenValue(e);
    return value && { kind: 'fixed', ...value };
  }

  distribution(node: Children): SampleDistribution | undefined {
    const name = this.name(tok(node, 'name'));
    const span = this.spanOf(node);
    if (name === undefined || span === undefined) return undefined;
    const args = subs(node, 'arg')
      .map((a) => this.writtenValue(a))
      .filter((a): a is SweepAxisValue => a !== undefined);
    return { kind: 'distribution', name, args, span };
  }

  sweepSetting(node: Children): SweepSettingStmt | undefined {
    const name = this.name(tok(node, 'setting'));
    const span = this.spanOf(node);
    if (name === undefined || span === undefined) return undefined;
    const v = sub(node, 'sweepValue');
    const value = v === undefined ? undefined : (this.visit(v) as SweepValue | undefined);
    return value ? { kind: 'setting', span, name, value } : { kind: 'setting', span, name };
  }

  sweepValue(node: Children): SweepValue | undefined {
    const num = tok(node, 'NUMBER');
    if (num) return { kind: 'number', value: Number(num.image), text: num.image, span: this.src.tokenSpan(num) };
    const id = tok(node, 'IDENT');
    if (id) return { kind: 'name', name: id.image, span: this.src.tokenSpan(id) };
    const str = tok(node, 'STRING');
    if (str) return { kind: 'string', text: str.image.slice(1, -1), span: this.src.tokenSpan(str) };
    const list = sub(node, 'sweepList');
    return list === undefined ? undefined : (this.visit(list) as SweepValue | undefined);
  }

  sweepList(node: Children): SweepValue | undefined {
    const span = this.spanOf(node);
    if (span === undefined) return undefined;
    const items = subs(node, 'item')
      .map((i) => this.visit(i) as SweepValue | undefined)
      .filter((i): i is SweepValue => i !== undefined);
    return { kind: 'list', items, span };
  }
}
