// The Pareto front of (cost, accuracy) points: a point is on it when no other point costs no more
// and is strictly more accurate, or costs strictly less and is no less accurate.

export interface CostPoint {
  id: string;
  /** Cost (ReLUs): lower is better. */
  x: number;
  /** Accuracy: higher is better. */
  y: number;
}

export function paretoFront(points: CostPoint[]): Set<string> {
  const front = new Set<string>();
  for (const p of points) {
    const dominated = points.some((q) => q !== p && q.x <= p.x && q.y >= p.y && (q.x < p.x || q.y > p.y));
    if (!dominated) front.add(p.id);
  }
  return front;
}
