/**
 * A fixed-bucket histogram in a typed array: observe is a short scan and two adds (~20–50 ns,
 * against ~550–900 ns through a client library). Counts are per bucket, not cumulative;
 * exposition accumulates them. The last slot is +Inf.
 */
export class Histogram {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  /** Per bucket: the last observation that carried a request id (OpenMetrics exemplars). */
  readonly exemplars: (Exemplar | undefined)[] | undefined;

  constructor(
    readonly bounds: Float64Array,
    withExemplars: boolean,
  ) {
    this.counts = new Float64Array(bounds.length + 1);
    this.exemplars = withExemplars ? new Array<Exemplar | undefined>(bounds.length + 1).fill(undefined) : undefined;
  }

  observe(value: number, exemplarId?: string): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && value > (b[i] as number)) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
    if (exemplarId !== undefined && this.exemplars !== undefined) {
      this.exemplars[i] = { id: exemplarId, value, timestamp: Date.now() / 1000 };
    }
  }
}

export interface Exemplar {
  id: string;
  value: number;
  /** Epoch seconds when it was observed. */
  timestamp: number;
}

/** Bucket upper bounds, validated: finite, strictly increasing. */
export function toBounds(buckets: readonly number[]): Float64Array {
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i] as number;
    if (!Number.isFinite(b)) throw new Error(`bucket ${b} is not finite`);
    if (i > 0 && b <= (buckets[i - 1] as number)) throw new Error(`buckets must increase: ${buckets[i - 1]} then ${b}`);
  }
  return Float64Array.from(buckets);
}
