// NetworkDecl -> ArchIR: evaluates params (with --set overrides), fills defaults, checks every
// statement, and builds the architecture IR when nothing is wrong. Each problem is one diagnostic
// at the place that causes it; a value that already failed is not reported again where it is used.

import { error, MAX_DIAGNOSTICS, SourceLines, type Diagnostic, type SourceSpan } from '../diagnostics.js';
import { didYouMean } from '../util/suggest.js';
import {
  ORDINARY_RELUS,
  stageName,
  type ArchIR,
  type BlockKind,
  type StageIR,
  type WidthBasis,
} from '../ir/arch.js';
import type {
  Expr,
  NetworkDecl,
  Override,
  ParamStmt,
  StageClause,
  StageClauseName,
  Statement,
  StatementKind,
} from './ast.js';
import { formatLimit, LIMITS, networkSizeProblem } from './limits.js';

export type Value = number | Value[];

/** What a param holds, and whether --set gave it (for messages). */
interface Binding {
  value: Value | undefined; // undefined: its expression failed (already reported)
  override?: Override;
}

export interface ResolveDeps {
  /** Parses an override's text when it carries no parsed value. */
  parseValue(o: Override): { value?: Expr; diagnostics: Diagnostic[] };
}

export const DEFAULTS = {
  kernel: 3,
  block: 'basic' as BlockKind,
  stemStride: 1,
  /** Stagewise width factor between consecutive stages when neither widths nor channels is given. */
  widthFactor: 2,
  firstStride: 1,
  laterStride: 2,
  head: ['avgpool', 'fc'],
};

const REQUIRED: StatementKind[] = ['input', 'classes', 'stem', 'stages'];
const EXAMPLES: Record<string, string> = {
  input: 'input 3x32x32',
  classes: 'classes 100',
  stem: 'stem conv3x3(64)',
  stages: 'stages depths [2, 2, 2, 2]',
};

const EPS = 1e-9;

function integral(v: number): boolean {
  return Number.isFinite(v) && Math.abs(v - Math.round(v)) < EPS * Math.max(1, Math.abs(v));
}

export function formatValue(v: Value): string {
  if (Array.isArray(v)) return `[${v.map(formatValue).join(', ')}]`;
  if (integral(v)) return String(Math.round(v));
  return String(Number(v.toPrecision(10)));
}

function describeValue(v: Value): string {
  return Array.isArray(v) ? `a list ${formatValue(v)}` : formatValue(v);
}

function suggest(name: string, candidates: Iterable<string>): string {
  return didYouMean(name, [...candidates]);
}

function where(span: SourceSpan): string {
  return `line ${span.line}`;
}

class Resolver {
  readonly diags: Diagnostic[] = [];
  private readonly env = new Map<string, Binding>();
  private readonly lines: SourceLines;
  /** Errors past MAX_DIAGNOSTICS, counted for the closing note. */
  dropped = 0;
  /** Every declared param (first declaration), to tell "declared later" from "unknown". */
  private readonly declared = new Map<string, ParamStmt>();

  constructor(
    private readonly decl: NetworkDecl,
    private readonly overrides: readonly Override[],
    private readonly sources: ReadonlyMap<string, string>,
    private readonly deps: ResolveDeps,
  ) {
    this.lines = new SourceLines(sources);
  }

  private err(span: SourceSpan, message: string): void {
    // Past the cap nothing more is shown, so nothing more is kept (one error per word of a huge line).
    if (this.diags.length < MAX_DIAGNOSTICS) this.diags.push(error(span, message));
    else this.dropped++;
  }

  // ---- expressions ------------------------------------------------------------------------

