/**
 * The q-quantile of bucket counts (per bucket, not cumulative; the last slot is +Inf), interpolated
 * linearly inside the bucket the way Prometheus' histogram_quantile() does: the lower edge of the
 * first bucket is 0 (or its upper bound when that is negative), and a quantile that falls in +Inf is
 * the highest finite bound. An estimate, exact only to within its bucket. NaN when `total` is 0.
 */
export function bucketQuantile(q: number, bounds: Float64Array, counts: Float64Array, total: number): number {
  if (!(total > 0) || bounds.length === 0) return NaN;
  const rank = q * total;
  let cumulative = 0;
  for (let i = 0; i < counts.length; i++) {
    const inBucket = counts[i] as number;
    if (inBucket > 0 && cumulative + inBucket >= rank) {
      if (i >= bounds.length) return bounds[bounds.length - 1] as number;
      const upper = bounds[i] as number;
      const lower = i === 0 ? Math.min(0, upper) : (bounds[i - 1] as number);
      return lower + ((upper - lower) * (rank - cumulative)) / inBucket;
    }
    cumulative += inBucket;
  }
  return bounds[bounds.length - 1] as number;
}
