import type { RequestSeries } from '../../consumers/metrics/request-metrics.js';

/**
 * One request histogram (by its index in REQUEST_HISTOGRAMS) summed over every series, and what
 * changed since the previous sample: bucket counts, count and sum. Every series of one histogram
 * shares its bounds (they come from the configuration), so the sums line up bucket by bucket.
 * Its arrays are allocated once, when the histogram is first seen, and reused.
 */
export class HistogramDelta {
  bounds: Float64Array | undefined;
  /** Per-bucket observations between the last two samples. */
  counts: Float64Array = new Float64Array(0);
  count = 0;
  sum = 0;
  private previous: Float64Array = new Float64Array(0);
  private current: Float64Array = new Float64Array(0);
  private previousCount = 0;
  private previousSum = 0;
  private primed = false;

  constructor(private readonly index: number) {}

  /**
   * Sums the series now and keeps the difference from the last call. Returns false on the first
   * call (nothing to compare with yet) and when a total went down, which counters never do
   * unless the aggregate was replaced: the caller records a gap.
   */
  update(series: readonly RequestSeries[]): boolean {
    let total = 0;
    let sum = 0;
    let any = false;
    for (const s of series) {
      const h = s.histograms[this.index];
      if (h === undefined) continue;
      if (this.bounds === undefined) this.allocate(h.bounds);
      if (!any) this.current.fill(0);
      any = true;
      const c = h.counts;
      for (let i = 0; i < c.length; i++) this.current[i]! += c[i] as number;
      total += h.count;
      sum += h.sum;
    }
    if (!any) this.current.fill(0);
    const wasPrimed = this.primed;
    this.primed = true;
    let ok = wasPrimed && total >= this.previousCount;
    for (let i = 0; ok && i < this.current.length; i++) {
      const d = (this.current[i] as number) - (this.previous[i] as number);
      if (d < 0) ok = false;
      else this.counts[i] = d;
    }
    this.count = ok ? total - this.previousCount : 0;
    this.sum = ok ? sum - this.previousSum : 0;
    if (!ok) this.counts.fill(0);
    // Swap instead of copy: the current totals become the baseline of the next sample.
    [this.previous, this.current] = [this.current, this.previous];
    this.previousCount = total;
    this.previousSum = sum;
    return ok;
  }

  private allocate(bounds: Float64Array): void {
    this.bounds = bounds;
    const n = bounds.length + 1;
    // A histogram that appears after the first sample starts from zero, which is what it held then.
    this.previous = new Float64Array(n);
    this.current = new Float64Array(n);
    this.counts = new Float64Array(n);
  }
}
