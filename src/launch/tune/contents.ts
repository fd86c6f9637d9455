// What a tuning run's buffers start with: the plan's own contents where it has them, zeros where a
// kernel relies on them, and elsewhere uniform noise in [-1, 1) seeded by the buffer's name and size,
// so that every plan of the run hands a kernel the same inputs.

import { SplitMix32 } from '../../util/rng.js';
import type { GroupContents } from './group.js';

/** FNV-1a of a string: a seed from a buffer's key. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Bytes of noise kept for reuse; past it, noise is made again when needed (the same, from its seed). */
const KEEP_BYTES = 256 * 2 ** 20;

export class Contents {
  private readonly noise = new Map<string, Float32Array>();
  private kept = 0;

  constructor(private readonly seed: number) {}

  /** The bytes a buffer of `bytes` described by `c` starts with; undefined for zeros (a new buffer is zeroed). */
  of(c: GroupContents, bytes: number): Float32Array | Uint32Array | Uint16Array | undefined {
    if (c.kind === 'given') return c.data;
    if (c.kind === 'zeros') return undefined;
    let data = this.noise.get(c.key);
    if (!data) {
      const rng = new SplitMix32(hash32(c.key) ^ this.seed);
      data = new Float32Array(Math.ceil(bytes / 4));
      for (let i = 0; i < data.length; i++) data[i] = 2 * rng.next() - 1;
      if (this.kept + data.byteLength <= KEEP_BYTES) {
        this.noise.set(c.key, data);
        this.kept += data.byteLength;
      }
    }
    return data;
  }
}

/**
 * Why `got` is not the profile choice's `want` within `tolerance` (normwise: the largest difference
 * over the largest magnitude of `want`), or undefined when it is.
 */
export function mismatch(want: readonly Float32Array[], got: readonly Float32Array[], tolerance: number): string | undefined {
  if (want.length !== got.length || want.some((w, i) => w.length !== got[i].length)) return 'it writes other ranges than the profile choice';
  for (let r = 0; r < want.length; r++) {
    const w = want[r];
    const g = got[r];
    let scale = 0;
    for (let i = 0; i < w.length; i++) if (Number.isFinite(w[i])) scale = Math.max(scale, Math.abs(w[i]));
    const limit = tolerance * Math.max(scale, 1e-30);
    for (let i = 0; i < w.length; i++) {
      const a = w[i];
      const b = g[i];
      if (a === b || (Number.isNaN(a) && Number.isNaN(b))) continue;
      const d = Math.abs(a - b);
      if (!(d <= limit)) return `its result differs from the profile choice's (element ${i}: ${b} instead of ${a}; tolerance ${limit.toExponential(1)})`;
    }
  }
  return undefined;
}
