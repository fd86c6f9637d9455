// Tick marks for the report's value axes: a step of 1, 2 or 5 times a power of ten, about five
// ticks over the data, and as many decimals as that step needs, so no two labels read the same
// however narrow the range (Vega's own '.0%' labels said "10%, 10%, 11%, 11%" for accuracies
// between 10% and 11.5%, and a loss that did not vary was labelled "1.000000"). Accuracies are
// fractions shown as percentages.

export interface Ticks {
  /** The tick values, ascending. */
  values: number[];
  /** A d3 format for them, e.g. '.1%' or '.2f'. */
  format: string;
  /** The axis' extent: the first tick at or below the data to the first at or above it. */
  domain: [number, number];
  /** Decimals of the labels (of the percentage, for accuracies). */
  decimals: number;
}

/** About this many intervals between ticks. */
const INTERVALS = 5;

/** The nice step (1, 2 or 5 times a power of ten) nearest above `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

/** Ticks over `lo`..`hi`; `percent` labels them as percentages of 1. */
export function niceTicks(lo: number, hi: number, percent = false): Ticks {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) throw new Error(`ticks: bad range ${lo}..${hi}`);
  // A single value still gets an axis around it: a point either side of an accuracy, a tenth of a loss.
  const span = hi > lo ? hi - lo : percent ? 0.02 : Math.max(Math.abs(lo) * 0.2, 0.02);
  const mid = (lo + hi) / 2;
  const [from, to] = hi > lo ? [lo, hi] : [mid - span / 2, mid + span / 2];
  const step = niceStep(span / INTERVALS);
  // Decimals of the step as labelled: 0.002 is 0.2% (one), 0.05 is 5% (none); 0.02 is 0.02 (two).
  const shown = percent ? step * 100 : step;
  const decimals = Math.max(0, Math.ceil(-Math.log10(shown) - 1e-9));
  const first = Math.floor(from / step + 1e-9);
  const last = Math.max(first + 1, Math.ceil(to / step - 1e-9));
  const values: number[] = [];
  // Rounded to the step's precision, so 3 * 0.1 is 0.3 and the labels come out as written.
  for (let k = first; k <= last; k++) values.push(Number((k * step).toFixed(decimals + (percent ? 2 : 0) + 1)));
  return { values, format: percent ? `.${decimals}%` : `.${decimals}f`, domain: [values[0], values[values.length - 1]], decimals };
}

/** Ticks for accuracies (fractions) from `lo` to `hi`, labelled as percentages. */
export function accuracyTicks(lo: number, hi: number): Ticks {
  return niceTicks(lo, hi, true);
}
