import type { BurstConfig } from './config.js';

/**
 * Error-burst detection for one model. ERROR/WARN lines are counted in short buckets; the recent
 * window is the last `windowBuckets` buckets (the current, partial one included). The baseline is
 * an EWMA of lines per closed bucket. A burst starts when the window holds at least `minLines`
 * lines and at least `factor` × the baseline scaled to the window; while it lasts the baseline is
 * frozen (a burst must not become its own normal). It ends once the window has stayed below that
 * threshold for `quietMs`.
 *
 * Start-up: the first bucket starts at the model's first error line, the time before it (since the
 * sidecar started) counts as empty buckets, and the EWMA is bias-corrected (weight max(alpha, 1/n)
 * for the n-th bucket: the plain mean while n < 1/alpha); no burst starts before one bucket has
 * closed — so a service that always logs some errors is not reported as a burst each time the
 * sidecar starts, while a model's first errors after a quiet stretch are measured against zero. After that warm-up, a bucket enters the
 * baseline at most at twice the baseline, so a burst that is not detected yet cannot raise the
 * bar it has to clear. A lasting shift to `factor` × the old rate stays one burst until it recedes.
 *
 * Cost per line: an addition and a comparison; buckets close on the next line or tick after their end.
 */

export interface BurstOptions {
  bucketMs: number;
  windowBuckets: number;
  minLines: number;
  factor: number;
  alpha: number;
  quietMs: number;
}

export function burstOptions(c: BurstConfig): BurstOptions {
  return {
    bucketMs: c.bucket_seconds * 1000,
    windowBuckets: Math.round(c.window_seconds / c.bucket_seconds),
    minLines: c.min_lines,
    factor: c.factor,
    alpha: c.ewma_alpha,
    quietMs: c.quiet_seconds * 1000,
  };
}

export class BurstDetector {
  private readonly counts: Float64Array;
  private head = 0;
  private bucketStart: number;
  private closed = 0;
  /** Lines in the window. */
  window = 0;
  /** EWMA of lines per bucket. */
  baseline = 0;
  inBurst = false;
  /** Highest window count during the current (or last) burst. */
  peakWindow = 0;
  /** Since when the window has been below the threshold during a burst. */
  private belowSince: number | undefined;
  readonly createdAt: number;

  /**
   * `now`: the model's first error line. `since`: when counting began (the sidecar started) — the
   * buckets in between held no error of this model and count as closed empty ones, so a burst
   * that is a model's first errors in hours is measured against a zero baseline, not learned.
   */
  constructor(
    private readonly o: BurstOptions,
    now: number,
    since = now,
  ) {
    this.counts = new Float64Array(o.windowBuckets);
    this.bucketStart = now;
    this.createdAt = now;
    this.closed = Math.max(0, Math.floor((now - since) / o.bucketMs));
  }

  /** Lines the window must hold for a burst: min_lines, and factor × baseline over the window. */
  threshold(): number {
    return Math.max(this.o.minLines, this.o.factor * this.baseline * this.o.windowBuckets);
  }

  /** Baseline in lines per minute, for people. */
  baselinePerMinute(): number {
    return (this.baseline * 60_000) / this.o.bucketMs;
  }

  /** One ERROR/WARN line at `now` (epoch ms); true when it starts a burst. */
  record(now: number): boolean {
    if (now >= this.bucketStart + this.o.bucketMs) this.advance(now);
    this.counts[this.head]!++;
    this.window++;
    if (this.inBurst) {
      if (this.window > this.peakWindow) this.peakWindow = this.window;
      if (this.window >= this.threshold()) this.belowSince = undefined;
      return false;
    }
    if (this.closed >= 1 && this.window >= this.threshold()) {
      this.begin();
      return true;
    }
    return false;
  }

  /** Start a burst now, whatever the counts (a new error template repeating); false if one is on. */
  force(): boolean {
    if (this.inBurst) return false;
    this.begin();
    return true;
  }

  private begin(): void {
    this.inBurst = true;
    this.peakWindow = this.window;
    this.belowSince = undefined;
  }

  /**
   * Move time to `now`: close finished buckets (updating the baseline outside bursts) and end a
   * burst whose window has been below the threshold for the quiet period. True when a burst ended.
   */
  advance(now: number): boolean {
    const steps = Math.floor((now - this.bucketStart) / this.o.bucketMs);
    if (steps > 0) {
      const n = this.o.windowBuckets;
      const rolled = Math.min(steps, n);
      for (let k = 0; k < rolled; k++) {
        // Close the current bucket (only the first holds lines; later ones were empty), open the next.
        this.closeBucket(k === 0 ? (this.counts[this.head] as number) : 0);
        this.head = (this.head + 1) % n;
        this.window -= this.counts[this.head] as number;
        this.counts[this.head] = 0;
        // Quiet counts from the bucket boundary where the window fell below the threshold.
        if (this.inBurst && this.belowSince === undefined && this.window < this.threshold()) this.belowSince = this.bucketStart + (k + 1) * this.o.bucketMs;
      }
      // A long silence: the remaining empty buckets only decay the baseline (in closed form
      // beyond a few hundred, so a gap of days costs no more than one of minutes).
      const rest = steps - rolled;
      const looped = Math.min(rest, 512);
      for (let k = 0; k < looped; k++) this.closeBucket(0);
      if (rest > looped) {
        this.closed += rest - looped;
        if (!this.inBurst) this.baseline *= (1 - this.o.alpha) ** (rest - looped);
      }
      this.bucketStart += steps * this.o.bucketMs;
      if (this.window < 1e-9) this.window = 0;
    }
    if (!this.inBurst) return false;
    if (this.window >= this.threshold()) {
      this.belowSince = undefined;
      return false;
    }
    this.belowSince ??= now;
    if (now - this.belowSince >= this.o.quietMs) {
      this.inBurst = false;
      this.belowSince = undefined;
      return true;
    }
    return false;
  }

  private closeBucket(count: number): void {
    this.closed++;
    if (this.inBurst) return;
    const warmingUp = 1 / this.closed > this.o.alpha;
    const w = warmingUp ? 1 / this.closed : this.o.alpha;
    // After the warm-up a bucket counts at most at twice the baseline (or min_lines spread over the
    // window, from a quiet start): the leading edge of a burst, before it is detected, must not
    // become its own normal, while a real rise is still learned, at up to alpha per bucket.
    const x = warmingUp ? count : Math.min(count, Math.max(2 * this.baseline, this.o.minLines / this.o.windowBuckets));
    this.baseline = w * x + (1 - w) * this.baseline;
  }
}
