// ReLU-reuse lowering (paper §4.2, Figure 9). The paper publishes no code, so the wiring here is
// ours; docs/passes.md draws it. One conv unit (conv, bn, optional residual add, ReLU; see
// conv-unit.ts) with C output channels under reuse factor N becomes:
//
//   x (Cin) --slice--> xR (Cin/4)          xL (Cin - Cin/4 - Cin/N)       xA (Cin/N)
//                        |                   |                              |
//            identity, or a 1x1 projection   kxk conv (linear group)        kxk conv (activated group)
//            when the shape changes          |                              |
//                        yR (C/4)            yL (C - C/4 - C/N)             yA (C/N)
//                        |                   |                              |
//                        |                   +-- 1x1 conv L -> C/N -------> (+)  Res2Net-style shortcut
//                        |                   |                              |
//                        +------------------ concat [yR, yL, yA + carry] ---+
//                                                   |
//                                                  bn
//                                                   |
//                                   ReLU on the last C/N channels only (the activated group)
//                                                   |
//                                   1x1 conv C -> C (mixes the reused, linear and activated groups)
//                                                   |
//                                                  bn  (+ the residual shortcut when the unit has one)
//
// So the unit keeps ReLUs on exactly C/N of its C channels whatever N is; the channels fall into
// three groups (a reused quarter, an activated 1/N share, the linear rest) instead of N groups, as
// §4.2 describes; the grouped kxk convolutions cost (L^2 + A^2) / C^2 of the dense one (the reused
// quarter is passed through, as Res2Net's first split is), the carry L*A / (k^2 C^2) and the 1x1
// mix 1/k^2 of it.
// When the unit ends in a residual add, the add comes after the mix and no ReLU follows it: the
// unit's nonlinearity is the one on the activated group.
//
// A unit whose input channels cannot be split the same way (Cin not divisible by 4 and N: the stem,
// which reads the 3-channel image) keeps its dense convolution and only narrows its ReLU to the
// last C/N channels; there are no groups to reuse in an image.

import type { GraphBuilder } from './builder.js';

/** A conv unit as reuse lowering reads it (conv-unit.ts's ConvUnitSpec adds whether its ReLU survived). */
export interface UnitShape {
  /** Name prefix of the unit's nodes, e.g. `S2.b1`. */
  prefix: string;
  /** The unit's suffix number within its block: conv1/bn1/relu1 for 1. */
  index: number;
  region: string;
  input: number;
  outChannels: number;
  kernel: number;
  stride: number;
  /** A node added after batch norm and before the activation (the residual shortcut). */
  residual?: number;
  /** ReLU-reuse factor N of the stage; 1 for ordinary ReLUs. */
  reuse: number;
}

/** Channel groups of a reuse layer with `channels` channels and factor `n`. */
export interface ReuseGroups {
  /** The reused quarter (passed through). */
  reused: number;
  /** Channels processed by convolution only. */
  linear: number;
  /** The activated 1/N share, last in channel order. */
  active: number;
}

/** Why `channels` cannot be split for reuse factor `n`, or null when it can. */
export function reuseSplitProblem(channels: number, n: number): string | null {
  if (!Number.isInteger(n) || n < 2) return `the reuse factor must be a whole number of at least 2 (1 means no reuse)`;
  const bad: string[] = [];
  if (channels % 4 !== 0) bad.push('4 (the reused quarter)');
  if (channels % n !== 0) bad.push(`${n} (the activated 1/${n} share)`);
  if (bad.length > 0) return `${channels} channels are not divisible by ${bad.join(' and ')}`;
  return null;
}

export function reuseGroups(channels: number, n: number): ReuseGroups {
  const why = reuseSplitProblem(channels, n);
  if (why !== null) throw new Error(`ReLU-reuse: ${why}`);
  const reused = channels / 4;
  const active = channels / n;
  return { reused, linear: channels - reused - active, active };
}

export function emitReuseUnit(b: GraphBuilder, u: UnitShape): number {
  const n = u.reuse;
  const name = (s: string) => `${u.prefix}.${s}`;
  const region = u.region;
  const out = reuseGroups(u.outChannels, n); // throws with the unit's channels when not divisible
  const inShape = b.shape(u.input);
  const pad = Math.floor(u.kernel / 2);
  const conv = (input: number, outChannels: number, suffix: string, kernel: number, stride: number) =>
    b.add({
      op: 'conv', name: name(suffix), region, input, outChannels, kernel, stride,
      pad: Math.floor(kernel / 2), groups: 1, bias: false,
    });

  let pre: number;
  if (reuseSplitProblem(inShape.c, n) !== null) {
    // Dense fallback (the stem): nothing to split on the input side.
    const c = b.add({
      op: 'conv', name: name(`conv${u.index}`), region, input: u.input, outChannels: u.outChannels,
      kernel: u.kernel, stride: u.stride, pad, groups: 1, bias: false,
    });
    let x = b.add({ op: 'bn', name: name(`bn${u.index}`), region, input: c });
    if (u.residual !== undefined) x = b.add({ op: 'add', name: name('add'), region, inputs: [x, u.residual] });
    return b.add({
      op: 'relu', name: name(`relu${u.index}`), region, input: x,
      start: u.outChannels - out.active, end: u.outChannels,
    });
  }

  const inG = reuseGroups(inShape.c, n);
  const slice = (start: number, end: number, suffix: string) =>
    b.add({ op: 'slice', name: name(`split${u.index}.${suffix}`), region, input: u.input, start, end });
  const xR = slice(0, inG.reused, 'reused');
  const xL = slice(inG.reused, inG.reused + inG.linear, 'linear');
  const xA = slice(inG.reused + inG.linear, inShape.c, 'active');

  // The reused quarter passes through; when the unit changes the shape, a 1x1 projection (as on a
  // residual shortcut) brings it to C/4 channels at the output resolution.
  const yR = inG.reused === out.reused && u.stride === 1
    ? xR
    : conv(xR, out.reused, `conv${u.index}.reused`, 1, u.stride);
  const yL = conv(xL, out.linear, `conv${u.index}.linear`, u.kernel, u.stride);
  const yA = conv(xA, out.active, `conv${u.index}.active`, u.kernel, u.stride);

  // Res2Net-style shortcut: the earlier groups' features feed the activated group.
  // The linear group's features reach the activated group through a 1x1 convolution (L -> A
  // channels): the groups differ in width, so they are projected, not sliced. This is also what
  // brings the FLOPs to the paper's (docs/passes.md, "FLOPs against the paper").
  const earlier = b.add({ op: 'concat', name: name(`cat${u.index}.earlier`), region, inputs: [yR, yL] });
  const carried = conv(yL, out.active, `cat${u.index}.carry`, 1, 1);
  const zA = b.add({ op: 'add', name: name(`cat${u.index}.shortcut`), region, inputs: [yA, carried] });
  pre = b.add({ op: 'concat', name: name(`cat${u.index}`), region, inputs: [earlier, zA] });

  pre = b.add({ op: 'bn', name: name(`bn${u.index}`), region, input: pre });
  const act = b.add({
    op: 'relu', name: name(`relu${u.index}`), region, input: pre,
    start: u.outChannels - out.active, end: u.outChannels,
  });
  const mix = conv(act, u.outChannels, `mix${u.index}`, 1, 1);
  let y = b.add({ op: 'bn', name: name(`mix${u.index}.bn`), region, input: mix });
  if (u.residual !== undefined) y = b.add({ op: 'add', name: name('add'), region, inputs: [y, u.residual] });
  return y;
}
