/**
 * Nearest-rank percentiles, the definition every number in a report uses: the P-th percentile of
 * n values is the value at rank ⌈P/100 · n⌉ (1-based) in ascending order, and rank 1 (the
 * minimum) for P = 0. It is always one of the observed values, never an interpolation; with one
 * value every percentile is that value, and with none there is no percentile.
 */

/** Most decimals of P for which the rank is computed in exact integer arithmetic. */
const MAX_EXACT_DECIMALS = 9;

/** The 1-based rank of the P-th percentile among `count` values (0 when there are none). */
export function nearestRank(percent: number, count: number): number {
  if (count <= 0) return 0;
  if (!(percent > 0)) return 1;
  if (percent >= 100) return count;
  // P with a few decimals (99, 99.9, 0.07) is P' / 10^k with P' an integer, so the rank is
  // ⌈P'·n / (100·10^k)⌉ exactly, in integers: a floating-point product such as 0.99 · 20000099
  // cannot round a real fraction (19800098.01) onto the integer below it, or an integer onto the
  // one above.
  for (let k = 0, scale = 1; k <= MAX_EXACT_DECIMALS; k++, scale *= 10) {
    const scaled = Math.round(percent * scale);
    if (scaled / scale !== percent) continue;
    const rank = ceilDiv(scaled, count, 100 * scale);
    return Math.min(count, Math.max(1, rank));
  }
  // Any other P (1/3 …): floating point, with an absolute tolerance for a product that lands a
  // hair above an integer.
  const rank = Math.ceil((percent * count) / 100 - 1e-9);
  return Math.min(count, Math.max(1, rank));
}

/** ⌈a·b / d⌉ for non-negative integers, exact even when a·b is past 2^53. */
function ceilDiv(a: number, b: number, d: number): number {
  const product = a * b;
  if (product <= Number.MAX_SAFE_INTEGER) return Math.floor((product + d - 1) / d);
  const big = BigInt(a) * BigInt(b);
  const D = BigInt(d);
  return Number((big + D - 1n) / D);
}

/** The P-th percentile of values sorted ascending; undefined when there are none. */
export function percentileOfSorted(sorted: ArrayLike<number>, percent: number): number | undefined {
  const rank = nearestRank(percent, sorted.length);
  return rank === 0 ? undefined : sorted[rank - 1];
}
