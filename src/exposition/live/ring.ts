/**
 * A fixed number of rows of numbers in typed arrays: a timestamp column and any number of value
 * columns, each a ring of the same capacity. NaN marks a gap (no value at that row). Writing a row
 * overwrites the oldest one once the ring is full, so memory is capacity × columns × 8 bytes
 * whatever happens; the caller bounds the number of columns.
 */
export class RingColumns {
  readonly timestamps: Float64Array;
  private readonly columns: Float64Array[] = [];
  /** Index of the next row to write. */
  private next = 0;
  private filled = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`ring capacity must be a positive integer, got ${capacity}`);
    this.timestamps = new Float64Array(capacity);
  }

  /** Adds a column; rows written before it read as gaps. Returns its index. */
  addColumn(): number {
    this.columns.push(new Float64Array(this.capacity).fill(NaN));
    return this.columns.length - 1;
  }

  get columnCount(): number {
    return this.columns.length;
  }

  /** Rows held (at most the capacity). */
  get length(): number {
    return this.filled;
  }

  /** Starts a row at `timestamp` with every column a gap; returns its slot for set(). */
  push(timestamp: number): number {
    const slot = this.next;
    this.timestamps[slot] = timestamp;
    for (const c of this.columns) c[slot] = NaN;
    this.next = (slot + 1) % this.capacity;
    if (this.filled < this.capacity) this.filled++;
    return slot;
  }

  /** Forgets every row (the columns stay). */
  clear(): void {
    this.next = 0;
    this.filled = 0;
  }

  set(slot: number, column: number, value: number): void {
    (this.columns[column] as Float64Array)[slot] = value;
  }

  /** The newest row's timestamp, or undefined when empty. */
  lastTimestamp(): number | undefined {
    return this.filled === 0 ? undefined : this.timestamps[(this.next - 1 + this.capacity) % this.capacity];
  }

  /** Ring slots of the rows newer than `since` (all rows without it), oldest first. */
  slotsSince(since?: number): number[] {
    const slots: number[] = [];
    // Newest first until an old enough row, then reversed: `since` usually asks for a few rows.
    for (let k = 1; k <= this.filled; k++) {
      const slot = (this.next - k + this.capacity) % this.capacity;
      if (since !== undefined && (this.timestamps[slot] as number) <= since) break;
      slots.push(slot);
    }
    return slots.reverse();
  }

  /** One column at the given slots, gaps as null (for JSON). */
  read(column: number, slots: readonly number[], round: (v: number) => number = (v) => v): (number | null)[] {
    const c = this.columns[column] as Float64Array;
    return slots.map((s) => {
      const v = c[s] as number;
      return Number.isNaN(v) ? null : round(v);
    });
  }

  /** Whether the column holds any value at the given slots. */
  hasValues(column: number, slots: readonly number[]): boolean {
    const c = this.columns[column] as Float64Array;
    return slots.some((s) => !Number.isNaN(c[s] as number));
  }

  /** Bytes held by the typed arrays (for the memory bound's test and docs). */
  byteLength(): number {
    return this.timestamps.byteLength + this.columns.reduce((n, c) => n + c.byteLength, 0);
  }
}
