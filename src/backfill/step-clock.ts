/** Thrown when the log spans more steps than allowed (a gap of days, or a timestamp far off). */
export class StepLimitError extends Error {}

/**
 * Event time → sample times. Step boundaries are the multiples of `stepSeconds` in epoch time; the
 * set for boundary T is the state after every line with event time ≤ T read so far. `observe` is
 * told each line's event time before the line is counted and emits every boundary the line has
 * passed, so the set for T never includes it. A line without a time, or earlier than a boundary
 * already emitted, triggers nothing: it is counted in the next set (counters stay monotonic).
 * Every boundary from the first event's to the last one's is emitted, quiet stretches included:
 * a series that skipped steps would go stale in Prometheus and break rate() across the gap.
 */
export class StepClock {
  /** The first boundary (the one at or after the first event time). */
  private first: number | undefined;
  /** The earliest boundary not emitted yet. */
  private pending: number | undefined;

  constructor(
    private readonly stepSeconds: number,
    private readonly maxSteps: number,
    private readonly onStep: (timeSeconds: number) => void,
  ) {
    if (!Number.isInteger(stepSeconds) || stepSeconds < 1) throw new RangeError('the step must be a whole number of seconds ≥ 1');
  }

  /** The event time of the line about to be counted; undefined when it has none. */
  observe(timeSeconds: number | undefined): void {
    if (timeSeconds === undefined || !Number.isFinite(timeSeconds)) return;
    const boundary = Math.ceil(timeSeconds / this.stepSeconds) * this.stepSeconds;
    if (this.first === undefined || this.pending === undefined) {
      this.first = this.pending = boundary;
      return;
    }
    if (boundary <= this.pending) return;
    // Checked before writing anything for the gap: one absurd timestamp must not emit years of steps.
    const steps = (boundary - this.first) / this.stepSeconds + 1;
    if (steps > this.maxSteps) {
      throw new StepLimitError(
        `event time ${new Date(timeSeconds * 1000).toISOString()} is ${steps} steps of ${this.stepSeconds} s after the first one (limit ${this.maxSteps}): use a larger --step, raise --max-steps, or split the log`,
      );
    }
    while (this.pending < boundary) {
      this.onStep(this.pending);
      this.pending += this.stepSeconds;
    }
  }

  /** After the last line: emit the last boundary, which holds every line read. Returns it (undefined: no line had a time). */
  finish(): number | undefined {
    if (this.pending !== undefined) this.onStep(this.pending);
    return this.pending;
  }
}
