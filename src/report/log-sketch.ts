import { nearestRank } from './percentiles.js';

/** Values at or below this are counted as 0 (a 0-token completion, a latency logged as 0). */
const ZERO_THRESHOLD = 1e-9;

/**
 * A relative-error quantile sketch (the log-bucket scheme of DDSketch, Masson et al., VLDB 2019):
 * bucket i counts the values in (γ^(i-1), γ^i] with γ = (1+α)/(1-α), and stands for them by
 * 2γ^i/(γ+1), which is within a relative error α of each. The k-th smallest value lies in the
 * bucket where the running count first reaches k, so a nearest-rank percentile read from the
 * sketch is within α (relative) of the exact one. Memory is a dense array over the buckets in use:
 * with α = 1 %, about 115 buckets (8 bytes each) per factor of 10 between the smallest and largest
 * value, whatever the number of values. Sketches with the same α merge exactly.
 */
export class LogSketch {
  private readonly lnGamma: number;
  private readonly gamma: number;
  private counts = new Float64Array(0);
  /** Bucket index of counts[0]. */
  private offset = 0;
  private zeroCount = 0;
  count = 0;

  constructor(readonly relativeError = 0.01) {
    if (!(relativeError > 0 && relativeError < 1)) throw new RangeError('relative error must be in (0, 1)');
    this.gamma = (1 + relativeError) / (1 - relativeError);
    this.lnGamma = Math.log(this.gamma);
  }

  add(value: number, times = 1): void {
    this.count += times;
    if (!(value > ZERO_THRESHOLD)) {
      this.zeroCount += times;
      return;
    }
    const index = Math.ceil(Math.log(value) / this.lnGamma);
    let slot = index - this.offset;
    if (slot < 0 || slot >= this.counts.length) slot = this.makeRoom(index);
    this.counts[slot]! += times;
  }

  /** Add every value counted by `other` (same relative error). */
  merge(other: LogSketch): void {
    if (other.relativeError !== this.relativeError) throw new Error('cannot merge sketches with different relative errors');
    if (other.zeroCount > 0) this.add(0, other.zeroCount);
    other.forEachBucket((index, n) => {
      let slot = index - this.offset;
      if (slot < 0 || slot >= this.counts.length) slot = this.makeRoom(index);
      this.counts[slot]! += n;
      this.count += n;
    });
  }

  /** The nearest-rank percentile, within the relative error; undefined when empty. */
  percentile(percent: number): number | undefined {
    const rank = nearestRank(percent, this.count);
    if (rank === 0) return undefined;
    let seen = this.zeroCount;
    if (seen >= rank) return 0;
    for (let slot = 0; slot < this.counts.length; slot++) {
      seen += this.counts[slot] as number;
      if (seen >= rank) return this.valueOf(slot + this.offset);
    }
    return this.valueOf(this.offset + this.counts.length - 1);
  }

  /** Each non-empty bucket in ascending order: its representative value and count. */
  forEachValue(callback: (value: number, count: number) => void): void {
    if (this.zeroCount > 0) callback(0, this.zeroCount);
    this.forEachBucket((index, n) => callback(this.valueOf(index), n));
  }

  /** Bytes held by the bucket array. */
  get bytes(): number {
    return this.counts.byteLength;
  }

  private forEachBucket(callback: (index: number, count: number) => void): void {
    for (let slot = 0; slot < this.counts.length; slot++) {
      const n = this.counts[slot] as number;
      if (n > 0) callback(slot + this.offset, n);
    }
  }

  private valueOf(index: number): number {
    return (2 * this.gamma ** index) / (this.gamma + 1);
  }

  /** Grow the dense array (at least doubling) so `index` fits; returns its slot. */
  private makeRoom(index: number): number {
    if (this.counts.length === 0) {
      this.counts = new Float64Array(64);
      this.offset = index - 32;
      return index - this.offset;
    }
    const low = Math.min(this.offset, index);
    const high = Math.max(this.offset + this.counts.length - 1, index);
    const size = Math.max(high - low + 1, this.counts.length * 2);
    // Spare room on the side that needed it: values keep arriving where they just went.
    const newOffset = index < this.offset ? high - size + 1 : low;
    const next = new Float64Array(size);
    next.set(this.counts, this.offset - newOffset);
    this.counts = next;
    this.offset = newOffset;
    return index - this.offset;
  }
}
