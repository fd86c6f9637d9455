// The points of a sweep's value space that its runs train: every combination of the axes (a grid),
// the axes' values taken in step (a list), or, for a random search, one draw per trial of every
// axis and sample (distributions.ts). A point sets network params (as `--set` would) and, in a
// search, training settings too.

import type { TrainSettings } from '../train/settings.js';
import { draw, drawStream, sampledSetting } from './distributions.js';
import { axisCombinations, type SweepSpec } from './spec.js';
import { NUMBER_SETTINGS } from './train-rules.js';

export interface SweepPoint {
  /** `NAME=VALUE` texts for the network params, as `--set` takes them. */
  set: string[];
  /** Training settings drawn for this point, over the sweep's own. */
  train: Partial<TrainSettings>;
  /** Everything the point sets, in the order written, for the run's label. */
  shown: string[];
}

/** The stream a `list` sweep's trial picks its index from: not a param name, so never one's stream. */
const LIST_STREAM = ' list';

export function sweepPoints(spec: Pick<SweepSpec, 'mode' | 'axes' | 'search'>): SweepPoint[] {
  const search = spec.search;
  if (!search) return axisCombinations(spec).map((set) => ({ set, train: {}, shown: set }));
  const points: SweepPoint[] = [];
  for (let t = 0; t < search.trials; t++) {
    const point: SweepPoint = { set: [], train: {}, shown: [] };
    const listIndex = spec.axes.length > 0 ? drawStream(search.seed, t, LIST_STREAM).int(spec.axes[0].values.length) : 0;
    for (const a of spec.axes) {
      const value = spec.mode === 'list' ? a.values[listIndex] : a.values[drawStream(search.seed, t, a.param).int(a.values.length)];
      point.set.push(`${a.param}=${value}`);
      point.shown.push(`${a.param}=${value}`);
    }
    for (const s of search.samples) {
      const value = draw(s.distribution, drawStream(search.seed, t, s.param));
      const setting = sampledSetting(s.param);
      if (setting === undefined) point.set.push(`${s.param}=${value}`);
      else (point.train as Record<string, number>)[NUMBER_SETTINGS[setting].field] = Number(value);
      point.shown.push(`${s.param}=${value}`);
    }
    points.push(point);
  }
  return points;
}
