/** The value a label takes once its cap of distinct values is reached. */
export const OTHER_VALUE = '__other__';

/**
 * Keeps every label's set of values bounded. The first `maxValues` distinct values of a label are
 * admitted (truncated to `maxLength` characters); later new values fold into `__other__`, and
 * `folded` counts the events that were folded, per label, so the loss is visible.
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
    const admitted = raw.length > this.maxLength ? truncate(raw, this.maxLength) : raw;
    seen.set(raw, admitted);
    return admitted;
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
      for (const [raw, admitted] of pairs) m.set(raw, admitted);
    });
    this.folded.set(state.folded);
  }
}

export interface LabelLimiterState {
  names: string[];
  admitted: [string, string][][];
  folded: number[];
}

/** Cut to `max` UTF-16 units without splitting a surrogate pair (which would not encode as UTF-8). */
function truncate(s: string, max: number): string {
  const last = s.charCodeAt(max - 1);
  return s.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}
