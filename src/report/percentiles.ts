/**
 * Nearest-rank percentiles, the definition every number in a report uses: the P-th percentile of
 * n values is the value at rank ⌈P/100 · n⌉ (1-based) in ascending order, and rank 1 (the
 * minimum) for P = 0. It is always one of the observed values, never an interpolation; with one
 * value every percentile is that value, and with none there is no percentile.
 */

/** The 1-based rank of the P-th percentile among `count` values (0 when there are none). */
export function nearestRank(percent: number, count: number): number {
  if (count <= 0) return 0;
  if (!(percent > 0)) return 1;
  if (percent >= 100) return count;
  const exact = (percent * count) / 100;
  // P·n/100 can land a hair above an integer in binary floating point (0.07 · 100 = 7.000000000000001);
  // such a product stands for that integer, whose ceiling is itself.
  const nearest = Math.round(exact);
  const rank = Math.abs(exact - nearest) <= 1e-9 * Math.max(1, exact) ? nearest : Math.ceil(exact);
  return Math.min(count, Math.max(1, rank));
}

/** The P-th percentile of values sorted ascending; undefined when there are none. */
export function percentileOfSorted(sorted: ArrayLike<number>, percent: number): number | undefined {
  const rank = nearestRank(percent, sorted.length);
  return rank === 0 ? undefined : sorted[rank - 1];
}
