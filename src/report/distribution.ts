import { GrowableFloat64Array } from './growable-array.js';
import { LogSketch } from './log-sketch.js';
import { nearestRank, percentileOfSorted } from './percentiles.js';

/** The percentiles every report distribution shows. */
export const REPORT_PERCENTILES = [50, 95, 99] as const;

/** Default relative error of the sketches distributions switch to past the exact-value budget. */
export const SKETCH_RELATIVE_ERROR = 0.01;

/**
 * How many values all exact distributions together may hold (8 bytes each). Past it, every
 * distribution switches to a relative-error sketch at once, so a report is either exact
 * everywhere or approximate everywhere, and says which.
 */
export class ExactValueBudget {
  held = 0;
  exceeded = false;
  private readonly members: Distribution[] = [];

  constructor(
    readonly limit: number,
    readonly relativeError = SKETCH_RELATIVE_ERROR,
  ) {}

  register(d: Distribution): void {
    this.members.push(d);
  }

  /** Called by a distribution that took the held count past the limit. */
  spill(): void {
    this.exceeded = true;
    for (const d of this.members) d.toSketch();
    this.held = 0;
  }
}

export interface DistributionSummary {
  count: number;
  sum: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** What a report reads of a distribution: one model's, or several together (Distribution.combine). */
export interface DistributionView {
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  readonly exact: boolean;
  percentile(percent: number): number | undefined;
  /** Every value with its count (bucket representatives for a sketch); ascending within one distribution. */
  forEachValue(callback: (value: number, count: number) => void): void;
  summary(): DistributionSummary;
}

function summarize(d: DistributionView): DistributionSummary {
  const none = d.count === 0;
  const p = (percent: number) => (none ? null : (d.percentile(percent) ?? null));
  return {
    count: d.count,
    sum: d.sum,
    mean: none ? null : d.sum / d.count,
    min: none ? null : d.min,
    max: none ? null : d.max,
    p50: p(50),
    p95: p(95),
    p99: p(99),
  };
}

/**
 * The values of one metric (of one model): kept exactly in a growable Float64Array, percentiles by
 * nearest rank after an in-place sort; or, once the budget is spent, in a LogSketch (percentiles
 * within its relative error). Count, sum, mean, min and max are exact either way.
 */
export class Distribution implements DistributionView {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  private values: GrowableFloat64Array | undefined;
  private sketch: LogSketch | undefined;
  private sorted = false;

  constructor(
    private readonly budget: ExactValueBudget | undefined,
    private readonly relativeError = budget?.relativeError ?? SKETCH_RELATIVE_ERROR,
  ) {
    budget?.register(this);
    if (budget?.exceeded === true) this.sketch = new LogSketch(this.relativeError);
    else this.values = new GrowableFloat64Array(16);
  }

  get exact(): boolean {
    return this.sketch === undefined;
  }

  add(value: number): void {
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    const values = this.values;
    if (values !== undefined) {
      values.push(value);
      this.sorted = false;
      if (this.budget !== undefined && ++this.budget.held > this.budget.limit) this.budget.spill();
    } else {
      (this.sketch as LogSketch).add(value);
    }
  }

  /** Move the exact values into a sketch and free them. */
  toSketch(): void {
    if (this.values === undefined) return;
    const sketch = new LogSketch(this.relativeError);
    for (const v of this.values.view()) sketch.add(v);
    this.sketch = sketch;
    this.values = undefined;
  }

  percentile(percent: number): number | undefined {
    if (this.values === undefined) return (this.sketch as LogSketch).percentile(percent);
    return percentileOfSorted(this.sortedValues(), percent);
  }

  /** Ascending (value, count) pairs: every value when exact, bucket representatives otherwise. */
  forEachValue(callback: (value: number, count: number) => void): void {
    if (this.values === undefined) {
      (this.sketch as LogSketch).forEachValue(callback);
      return;
    }
    for (const v of this.sortedValues()) callback(v, 1);
  }

  summary(): DistributionSummary {
    return summarize(this);
  }

  /**
   * The values of several distributions together (for "all models"), without copying a value: one
   * distribution is itself; several exact ones are read in place by selection over their sorted
   * arrays (CombinedDistribution), so the report's peak memory stays the budget's. Only when the
   * parts are sketches (past the budget) is a merged sketch built, whose size is bounded by the
   * range of the values, not their number.
   */
  static combine(parts: readonly Distribution[], relativeError = SKETCH_RELATIVE_ERROR): DistributionView {
    if (parts.length === 1) return parts[0] as Distribution;
    if (parts.every((p) => p.exact)) return new CombinedDistribution(parts.map((p) => () => p.sortedValues()), parts);
    const all = new Distribution(undefined, relativeError);
    all.toSketch();
    const sketch = all.sketch as LogSketch;
    for (const p of parts) {
      all.count += p.count;
      all.sum += p.sum;
      all.min = Math.min(all.min, p.min);
      all.max = Math.max(all.max, p.max);
      if (p.sketch !== undefined) sketch.merge(p.sketch);
      else if (p.values !== undefined) for (const v of p.values.view()) sketch.add(v);
    }
    return all;
  }

