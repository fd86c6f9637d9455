// The params of a network and the expressions that use them: evaluates params (with --set
// overrides) and checks the numbers and lists statements are made of. Each problem is one
// diagnostic; a value that already failed is not reported again where it is used.

import { error, MAX_DIAGNOSTICS, SourceLines, type Diagnostic, type SourceSpan } from '../diagnostics.js';
import type { Expr, NetworkDecl, Override, ParamStmt } from './ast.js';
import { formatLimit } from './limits.js';
import { describeValue, formatValue, integral, where, type Value } from './values.js';
import { didYouMean } from '../util/suggest.js';


/** What a param holds, and whether --set gave it (for messages). */
interface Binding {
  value: Value | undefined; // undefined: its expression failed (already reported)
  override?: Override;
}

export interface ResolveDeps {
  /** Parses an override's text when it carries no parsed value. */
  parseValue(o: Override): { value?: Expr; diagnostics: Diagnostic[] };
}

export class ParamEvaluator {
  readonly diags: Diagnostic[] = [];
  protected readonly env = new Map<string, Binding>();
  protected readonly lines: SourceLines;
  /** Errors past MAX_DIAGNOSTICS, counted for the closing note. */
  dropped = 0;
  /** Every declared param (first declaration), to tell "declared later" from "unknown". */
  protected readonly declared = new Map<string, ParamStmt>();
  /** Whether a --set (or a sweep's grid value) is being evaluated: an unknown word there is most
   * likely a value meant as a number rather than a misspelt param. */
  private overriding = false;

  constructor(
    protected readonly decl: NetworkDecl,
    protected readonly overrides: readonly Override[],
    protected readonly sources: ReadonlyMap<string, string>,
    protected readonly deps: ResolveDeps,
  ) {
    this.lines = new SourceLines(sources);
  }

  protected err(span: SourceSpan, message: string): void {
    // Past the cap nothing more is shown, so nothing more is kept (one error per word of a huge
    // line). One place is left for the note that counts the rest, so that it is shown too.
    if (this.diags.length < MAX_DIAGNOSTICS - 1) this.diags.push(error(span, message));
    else this.dropped++;
  }

  // ---- expressions ------------------------------------------------------------------------

  protected evaluate(e: Expr, selfName?: string): Value | undefined {
    switch (e.kind) {
      case 'number':
        return e.value;
      case 'ref': {
        const b = this.env.get(e.name);
        if (b !== undefined) return b.value;
        if (e.name === selfName) {
          this.err(e.span, `parameter '${e.name}' refers to itself`);
        } else if (this.declared.has(e.name)) {
          const at = this.declared.get(e.name)!;
          this.err(e.span, `parameter '${e.name}' is used before its declaration (at ${where(at.span)}); a param may only use params declared above it`);
        } else if (this.overriding) {
          this.err(e.span, `'${e.name}' is not a number, nor a parameter of this network${didYouMean(e.name, [...this.declared.keys()])}`);
        } else {
          this.err(e.span, `unknown parameter '${e.name}'${didYouMean(e.name, [...this.declared.keys()])}`);
        }
        return undefined;
      }
      case 'list': {
        const items: Value[] = [];
        let ok = true;
        for (const it of e.items) {
          const v = this.evaluate(it, selfName);
          if (v === undefined) ok = false;
          else items.push(v);
        }
        return ok ? items : undefined;
      }
      case 'negate': {
        const v = this.evaluate(e.operand, selfName);
        if (v === undefined) return undefined;
        if (Array.isArray(v)) {
          this.err(e.span, `cannot negate a list (${formatValue(v)}); '-' needs a number`);
          return undefined;
        }
        return -v;
      }
      case 'binary': {
        const l = this.evaluate(e.left, selfName);
        const r = this.evaluate(e.right, selfName);
        if (l === undefined || r === undefined) return undefined;
        if (Array.isArray(l) || Array.isArray(r)) {
          const which = Array.isArray(l) ? e.left : e.right;
          const v = (Array.isArray(l) ? l : r) as Value;
          this.err(which.span, `'${e.op}' needs numbers on both sides, got a list ${formatValue(v)}`);
          return undefined;
        }
        switch (e.op) {
          case '+':
            return l + r;
          case '-':
            return l - r;
          case '*':
            return l * r;
          case '/':
            if (r === 0) {
              this.err(e.right.span, 'division by zero');
              return undefined;
            }
            return l / r;
        }
      }
    }
  }

  /** ` (from `m*2`)` or ` (m set by --set m=...)`, to show where a computed value came from. */
  protected origin(e: Expr): string {
    if (e.kind === 'ref') {
      const b = this.env.get(e.name);
      if (b?.override) return ` (from --set ${b.override.name}=${b.override.text})`;
      return ` (from '${e.name}')`;
    }
    if (e.kind === 'number' || e.kind === 'list') return '';
    const text = this.lines.line(e.span.file, e.span.line)?.slice(e.span.col - 1, e.span.col - 1 + e.span.length);
    return text ? ` (from '${text}')` : '';
  }

