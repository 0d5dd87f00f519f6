import { GrowableFloat64Array } from './growable-array.js';
import { LogSketch } from './log-sketch.js';
import { percentileOfSorted } from './percentiles.js';

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

/**
 * The values of one metric (of one model): kept exactly in a growable Float64Array, percentiles by
 * nearest rank after an in-place sort; or, once the budget is spent, in a LogSketch (percentiles
 * within its relative error). Count, sum, mean, min and max are exact either way.
 */
export class Distribution {
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
    const none = this.count === 0;
    const p = (percent: number) => (none ? null : (this.percentile(percent) ?? null));
    return {
      count: this.count,
      sum: this.sum,
      mean: none ? null : this.sum / this.count,
      min: none ? null : this.min,
      max: none ? null : this.max,
      p50: p(50),
      p95: p(95),
      p99: p(99),
    };
  }

  /** The values of several distributions together (for "all models"), outside any budget. */
  static combine(parts: readonly Distribution[], relativeError = SKETCH_RELATIVE_ERROR): Distribution {
    const all = new Distribution(undefined, relativeError);
    if (parts.some((p) => !p.exact)) all.toSketch();
    for (const p of parts) {
      all.count += p.count;
      all.sum += p.sum;
      all.min = Math.min(all.min, p.min);
      all.max = Math.max(all.max, p.max);
      if (all.values !== undefined && p.values !== undefined) all.values.append(p.values);
      else if (p.sketch !== undefined) (all.sketch as LogSketch).merge(p.sketch);
      else if (p.values !== undefined) for (const v of p.values.view()) (all.sketch as LogSketch).add(v);
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
