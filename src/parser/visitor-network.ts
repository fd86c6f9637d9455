// CST -> AST for the file and its network blocks (statements and expressions) and `--set` texts;
// visitor.ts adds the pipeline and sweep blocks. One method per grammar rule. The CST may come
// from a recovered parse: any child can be missing and tokens may be inserted by recovery (empty
// image). Every method copes by leaving the part out; the syntax error itself has already been
// reported by the parser.

import type { CstElement, CstNode, IToken } from 'chevrotain';
import type {
  BinaryOp,
  Expr,
  Name,
  NetworkDecl,
  PipelineDecl,
  StageClause,
  HeadItem,
  StageClauseName,
  Statement,
  SweepDecl,
} from './ast.js';
import { hrnParser } from './parser.js';
import { extent, isRealToken, type SourceText } from './spans.js';
import type { SourceSpan } from '../diagnostics.js';

export type Children = Record<string, CstElement[] | undefined>;

// Chevrotain's visitor hands each method the node's children ("ctx"), keyed by label or name.

export function tok(ctx: Children, key: string, i = 0): IToken | undefined {
  const t = ctx[key]?.[i] as IToken | undefined;
  return isRealToken(t) ? t : undefined;
}

export function toks(ctx: Children, key: string): IToken[] {
  return ((ctx[key] ?? []) as IToken[]).filter(isRealToken);
}

export function sub(ctx: Children, key: string, i = 0): CstNode | undefined {
  return ctx[key]?.[i] as CstNode | undefined;
}

export function subs(ctx: Children, key: string): CstNode[] {
  return (ctx[key] ?? []) as CstNode[];
}

const BaseVisitor = hrnParser().getBaseCstVisitorConstructor();

type Decl = NetworkDecl | PipelineDecl | SweepDecl;

export interface FileAst {
  networks: NetworkDecl[];
  pipelines: PipelineDecl[];
  sweeps: SweepDecl[];
  /** Start offset of every declaration, in order, to attribute syntax errors to one. */
  starts: Array<{ offset: number; decl: Decl }>;
}

export class NetworkAstBuilder extends BaseVisitor {
  protected readonly src: SourceText;

  constructor(src: SourceText) {
    super();
    this.src = src;
  }

  protected spanOf(node: CstElement | Children): SourceSpan | undefined {
    const r = extent(node);
    return r === undefined ? undefined : this.src.span(r.start, r.end);
  }

  protected name(t: IToken | undefined): Name | undefined {
    return t === undefined ? undefined : { name: t.image, span: this.src.tokenSpan(t) };
  }

  hrnFile(node: Children): FileAst {
    const out: FileAst = { networks: [], pipelines: [], sweeps: [], starts: [] };
    const lists: { [K in 'networkDecl' | 'pipelineDecl' | 'sweepDecl']: Decl[] } = {
      networkDecl: out.networks,
      pipelineDecl: out.pipelines,
      sweepDecl: out.sweeps,
    };
    const decls = (Object.keys(lists) as Array<keyof typeof lists>)
      .flatMap((kind) => subs(node, kind).map((n) => ({ node: n, kind, offset: extent(n)?.start })))
      .filter((d): d is typeof d & { offset: number } => d.offset !== undefined)
      .sort((a, b) => a.offset - b.offset);
    for (const d of decls) {
      const decl = this.visit(d.node) as Decl | undefined;
      if (decl) {
        lists[d.kind].push(decl);
        out.starts.push({ offset: d.offset, decl });
      }
    }
    return out;
  }

  networkDecl(node: Children): NetworkDecl | undefined {
    const kw = tok(node, 'network') ?? toks(node, 'network')[0];
    const span = this.spanOf(node);
    if (span === undefined) return undefined;
    const nameTok = tok(node, 'name');
    const statements: Statement[] = [];
    for (const s of subs(node, 'statement')) {
      const st = this.visit(s) as Statement | undefined;
      if (st) statements.push(st);
    }
    return {
      name: nameTok?.image ?? '',
      span,
      nameSpan: nameTok ? this.src.tokenSpan(nameTok) : kw ? this.src.tokenSpan(kw) : span,
      statements,
      hasSyntaxErrors: false,
    };
  }

  separator(): undefined {
    return undefined;
  }

  statement(node: Children): Statement | undefined {
    const [inner] = Object.values(node).flat() as CstNode[];
    return inner === undefined ? undefined : (this.visit(inner) as Statement | undefined);
  }

  /** The keyword that starts a statement, its span, and the statement's span. */
  protected head(node: Children, key: string): { keyword: SourceSpan; span: SourceSpan } | undefined {
    const kw = tok(node, key);
    const span = this.spanOf(node);
    if (kw === undefined || span === undefined) return undefined;
    return { keyword: this.src.tokenSpan(kw), span };
  }

  protected expr(node: Children, key: string, i = 0): Expr | undefined {
    const e = sub(node, key, i);
    return e === undefined ? undefined : (this.visit(e) as Expr | undefined);
  }

  paramStmt(node: Children): Statement | undefined {
    const h = this.head(node, 'param');
    if (!h) return undefined;
    return { kind: 'param', ...h, name: this.name(tok(node, 'name')), value: this.expr(node, 'expression') };
  }

  inputStmt(node: Children): Statement | undefined {
    const h = this.head(node, 'input');
    if (!h) return undefined;
    const dims: Expr[] = [];
    for (const d of subs(node, 'dim')) {
      const e = this.visit(d) as Expr | undefined;
      if (e === undefined) break;
      dims.push(e);
    }
    return { kind: 'input', ...h, dims };
  }

