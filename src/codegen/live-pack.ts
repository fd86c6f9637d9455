// Packing values with known live ranges into shared buffers, for the inference plan (graph pass
// `allocate`) and the training step (training pass `allocate`) alike. A range covers the steps
// (or dispatches) from the first that touches the value to the last; two values share a buffer only
// when their ranges do not overlap. Each value starts at byte 0 of its buffer, so the offsets the
// kernels bind (multiples of WebGPU's 256-byte minStorageBufferOffsetAlignment) keep their meaning
// in the shared buffer, and a buffer is as large as its largest value.
//
// Best fit, in order of first use: the smallest free buffer that holds the value, else the largest
// free one, grown to fit, else a new buffer.

export interface LiveRange {
  /** First step that touches the value. */
  start: number;
  /** Last step that touches it (at least `start`). */
  end: number;
  bytes: number;
  /**
   * Never moves into a buffer another value used before it (its buffer is cleared before the step
   * runs, which would be wrong for a buffer still in use); later values may still use its buffer.
   */
  fresh?: boolean;
}

export interface Packing {
  /** Buffer index of each range, by the ranges' order. */
  bufferOf: number[];
  /** Bytes of each buffer, numbered in the order they were opened. */
  bytes: number[];
}

/** Buffers for `ranges`; with `reuse` false every range gets one of its own. */
export function packLiveRanges(ranges: readonly LiveRange[], reuse: boolean): Packing {
  const bufferOf: number[] = new Array<number>(ranges.length);
  const bytes: number[] = [];
  const busyUntil: number[] = [];
  const order = ranges.map((_, i) => i).sort((a, b) => ranges[a].start - ranges[b].start || a - b);
  for (const i of order) {
    const r = ranges[i];
    let chosen: number | undefined;
    if (reuse && !r.fresh) {
      const free = bytes.map((_, b) => b).filter((b) => busyUntil[b] < r.start);
      const fits = free.filter((b) => bytes[b] >= r.bytes).sort((a, b) => bytes[a] - bytes[b]);
      if (fits.length > 0) chosen = fits[0];
      else if (free.length > 0) {
        chosen = free.sort((a, b) => bytes[b] - bytes[a])[0];
        bytes[chosen] = r.bytes;
      }
    }
    if (chosen === undefined) {
      chosen = bytes.length;
      bytes.push(r.bytes);
    }
    bufferOf[i] = chosen;
    busyUntil[chosen] = r.end;
  }
  return { bufferOf, bytes };
}
