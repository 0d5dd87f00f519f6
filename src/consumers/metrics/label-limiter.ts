/** The value a label takes once its cap of distinct values is reached. */
export const OTHER_VALUE = '__other__';

/**
 * Keeps every label's set of values bounded. The first `maxValues` distinct values of a label are
 * admitted (cut to `maxLength` UTF-16 code units, never splitting a pair); later new values fold
 * into `__other__`, and `folded` counts the events that were folded, per label, so the loss is
 * visible. A raw value and its admitted value can differ: only the admitted one may be a label.
 */
export class LabelLimiter {
  private readonly admitted: Map<string, string>[];
  readonly folded: Float64Array;

  constructor(
    readonly names: readonly string[],
    private readonly maxValues: number,
    private readonly maxLength: number,
  ) {
    this.admitted = names.map(() => new Map());
    this.folded = new Float64Array(names.length);
  }

  value(label: number, raw: string): string {
    const seen = this.admitted[label] as Map<string, string>;
    const v = seen.get(raw);
    if (v !== undefined) return v;
    if (seen.size >= this.maxValues) {
      this.folded[label]!++;
      return OTHER_VALUE;
    }
    const admitted = cutLabelValue(raw, this.maxLength);
    seen.set(raw, admitted);
    return admitted;
  }

  /**
   * For callers that cache by raw value: a raw value admitted before gives its cut form, an
   * admitted value (or __other__) gives itself. Never counts a fold.
   */
  admittedOf(label: number, value: string): string {
    return (this.admitted[label] as Map<string, string>).get(value) ?? this.readmit(value);
  }

  /**
   * A value admitted under an earlier configuration (a checkpoint), cut to this one's length:
   * a restart with a smaller labels.max_value_length must not bring back longer values.
   */
  readmit(value: string): string {
    return value === OTHER_VALUE ? value : cutLabelValue(value, this.maxLength);
  }

  distinct(label: number): number {
    return (this.admitted[label] as Map<string, string>).size;
  }

  snapshot(): LabelLimiterState {
    return { names: [...this.names], admitted: this.admitted.map((m) => [...m]), folded: [...this.folded] };
  }

  /** Continue from a snapshot of a limiter over the same labels. */
  restore(state: LabelLimiterState): void {
    if (state.names.join() !== this.names.join()) throw new Error(`label set changed: ${state.names.join()} → ${this.names.join()}`);
    if (state.admitted.length !== this.names.length || state.folded.length !== this.names.length) throw new Error('label cap state has the wrong shape');
    state.admitted.forEach((pairs, i) => {
      const m = this.admitted[i] as Map<string, string>;
      m.clear();
      for (const [raw, admitted] of pairs) m.set(raw, this.readmit(admitted));
    });
    this.folded.set(state.folded);
  }
}

export interface LabelLimiterState {
  names: string[];
  admitted: [string, string][][];
  folded: number[];
}

/**
 * Cut to `max` UTF-16 units without splitting a surrogate pair (half a pair would not encode as
 * UTF-8). Counting units, not code points, bounds both: a value within the cap is within it either way.
 */
export function cutLabelValue(s: string, max: number): string {
  if (s.length <= max) return s;
  const last = s.charCodeAt(max - 1);
  return s.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

/**
 * State kept per value of one capped label (a model's counters, say): values past the cap share
 * the `__other__` state. Raw values seen before are looked up directly (one Map get per event);
 * folded ones are not remembered one by one, which would grow without bound.
 */
export class CappedStates<T> {
  private readonly byName = new Map<string, T>();
  private readonly byRaw = new Map<string, T>();

  constructor(
    private readonly limiter: LabelLimiter,
    private readonly label: number,
    private readonly create: (name: string) => T,
  ) {}

  /** The state for a raw value, created under its admitted name the first time. */
  for(raw: string): T {
    const known = this.byRaw.get(raw);
    if (known !== undefined) return known;
    const name = this.limiter.value(this.label, raw);
    let state = this.byName.get(name);
    if (state === undefined) {
      state = this.create(name);
      this.byName.set(name, state);
    }
    if (name !== OTHER_VALUE) this.byRaw.set(raw, state);
    return state;
  }

  /** The state under an admitted name. */
  get(name: string): T | undefined {
    return this.byName.get(name);
  }

  /** Puts a restored state back under its admitted name (after `clear`). */
  set(name: string, state: T): void {
    this.byName.set(name, state);
  }

  values(): MapIterator<T> {
    return this.byName.values();
  }

  get size(): number {
    return this.byName.size;
  }

  clear(): void {
    this.byName.clear();
    this.byRaw.clear();
  }
}