  classesStmt(node: Children): Statement | undefined {
    const h = this.head(node, 'classes');
    return h && { kind: 'classes', ...h, value: this.expr(node, 'expression') };
  }

  kernelStmt(node: Children): Statement | undefined {
    const h = this.head(node, 'kernel');
    return h && { kind: 'kernel', ...h, value: this.expr(node, 'expression') };
  }

  stemStmt(node: Children): Statement | undefined {
    const h = this.head(node, 'stem');
    if (!h) return undefined;
    return {
      kind: 'stem',
      ...h,
      conv: this.name(tok(node, 'conv')),
      channels: this.expr(node, 'channelCount'),
      stride: this.expr(node, 'strideValue'),
      ...(tok(node, 'pool') ? { pool: this.name(tok(node, 'pool')), poolStride: this.expr(node, 'poolStride') } : {}),
    };
  }

  blockStmt(node: Children): Statement | undefined {
    const h = this.head(node, 'block');
    if (!h) return undefined;
    const options = toks(node, 'option').flatMap((t, i) => {
      const name = this.name(t);
      return name ? [{ name, value: this.expr(node, 'optionValue', i) }] : [];
    });
    return { kind: 'block', ...h, block: this.name(tok(node, 'kind')), options };
  }

  stagesStmt(node: Children): Statement | undefined {
    const h = this.head(node, 'stages');
    if (!h) return undefined;
    const clauses: StageClause[] = [];
    for (const c of subs(node, 'stageClause')) {
      const clause = this.visit(c) as StageClause | undefined;
      if (clause) clauses.push(clause);
    }
    return { kind: 'stages', ...h, clauses };
  }

  stageClause(node: Children): StageClause | undefined {
    const kw = tok(node, 'clause');
    const span = this.spanOf(node);
    if (kw === undefined || span === undefined) return undefined;
    return {
      name: kw.image as StageClauseName,
      keyword: this.src.tokenSpan(kw),
      value: this.expr(node, 'expression'),
      span,
    };
  }

  headStmt(node: Children): Statement | undefined {
    const h = this.head(node, 'head');
    if (!h) return undefined;
    const items = subs(node, 'item').map((c) => this.visit(c) as HeadItem | undefined).filter((i): i is HeadItem => i !== undefined);
    return { kind: 'head', ...h, items };
  }

  headItem(node: Children): HeadItem | undefined {
    const name = this.name(tok(node, 'name'));
    if (!name) return undefined;
    const size = this.expr(node, 'size');
    return size ? { ...name, size } : name;
  }

  criticalityStmt(node: Children): Statement | undefined {
    const h = this.head(node, 'criticality');
    if (!h) return undefined;
    return { kind: 'criticality', ...h, order: toks(node, 'stage').map((t) => this.name(t)!) };
  }

  /** Left-associative chain of operands and operators, shared by `expression` and `term`. */
  private chain(node: Children): Expr | undefined {
    const operands = subs(node, 'operand');
    const ops = (node.op ?? []) as IToken[];
    let acc = operands[0] === undefined ? undefined : (this.visit(operands[0]) as Expr | undefined);
    if (acc === undefined) return undefined;
    for (let i = 0; i < ops.length; i++) {
      const right = operands[i + 1] === undefined ? undefined : (this.visit(operands[i + 1]) as Expr | undefined);
      if (right === undefined || !isRealToken(ops[i])) return acc;
      const span = this.src.between(acc.span, right.span);
      acc = { kind: 'binary', op: ops[i].image as BinaryOp, left: acc, right, span };
    }
    return acc;
  }

  expression(node: Children): Expr | undefined {
    return this.chain(node);
  }

  term(node: Children): Expr | undefined {
    return this.chain(node);
  }

  factor(node: Children): Expr | undefined {
    const minus = tok(node, 'MINUS');
    const inner = sub(node, 'factor') ?? sub(node, 'primary');
    const operand = inner === undefined ? undefined : (this.visit(inner) as Expr | undefined);
    if (operand === undefined) return undefined;
    if (minus === undefined) return operand;
    return { kind: 'negate', operand, span: this.src.between(this.src.tokenSpan(minus), operand.span) };
  }

  primary(node: Children): Expr | undefined {
    const num = tok(node, 'NUMBER');
    if (num) return { kind: 'number', value: Number(num.image), text: num.image, span: this.src.tokenSpan(num) };
    const id = tok(node, 'IDENT');
    if (id) return { kind: 'ref', name: id.image, span: this.src.tokenSpan(id) };
    const list = sub(node, 'list');
    if (list) return this.visit(list) as Expr | undefined;
    const inner = this.expr(node, 'expression');
    const span = this.spanOf(node);
    // A parenthesised expression keeps its inner node, with the parentheses in its span.
    return inner && span ? { ...inner, span } : inner;
  }

  list(node: Children): Expr | undefined {
    const span = this.spanOf(node);
    if (span === undefined) return undefined;
    const items: Expr[] = [];
    for (const it of subs(node, 'item')) {
      const e = this.visit(it) as Expr | undefined;
      if (e) items.push(e);
    }
    return { kind: 'list', items, span };
  }

  override(node: Children): { name?: IToken; value?: Expr } {
    const valueNode = sub(node, 'overrideValue');
    return {
      name: tok(node, 'name'),
      value: valueNode ? (this.visit(valueNode) as Expr | undefined) : undefined,
    };
  }

  overrideValue(node: Children): Expr | undefined {
    return this.expr(node, 'expression');
  }
}