  /** A positive integer, or undefined after reporting why not. */
  protected positiveInt(e: Expr | undefined, what: string, max: number): number | undefined {
    if (e === undefined) return undefined;
    const v = this.evaluate(e);
    if (v === undefined) return undefined;
    if (Array.isArray(v) || !integral(v) || Math.round(v) <= 0) {
      this.err(e.span, `expected a positive integer for ${what}, got ${describeValue(v)}${this.origin(e)}`);
      return undefined;
    }
    if (v > max) {
      this.err(e.span, `${what} is ${formatValue(v)}${this.origin(e)}, above the limit of ${formatLimit(max)}`);
      return undefined;
    }
    return Math.round(v);
  }

  /**
   * A list of `count` items each passing `item`; `count` undefined means any length >= 1.
   * Item errors point at the item when the list is written out, else at the whole value.
   */
  protected list<T>(
    e: Expr | undefined,
    what: string,
    count: { n: number; why: string } | undefined,
    item: (v: Value, span: SourceSpan, label: string) => T | undefined,
    kindOfItems: string,
  ): T[] | undefined {
    if (e === undefined) return undefined;
    const v = this.evaluate(e);
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) {
      this.err(e.span, `expected a list of ${kindOfItems} for ${what}, got ${describeValue(v)}${this.origin(e)}`);
      return undefined;
    }
    if (count !== undefined && v.length !== count.n) {
      this.err(e.span, `${what} needs ${count.n} ${count.n === 1 ? 'entry' : 'entries'} (${count.why}), got ${v.length}`);
      return undefined;
    }
    if (count === undefined && v.length === 0) {
      this.err(e.span, `${what} needs at least one entry`);
      return undefined;
    }
    const written = e.kind === 'list' && e.items.length === v.length ? e.items : undefined;
    const out: T[] = [];
    let ok = true;
    v.forEach((x, i) => {
      const span = written ? written[i].span : e.span;
      const r = item(x, span, `${what}[${i + 1}]`);
      if (r === undefined) ok = false;
      else out.push(r);
    });
    return ok ? out : undefined;
  }

  /** An item check for positive integers up to `max`. */
  protected intItem(max: number) {
    return (v: Value, span: SourceSpan, label: string): number | undefined => {
      if (Array.isArray(v) || !integral(v) || Math.round(v) <= 0) {
        this.err(span, `expected a positive integer for ${label}, got ${describeValue(v)}`);
        return undefined;
      }
      if (v > max) {
        this.err(span, `${label} is ${formatValue(v)}, above the limit of ${formatLimit(max)}`);
        return undefined;
      }
      return Math.round(v);
    };
  }

  protected factorItem = (v: Value, span: SourceSpan, label: string): number | undefined => {
    if (Array.isArray(v) || !Number.isFinite(v) || v <= 0) {
      this.err(span, `expected a positive number for ${label}, got ${describeValue(v)}`);
      return undefined;
    }
    return v;
  };

  // ---- params -----------------------------------------------------------------------------

  protected params(params: ParamStmt[]): void {
    for (const p of params) {
      if (!p.name) continue;
      const first = this.declared.get(p.name.name);
      if (first) {
        this.err(p.name.span, `duplicate parameter '${p.name.name}' (first declared at ${where(first.span)})`);
        continue;
      }
      this.declared.set(p.name.name, p);
    }

    const byName = new Map<string, Override>();
    for (const o of this.overrides) {
      if (!this.declared.has(o.name)) {
        const names = [...this.declared.keys()];
        const has = names.length > 0 ? `its parameters are ${names.join(', ')}` : 'it declares none';
        this.err(o.nameSpan ?? o.span, `--set ${o.name}: network '${this.decl.name}' has no parameter '${o.name}' (${has})${didYouMean(o.name, names)}`);
        continue;
      }
      byName.set(o.name, o); // the last --set of a name wins
    }

    for (const [name, p] of this.declared) {
      const def = p.value === undefined ? undefined : this.evaluate(p.value, name);
      const o = byName.get(name);
      if (o === undefined) {
        this.env.set(name, { value: def });
        continue;
      }
      let expr = o.value;
      if (expr === undefined) {
        const parsed = this.deps.parseValue(o);
        this.diags.push(...parsed.diagnostics);
        expr = parsed.value;
      }
      // An override may use the param's own default (`--set m=m*2`) and the params above it.
      this.env.set(name, { value: def });
      this.overriding = true;
      const v = expr === undefined ? undefined : this.evaluate(expr, name);
      this.overriding = false;
      this.env.set(name, { value: v, override: o });
    }
  }

}
