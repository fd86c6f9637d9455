// Go to definition: a param's use (`conv3x3(m)`, a sweep's `grid m = ...`) to its `param` statement,
// a network or pipeline named in a sweep or a pipeline step to its declaration.

import type { Location, Position } from 'vscode-languageserver';
import type { Expr, NetworkDecl, ParamStmt, Statement, SweepDecl } from '../parser/index.js';
import type { Analysis } from './analysis.js';

export function definition(a: Analysis, uri: string, p: Position): Location[] {
  const ctx = a.declAt(p.line + 1);
  const at = (span: { line: number; col: number; length: number }): Location => ({ uri, range: a.doc.range(span) });
  if (ctx?.kind === 'network') {
    const name = refAt(a, ctx.decl, p);
    const param = name === undefined ? undefined : paramOf(ctx.decl, name);
    return param ? [at(param.span)] : [];
  }
  const word = a.doc.wordAt(p)?.word;
  if (ctx === undefined || word === undefined) return [];
  if (ctx.kind === 'sweep') {
    const axis = ctx.decl.statements.find((s) => s.kind === 'axis' && s.param !== undefined && a.doc.covers(s.param.span, p));
    if (axis) return sweptNetworks(a, ctx.decl).flatMap((n) => paramOf(n, word) ?? []).map((s) => at(s.span));
  }
  const net = a.file.networks.find((n) => n.name === word);
  if (net) return [at(net.span)];
  const pipeline = a.file.pipelines.find((pl) => pl.name === word);
  return pipeline ? [at(pipeline.span)] : [];
}

function paramOf(net: NetworkDecl, name: string): ParamStmt | undefined {
  return net.statements.find((s): s is ParamStmt => s.kind === 'param' && s.name?.name === name);
}

/** The name of the param that the reference under the position uses, or the one a `param` statement declares there. */
function refAt(a: Analysis, net: NetworkDecl, p: Position): string | undefined {
  for (const s of net.statements) {
    if (s.kind === 'param' && s.name && a.doc.covers(s.name.span, p)) return s.name.name;
    for (const e of expressions(s)) {
      const ref = findRef(e, (span) => a.doc.covers(span, p));
      if (ref !== undefined) return ref;
    }
  }
  return undefined;
}

function findRef(e: Expr, covers: (span: Expr['span']) => boolean): string | undefined {
  switch (e.kind) {
    case 'ref':
      return covers(e.span) ? e.name : undefined;
    case 'list':
      for (const item of e.items) {
        const r = findRef(item, covers);
        if (r !== undefined) return r;
      }
      return undefined;
    case 'binary':
      return findRef(e.left, covers) ?? findRef(e.right, covers);
    case 'negate':
      return findRef(e.operand, covers);
    default:
      return undefined;
  }
}

function expressions(s: Statement): Expr[] {
  const some = (...es: (Expr | undefined)[]) => es.filter((e): e is Expr => e !== undefined);
  switch (s.kind) {
    case 'param':
    case 'classes':
    case 'kernel':
      return some(s.value);
    case 'input':
      return s.dims;
    case 'stem':
      return some(s.channels, s.stride);
    case 'block':
      return some(s.option?.value);
    case 'stages':
      return some(...s.clauses.map((c) => c.value));
    case 'head':
      return some(...s.items.map((i) => i.size));
    case 'criticality':
      return [];
  }
}

/** The networks a sweep block names, or every network of the file when it names none. */
function sweptNetworks(a: Analysis, sweep: SweepDecl): NetworkDecl[] {
  const setting = sweep.statements.find((s) => s.kind === 'setting' && s.name.name === 'network');
  const value = setting?.kind === 'setting' ? setting.value : undefined;
  if (value === undefined) return a.file.networks;
  const names = (value.kind === 'list' ? value.items : [value]).flatMap((v) => (v.kind === 'name' ? [v.name] : []));
  return a.file.networks.filter((n) => names.includes(n.name));
}
