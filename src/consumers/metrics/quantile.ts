import type { Histogram } from './histogram.js';

/**
 * The q-quantile of a bucketed histogram, interpolated linearly inside the bucket the way
 * Prometheus' histogram_quantile() does, so `replay --format summary` agrees with dashboards.
 * An estimate: exact only to within its bucket. Undefined for an empty histogram.
 */
export function histogramQuantile(q: number, h: Histogram): number | undefined {
  if (h.count === 0) return undefined;
  const rank = q * h.count;
  let cumulative = 0;
  for (let i = 0; i < h.counts.length; i++) {
    const inBucket = h.counts[i] as number;
    if (cumulative + inBucket >= rank && inBucket > 0) {
      // Past the last bound there is no upper edge: report the highest finite bound, as Prometheus does.
      if (i === h.bounds.length) return h.bounds[h.bounds.length - 1];
      const upper = h.bounds[i] as number;
      const lower = i === 0 ? Math.min(0, upper) : (h.bounds[i - 1] as number);
      return lower + ((upper - lower) * (rank - cumulative)) / inBucket;
    }
    cumulative += inBucket;
  }
  return h.bounds[h.bounds.length - 1];
}
