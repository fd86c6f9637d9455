// `scale F`: DeepReDuce's channel scaling (Algorithm 2 line 6, ScaleCh): every stage's channels and
// the stem's are multiplied by F (0.5 halves the network's width and ReLUs, and quarters most of
// its FLOPs). Every scaled count must be a whole number, else a diagnostic lists those that are not.
// A width basis scales with it (m -> m*F, factors unchanged).

import { checkReshaped } from './reshape-checks.js';
import { cloneArch, definePass, expectArgCount, fail, numberArg } from './types.js';

export const scalePass = definePass<{ f: number; text: string }>({
  name: 'scale',
  summary: 'channel scaling (DeepReDuce; Algorithm 2): multiply every stage and the stem by F',
  usage: 'scale F   (e.g. scale 0.5)',
  parse(args, ctx) {
    expectArgCount(args, 1, ctx, this.usage);
    return { f: numberArg(args[0], 'the scale factor'), text: args[0].text };
  },
  apply(net, { f, text }, ctx) {
    const span = ctx.step.args[ctx.step.args.length - 1]?.span ?? ctx.step.span;
    const scaled = (c: number) => Math.round(c * f * 1e9) / 1e9;
    const bad: string[] = [];
    const check = (what: string, c: number) => {
      const v = scaled(c);
      if (!Number.isInteger(v) || v < 1) bad.push(`${what} ${c} -> ${v}`);
    };
    check('stem', net.stem.channels);
    for (const s of net.stages) check(s.name, s.channels);
    if (net.widths !== undefined) check('m', net.widths.m);
    if (bad.length > 0) fail(span, `scale ${text}: ${net.name} would get channel counts that are not whole numbers: ${bad.join(', ')}`);
    const out = cloneArch(net);
    out.stem.channels = scaled(net.stem.channels);
    for (const s of out.stages) s.channels = scaled(s.channels);
    if (out.widths !== undefined) out.widths.m = scaled(out.widths.m);
    checkReshaped(out, `scale ${text}`, span);
    return [out];
  },
});
