// The reference's batch of activations and the helpers every op's reference shares: plain NCHW
// float32 tensors, written to be obviously right rather than fast.

/** A batch of activations, NCHW, float32, densely packed. */
export interface Tensor {
  n: number;
  c: number;
  h: number;
  w: number;
  data: Float32Array;
}

export function tensor(n: number, c: number, h: number, w: number, data?: Float32Array): Tensor {
  const size = n * c * h * w;
  if (data && data.length !== size) {
    throw new Error(`tensor ${n}x${c}x${h}x${w} needs ${size} values, got ${data.length}`);
  }
  return { n, c, h, w, data: data ?? new Float32Array(size) };
}

/** Visits each element of channels [start, end) of `x`, every image: its flat index, channel and place in the plane. */
export function forChannelRange(x: Tensor, start: number, end: number, visit: (at: number, c: number, i: number) => void): void {
  const plane = x.h * x.w;
  for (let n = 0; n < x.n; n++) {
    for (let c = start; c < end; c++) {
      for (let i = 0; i < plane; i++) visit((n * x.c + c) * plane + i, c, i);
    }
  }
}

export function sameShape(a: Tensor, b: Tensor, what: string): void {
  if (a.n !== b.n || a.c !== b.c || a.h !== b.h || a.w !== b.w) {
    throw new Error(`${what}: shapes ${a.n}x${a.c}x${a.h}x${a.w} and ${b.n}x${b.c}x${b.h}x${b.w} differ`);
  }
}

/** A float64 accumulator rounded once into a tensor. */
export function toF32(n: number, c: number, h: number, w: number, acc: Float64Array): Tensor {
  return tensor(n, c, h, w, Float32Array.from(acc));
}
