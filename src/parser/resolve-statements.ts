// The statements of a network that have structure of their own: block, stem, stages, head and
// criticality, plus the spatial check that needs the stem and the stages together.

import {
  BLOCK_KINDS,
  HEAD_ITEMS,
  ORDINARY_RELUS,
  stageName,
  type ArchIR,
  type BlockKind,
  type StageIR,
  type WidthBasis,
} from '../ir/arch.js';
import type { Expr, StageClause, StageClauseName, Statement } from './ast.js';
import { ParamEvaluator } from './evaluate.js';
import { formatLimit, LIMITS } from './limits.js';
import { describeValue, formatValue, integral, where } from './values.js';
import { didYouMean } from '../util/suggest.js';


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

export class StatementChecker extends ParamEvaluator {
  /** The block kind and its `groups N` option. */
  protected block(s: Extract<Statement, { kind: 'block' }>): { block?: BlockKind; groups?: number } {
    let block: BlockKind | undefined;
    let groups: number | undefined;
    if (s.block) {
      const b = s.block.name;
      const kinds: readonly string[] = BLOCK_KINDS;
      if (kinds.includes(b)) block = b as BlockKind;
      else this.err(s.block.span, `unknown block kind '${b}'; expected ${kinds.join(', ')}${didYouMean(b, kinds)}`);
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

  protected stem(s: Extract<Statement, { kind: 'stem' }>): ArchIR['stem'] | undefined {
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

  protected stages(
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
  protected listAllowEmpty(e: Expr | undefined, count: number, stages: number): number[] | undefined {
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

  protected head(h: Extract<Statement, { kind: 'head' }>): ArchIR['head'] | undefined {
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
        bad(`unknown head item '${item.name}'; expected avgpool or maxpool, then fc(N) hidden layers, then optionally fc${didYouMean(item.name, HEAD_ITEMS)}`);
      }
    });
    if (ok && pool === undefined) {
      this.err(h.span, `the head must start with avgpool or maxpool (global pooling)`);
      ok = false;
    }
    if (!ok || pool === undefined) return undefined;
    return hidden.length > 0 ? { pool, hidden, fc } : { pool, fc };
  }

  protected criticality(c: Extract<Statement, { kind: 'criticality' }>, names: string[]): string[] | undefined {
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
  protected spatial(input: Extract<Statement, { kind: 'input' }>, dims: (number | undefined)[], stemStride: number, stages: StageIR[]): void {
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
