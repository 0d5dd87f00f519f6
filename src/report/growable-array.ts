/**
 * A Float64Array that grows by doubling: 8 bytes per value held (up to twice that in unused
 * capacity), no per-value allocation, and an in-place numeric sort.
 */
export class GrowableFloat64Array {
  private data: Float64Array;
  length = 0;

  constructor(initialCapacity = 64) {
    this.data = new Float64Array(Math.max(1, initialCapacity));
  }

  push(value: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = value;
  }

  /** Append every value of `other`. */
  append(other: GrowableFloat64Array): void {
    if (this.length + other.length > this.data.length) this.grow(this.length + other.length);
    this.data.set(other.view(), this.length);
    this.length += other.length;
  }

  /** The values held, as a view (valid until the next push). */
  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }

  /** Sort the values ascending, in place (typed-array sort is numeric). */
  sort(): Float64Array {
    return this.view().sort();
  }

  /** Bytes reserved, for the memory accounting in the docs and tests. */
  get capacityBytes(): number {
    return this.data.byteLength;
  }

  private grow(needed: number): void {
    let capacity = this.data.length * 2;
    while (capacity < needed) capacity *= 2;
    const next = new Float64Array(capacity);
    next.set(this.view());
    this.data = next;
  }
}