  private evaluate(e: Expr, selfName?: string): Value | undefined {
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
        } else {
          this.err(e.span, `unknown parameter '${e.name}'${suggest(e.name, this.declared.keys())}`);
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
  private origin(e: Expr): string {
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
  private positiveInt(e: Expr | undefined, what: string, max: number): number | undefined {
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
  private list<T>(
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
  private intItem(max: number) {
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

  private factorItem = (v: Value, span: SourceSpan, label: string): number | undefined => {
    if (Array.isArray(v) || !Number.isFinite(v) || v <= 0) {
      this.err(span, `expected a positive number for ${label}, got ${describeValue(v)}`);
      return undefined;
    }
    return v;
  };

  // ---- params -----------------------------------------------------------------------------

  private params(params: ParamStmt[]): void {
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
        this.err(o.nameSpan ?? o.span, `--set ${o.name}: network '${this.decl.name}' has no parameter '${o.name}' (${has})${suggest(o.name, names)}`);
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
      const v = expr === undefined ? undefined : this.evaluate(expr, name);
      this.env.set(name, { value: v, override: o });
    }
  }

  // ---- statements -------------------------------------------------------------------------

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
    const { block, groups } = blockStmt ? this.block(blockStmt) : { block: DEFAULTS.block, groups: undefined };

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
    if (dims && stem && stages && input) this.spatial(input, dims, stem.stride, stages.list);
    if (groups !== undefined && stages) {
      for (const s of stages.list) {
        if (s.channels % groups !== 0) this.err(blockStmt!.option!.name.span, `${s.name}'s ${s.channels} channels are not divisible by groups ${groups}`);
      }
    }
    if (head && !head.fc && stages && classes !== undefined && block) {
      const last = stages.list[stages.list.length - 1];
      const out = head.hidden?.[head.hidden.length - 1] ?? last.channels * (block === 'bottleneck' ? 4 : 1);
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
    if (groups !== undefined && groups > 1) arch.groups = groups;
    const tooBig = networkSizeProblem(arch);
    if (tooBig !== undefined) {
      this.err(stagesStmt!.span, tooBig);
      return undefined;
    }
    return arch;
  }

  /** The block kind and its `groups N` option. */
  private block(s: Extract<Statement, { kind: 'block' }>): { block?: BlockKind; groups?: number } {
    let block: BlockKind | undefined;
    let groups: number | undefined;
    if (s.block) {
      const b = s.block.name;
      const kinds = ['basic', 'bottleneck', 'preact', 'plain'];
      if (kinds.includes(b)) block = b as BlockKind;
      else this.err(s.block.span, `unknown block kind '${b}'; expected ${kinds.join(', ')}${suggest(b, kinds)}`);
    }
    const opt = s.option;
    if (opt) {
      if (opt.name.name !== 'groups' || (block !== undefined && block !== 'bottleneck')) {
        this.err(opt.name.span, `unknown block option '${opt.name.name}'; only bottleneck blocks take one: groups N`);
      } else {
        groups = this.positiveInt(opt.value, 'groups', LIMITS.channels);
      }
    }
    return { block, groups };
  }

  private stem(s: Extract<Statement, { kind: 'stem' }>): ArchIR['stem'] | undefined {
    let kernel: number | undefined;
    if (s.conv) {
      const m = /^conv([0-9]+)x([0-9]+)$/.exec(s.conv.name);
      if (!m) {
        this.err(s.conv.span, `expected the stem convolution as conv<k>x<k> (e.g. conv3x3, conv7x7), got '${s.conv.name}'`);
      } else if (m[1] !== m[2]) {
        this.err(s.conv.span, `the stem kernel must be square, got ${m[1]}x${m[2]}`);
      } else {
        const k = Number(m[1]);
        if (k <= 0) this.err(s.conv.span, `expected a positive stem kernel size, got ${k}`);
        else if (k % 2 === 0) this.err(s.conv.span, `the stem kernel must be odd (padding keeps the size), got ${k}x${k}`);
        else if (k > LIMITS.kernel) this.err(s.conv.span, `the stem kernel ${k}x${k} is above the limit of ${LIMITS.kernel}x${LIMITS.kernel}`);
        else kernel = k;
      }
    }
    const channels = this.positiveInt(s.channels, 'the stem channels', LIMITS.channels);
    const stride = s.stride === undefined ? DEFAULTS.stemStride : this.positiveInt(s.stride, 'the stem stride', LIMITS.stride);
    if (kernel === undefined || channels === undefined || stride === undefined) return undefined;
    return { channels, kernel, stride };
  }

  private stages(
    s: Extract<Statement, { kind: 'stages' }>,
    stemChannels: number | undefined,
  ): { list: StageIR[]; widths?: WidthBasis } | undefined {
    const clauses = new Map<StageClauseName, StageClause>();
    let bad = false;
    for (const c of s.clauses) {
      const first = clauses.get(c.name);
      if (first) {
        this.err(c.keyword, `duplicate '${c.name}' clause in stages (the first is at ${where(first.keyword)})`);
        bad = true;
        continue;
      }
      if ((c.name === 'widths' && clauses.has('channels')) || (c.name === 'channels' && clauses.has('widths'))) {
        this.err(c.keyword, `stages takes either widths (factors from the stem's width) or channels (explicit), not both`);
        bad = true;
        continue;
      }
      clauses.set(c.name, c);
    }
    const depthsClause = clauses.get('depths');
    if (!depthsClause) {
      this.err(s.keyword, `stages needs a depths clause, e.g. \`stages depths [2, 2, 2, 2]\``);
      return undefined;
    }
    const depths = this.list(depthsClause.value, 'depths', undefined, this.intItem(LIMITS.stageDepth), 'positive integers');
    if (!depths) return undefined;
    const n = depths.length;
    if (n > LIMITS.stages) {
      this.err(depthsClause.value!.span, `depths gives ${n} stages, above the limit of ${LIMITS.stages}`);
      return undefined;
    }
    const total = depths.reduce((a, b) => a + b, 0);
    if (total > LIMITS.totalDepth) {
      this.err(depthsClause.value!.span, `depths add up to ${formatLimit(total)} blocks, above the limit of ${formatLimit(LIMITS.totalDepth)} for a network`);
      return undefined;
    }
    const perStage = { n, why: `one per stage; depths gives ${n}` };

    let channels: number[] | undefined;
    let widths: WidthBasis | undefined;
    const widthsClause = clauses.get('widths');
    const channelsClause = clauses.get('channels');
    if (channelsClause) {
      channels = this.list(channelsClause.value, 'channels', perStage, this.intItem(LIMITS.channels), 'positive integers');
    } else {
      let factors: number[] | undefined;
      if (widthsClause) {
        factors = this.listAllowEmpty(widthsClause.value, n - 1, n);
      } else {
        factors = Array.from({ length: n - 1 }, () => DEFAULTS.widthFactor);
      }
      if (factors && stemChannels !== undefined) {
        const out = [stemChannels];
        let formula = String(stemChannels);
        for (let i = 0; i < factors.length; i++) {
          const c = out[i] * factors[i];
          formula += ` x ${formatValue(factors[i])}`;
          if (!integral(c)) {
            this.err(widthsClause!.value!.span, `widths give stage ${stageName(i + 1)} ${formatValue(c)} channels (${formula}); channel counts must be whole numbers`);
            factors = undefined;
            break;
          }
          if (c > LIMITS.channels) {
            this.err((widthsClause ?? depthsClause).value!.span, `widths give stage ${stageName(i + 1)} ${formatValue(c)} channels (${formula}), above the limit of ${formatLimit(LIMITS.channels)}`);
            factors = undefined;
            break;
          }
          out.push(Math.round(c));
        }
        if (factors) {
          channels = out;
          widths = { m: stemChannels, factors };
        }
      }
    }

    let strides: number[] | undefined;
    const stridesClause = clauses.get('strides');
    if (stridesClause) strides = this.list(stridesClause.value, 'strides', perStage, this.intItem(LIMITS.stride), 'positive integers');
    else strides = depths.map((_, i) => (i === 0 ? DEFAULTS.firstStride : DEFAULTS.laterStride));

    if (bad || !channels || !strides) return undefined;
    const list: StageIR[] = depths.map((depth, i) => ({
      name: stageName(i),
      depth,
      channels: channels![i],
      stride: strides![i],
      relu: { ...ORDINARY_RELUS },
    }));
    return widths ? { list, widths } : { list };
  }

  /** widths: exactly stages-1 positive factors (an empty list for a one-stage network). */
  private listAllowEmpty(e: Expr | undefined, count: number, stages: number): number[] | undefined {
    if (e === undefined) return undefined;
    const why = `one factor between each pair of consecutive stages; depths gives ${stages} stage${stages === 1 ? '' : 's'}`;
    if (count === 0) {
      const v = this.evaluate(e);
      if (v === undefined) return undefined;
      if (!Array.isArray(v) || v.length !== 0) {
        this.err(e.span, `widths needs 0 factors (${why}), got ${Array.isArray(v) ? v.length : describeValue(v)}`);
        return undefined;
      }
      return [];
    }
    return this.list(e, 'widths', { n: count, why }, this.factorItem, 'positive numbers');
  }

  private head(h: Extract<Statement, { kind: 'head' }>): ArchIR['head'] | undefined {
    // avgpool | maxpool first, then hidden layers fc(N), then optionally the classifier fc.
    let ok = true;
    let pool: ArchIR['head']['pool'] | undefined;
    let fc = false;
    const hidden: number[] = [];
    h.items.forEach((item, i) => {
      const bad = (why: string) => {
        this.err(item.span, why);
        ok = false;
      };
      if (item.name === 'avgpool' || item.name === 'maxpool') {
        if (i !== 0) bad(`${item.name} must come first in the head`);
        else if (item.size) bad(`${item.name} takes no size (the pooling is global)`);
        else pool = item.name === 'avgpool' ? 'avg' : 'max';
      } else if (item.name === 'fc') {
        if (fc) bad(`the classifier fc must be the last head item`);
        else if (item.size) {
          const width = this.positiveInt(item.size, 'a hidden fc width', LIMITS.channels);
          if (width === undefined) ok = false;
          else hidden.push(width);
        } else fc = true;
      } else {
        bad(`unknown head item '${item.name}'; expected avgpool or maxpool, then fc(N) hidden layers, then optionally fc${suggest(item.name, ['avgpool', 'maxpool', 'fc'])}`);
      }
    });
    if (ok && pool === undefined) {
      this.err(h.span, `the head must start with avgpool or maxpool (global pooling)`);
      ok = false;
    }
    if (!ok || pool === undefined) return undefined;
    return hidden.length > 0 ? { pool, hidden, fc } : { pool, fc };
  }

  private criticality(c: Extract<Statement, { kind: 'criticality' }>, names: string[]): string[] | undefined {
    const seen = new Set<string>();
    let ok = true;
    const range = names.length === 1 ? names[0] : `${names[0]}..${names[names.length - 1]}`;
    for (const s of c.order) {
      if (!names.includes(s.name)) {
        this.err(s.span, `unknown stage '${s.name}' in criticality; the network has ${names.length} stage${names.length === 1 ? '' : 's'} (${range})`);
        ok = false;
      } else if (seen.has(s.name)) {
        this.err(s.span, `stage ${s.name} appears twice in criticality`);
        ok = false;
      }
      seen.add(s.name);
    }
    const missing = names.filter((n) => !seen.has(n));
    if (ok && missing.length > 0) {
      this.err(c.span, `criticality must order every stage (${range}); missing ${missing.join(', ')}`);
      ok = false;
    }
    return ok ? c.order.map((s) => s.name) : undefined;
  }

  /** The activation must divide evenly by every stride on the way down and stay at least 1x1. */
  private spatial(input: Extract<Statement, { kind: 'input' }>, dims: (number | undefined)[], stemStride: number, stages: StageIR[]): void {
    let h = dims[1];
    let w = dims[2];
    if (h === undefined || w === undefined) return;
    const steps: Array<{ where: string; stride: number }> = [
      { where: 'the stem', stride: stemStride },
      ...stages.map((s) => ({ where: `stage ${s.name}`, stride: s.stride })),
    ];
    const shape = `${dims[0]}x${dims[1]}x${dims[2]}`;
    for (const st of steps) {
      if (h % st.stride !== 0 || w % st.stride !== 0) {
        this.err(input.span, `input ${shape} is too small for its strides: ${st.where} gets a ${h}x${w} activation, which stride ${st.stride} does not divide evenly`);
        return;
      }
      h /= st.stride;
      w /= st.stride;
    }
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