  private sortedValues(): Float64Array {
    const values = this.values as GrowableFloat64Array;
    if (!this.sorted) {
      values.sort();
      this.sorted = true;
    }
    return values.view();
  }
}

/**
 * Several exact distributions read as one, holding no value of its own: a nearest-rank percentile
 * is the value of rank r among all of them, found by selection over the parts' sorted arrays
 * (each sorted in place, once). Each round takes the weighted median of the medians of what is
 * left of every array as a pivot, counts the values below and at it by binary search in each, and
 * keeps only the side that holds rank r: at least a quarter of what is left goes each round, so a
 * percentile costs O(k · log n) binary searches for k parts of n values — no copy, no merge.
 */
export class CombinedDistribution implements DistributionView {
  readonly exact = true;
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;

  constructor(
    /** Each part's values sorted ascending (sorting in place when needed). */
    private readonly sortedParts: readonly (() => Float64Array)[],
    parts: readonly { count: number; sum: number; min: number; max: number }[],
  ) {
    let count = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const p of parts) {
      count += p.count;
      sum += p.sum;
      min = Math.min(min, p.min);
      max = Math.max(max, p.max);
    }
    this.count = count;
    this.sum = sum;
    this.min = min;
    this.max = max;
  }

  percentile(percent: number): number | undefined {
    const rank = nearestRank(percent, this.count);
    return rank === 0 ? undefined : selectRank(this.sortedParts.map((part) => part()), rank);
  }

  /** Every value once, each part's ascending in turn (not one ascending order across parts). */
  forEachValue(callback: (value: number, count: number) => void): void {
    for (const part of this.sortedParts) for (const v of part()) callback(v, 1);
  }

  summary(): DistributionSummary {
    return summarize(this);
  }
}

/** The value of 1-based rank `rank` among the values of arrays each sorted ascending. */
export function selectRank(parts: readonly Float64Array[], rank: number): number {
  const k = parts.length;
  // What is left of each array: [lo, hi). Everything before lo is below the answer, everything
  // from hi on above it, so counts within the window plus lo are counts over the whole array.
  const lo = new Array<number>(k).fill(0);
  const hi = parts.map((p) => p.length);
  const medians: { value: number; weight: number }[] = [];
  for (;;) {
    medians.length = 0;
    let left = 0;
    for (let j = 0; j < k; j++) {
      const weight = (hi[j] as number) - (lo[j] as number);
      if (weight <= 0) continue;
      medians.push({ value: (parts[j] as Float64Array)[((lo[j] as number) + (hi[j] as number)) >>> 1] as number, weight });
      left += weight;
    }
    if (left === 0) throw new RangeError(`rank ${rank} out of range`);
    medians.sort((a, b) => a.value - b.value);
    let pivot = (medians[0] as { value: number }).value;
    for (let i = 0, seen = 0; i < medians.length; i++) {
      const m = medians[i] as { value: number; weight: number };
      seen += m.weight;
      if (2 * seen >= left) {
        pivot = m.value;
        break;
      }
    }
    let below = 0;
    let atOrBelow = 0;
    const lower: number[] = [];
    const upper: number[] = [];
    for (let j = 0; j < k; j++) {
      const part = parts[j] as Float64Array;
      const l = lowerBound(part, pivot, lo[j] as number, hi[j] as number);
      const u = upperBound(part, pivot, l, hi[j] as number);
      lower.push(l);
      upper.push(u);
      below += l;
      atOrBelow += u;
    }
    if (rank <= below) for (let j = 0; j < k; j++) hi[j] = lower[j] as number;
    else if (rank > atOrBelow) for (let j = 0; j < k; j++) lo[j] = upper[j] as number;
    else return pivot;
  }
}

/** First index in [from, to) whose value is not below x. */
function lowerBound(a: Float64Array, x: number, from: number, to: number): number {
  while (from < to) {
    const mid = (from + to) >>> 1;
    if ((a[mid] as number) < x) from = mid + 1;
    else to = mid;
  }
  return from;
}

/** First index in [from, to) whose value is above x. */
function upperBound(a: Float64Array, x: number, from: number, to: number): number {
  while (from < to) {
    const mid = (from + to) >>> 1;
    if ((a[mid] as number) <= x) from = mid + 1;
    else to = mid;
  }
  return from;
}
