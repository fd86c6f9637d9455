// Width helpers shared by the passes that change channel counts (equalize width, alpha, scale).

import { channelsFromBasis, factorTag, type ArchIR, type WidthBasis } from '../ir/arch.js';

/**
 * The network's width basis: the declared one, or one read off explicit channels when every stage
 * is a whole multiple of the one before (m = Stage1's channels). Null when the channels are not.
 */
export function widthBasisOf(net: ArchIR): WidthBasis | null {
  if (net.widths !== undefined) return { m: net.widths.m, factors: [...net.widths.factors] };
  const ch = net.stages.map((s) => s.channels);
  if (ch.length === 0) return null;
  const factors: number[] = [];
  for (let i = 1; i < ch.length; i++) {
    const f = ch[i] / ch[i - 1];
    if (!Number.isInteger(f)) return null;
    factors.push(f);
  }
  return { m: ch[0], factors };
}

/** Sets the width basis and recomputes every stage's channels from it (the stem is left alone). */
export function applyBasis(net: ArchIR, basis: WidthBasis): void {
  net.widths = { m: basis.m, factors: [...basis.factors] };
  const ch = channelsFromBasis(net.widths);
  net.stages.forEach((s, i) => {
    s.channels = ch[i];
  });
}

const TAG = /^(HRN-)((?:[0-9]+x)+)(.*)$/;

/**
 * The network's name with its factor tag replaced: `HRN-5x5x3x` -> `HRN-2x5x3x`. Names without a
 * tag get one appended: `ResNet18` -> `ResNet18-3x2x2x`.
 */
export function retag(name: string, factors: readonly number[]): string {
  const m = TAG.exec(name);
  if (m !== null) return `${m[1]}${factorTag(factors)}${m[3]}`;
  const tail = /^(.*)-((?:[0-9]+x)+)$/.exec(name);
  if (tail !== null) return `${tail[1]}-${factorTag(factors)}`;
  return `${name}-${factorTag(factors)}`;
}
