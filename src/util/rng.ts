// A small seeded PRNG (splitmix32), shared by data order and augmentation and by weight initialization.
//
// State is one unsigned 32-bit integer, advanced by the golden-ratio increment 0x9e3779b9 and
// passed through the MurmurHash3 finalizer (Steele, Lea & Flood, "Fast splittable pseudorandom
// number generators", 2014; the 32-bit variant with Murmur3's fmix32 constants). Period 2^32, the
// same sequence on every platform, and the whole state is a number: `state` saves it and
// `new SplitMix32(0).setState(s)` (or `SplitMix32.fromState`) restores it, for checkpoints.
//
// Data order and augmentation derive their streams with `deriveSeed(seed, ...keys)`, so a batch
// is a pure function of (seed, epoch, batch index) and a resumed run sees the same batches.

const GOLDEN = 0x9e3779b9;

/** MurmurHash3's 32-bit finalizer: a bijection on u32 with good avalanche. */
export function fmix32(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** A seed for an independent stream, from a base seed and any number of integer keys. */
export function deriveSeed(seed: number, ...keys: number[]): number {
  let h = fmix32((seed >>> 0) ^ 0x2545f491);
  for (const k of keys) h = fmix32((h + GOLDEN + fmix32(k >>> 0)) >>> 0);
  return h;
}

export class SplitMix32 {
  private s: number;
  /** Box-Muller makes normals in pairs; the second waits here. */
  private spare: number | undefined;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  static fromState(state: number): SplitMix32 {
    return new SplitMix32(0).setState(state);
  }

  /** The whole generator state (an unsigned 32-bit integer). */
  get state(): number {
    return this.s;
  }

  setState(state: number): this {
    if (!Number.isInteger(state) || state < 0 || state > 0xffffffff) {
      throw new Error(`SplitMix32: state must be an unsigned 32-bit integer, got ${state}`);
    }
    this.s = state >>> 0;
    this.spare = undefined;
    return this;
  }

  nextU32(): number {
    this.s = (this.s + GOLDEN) >>> 0;
    return fmix32(this.s);
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n), n <= 2^32; bias below n / 2^32 (nothing for the sizes used here). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  fillNormal(out: Float32Array, std: number, mean = 0): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  fillUniform(out: Float32Array, lo: number, hi: number): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.uniform(lo, hi);
    return out;
  }

  /** Fisher-Yates, in place. */
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}
