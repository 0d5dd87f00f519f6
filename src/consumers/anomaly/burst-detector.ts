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
 * sidecar started) counts as empty buckets, a bucket the first line falls inside (seen only in part,
 * as after every restart) does not count at all, and the EWMA is bias-corrected (weight max(alpha, 1/n)
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
  /** A bucket stays open this long after its end for lines that arrive out of order (event time). */
  lateMs: number;
}

export function burstOptions(c: BurstConfig, lateMs = 0): BurstOptions {
  return {
    bucketMs: c.bucket_seconds * 1000,
    windowBuckets: Math.round(c.window_seconds / c.bucket_seconds),
    minLines: c.min_lines,
    factor: c.factor,
    alpha: c.ewma_alpha,
    quietMs: c.quiet_seconds * 1000,
    lateMs,
  };
}

/** Buckets closed one by one after a gap; beyond this the baseline decays in closed form. */
const LOOPED_BUCKETS = 512;

export class BurstDetector {
  /** Line counts by absolute bucket number (time / bucketMs), modulo the ring's length. */
  private readonly counts: Float64Array;
  /** The bucket holding the clock's now: the head of the window. */
  private newest: number;
  /** Buckets below this one are closed (in the baseline); from it to `newest` they take late lines. */
  private openFrom: number;
  private readonly lateBuckets: number;
  /**
   * The first bucket seen whole: one the log's first line (or a new timeline) falls inside was seen
   * only in part, so it neither enters the baseline nor counts as the closed bucket a burst waits for.
   */
  private fullFrom: number;
  private closed = 0;
  /** Lines in the window: buckets (newest − windowBuckets, newest]. */
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
   * `now`: the model's first error line. `since`: when counting began (the first line of the log)
   * — the buckets in between held no error of this model and count as closed empty ones, so a
   * burst that is a model's first errors in hours is measured against a zero baseline, not learned.
   */
  constructor(
    private readonly o: BurstOptions,
    now: number,
    since = now,
  ) {
    this.lateBuckets = Math.ceil(o.lateMs / o.bucketMs);
    this.counts = new Float64Array(o.windowBuckets + this.lateBuckets + 2);
    this.newest = this.bucketOf(now);
    this.openFrom = this.newest;
    this.createdAt = now;
    this.fullFrom = Math.ceil(since / this.o.bucketMs);
    this.closed = Math.max(0, this.newest - this.fullFrom);
  }

  private bucketOf(t: number): number {
    return Math.floor(t / this.o.bucketMs);
  }

  /** Lines the window must hold for a burst: min_lines, and factor × baseline over the window. */
  threshold(): number {
    return Math.max(this.o.minLines, this.o.factor * this.baseline * this.o.windowBuckets);
  }

  /** Baseline in lines per minute, for people. */
  baselinePerMinute(): number {
    return (this.baseline * 60_000) / this.o.bucketMs;
  }

  /**
   * One ERROR/WARN line at `at` (epoch ms); true when it starts a burst. A line ahead of the clock
   * moves it; one behind it goes to its bucket while that is open, else to the oldest open one.
   */
  record(at: number): boolean {
    let b = this.bucketOf(at);
    if (b > this.newest) this.advance(at);
    if (b < this.openFrom) b = this.openFrom;
    this.counts[b % this.counts.length]!++;
    if (b > this.newest - this.o.windowBuckets) this.window++;
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
   * Move time to `now`: close the buckets that ended more than lateMs ago (updating the baseline
   * outside bursts), slide the window, and end a burst whose window has been below the threshold
   * for the quiet period. True when a burst ended.
   */
  advance(now: number): boolean {
    this.closeUpTo(this.bucketOf(now - this.o.lateMs));
    const head = this.bucketOf(now);
    if (head > this.newest) this.slideTo(head);
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

  /** Close buckets [openFrom, end): those still in the ring with their counts, the rest empty. */
  private closeUpTo(end: number): void {
    if (end <= this.openFrom) return;
    const ringStart = this.newest - this.counts.length + 1;
    const stop = Math.min(end, this.openFrom + LOOPED_BUCKETS);
    for (let b = Math.max(this.openFrom, this.fullFrom); b < stop; b++) this.closeBucket(b >= ringStart && b <= this.newest ? (this.counts[b % this.counts.length] as number) : 0);
    // A long silence: the remaining empty buckets only decay the baseline (in closed form, so a
    // gap of days costs no more than one of minutes).
    const rest = end - Math.max(stop, this.fullFrom);
    if (rest > 0) {
      this.closed += rest;
      if (!this.inBurst) this.baseline *= (1 - this.o.alpha) ** rest;
    }
    this.openFrom = end;
  }

  /** Make `head` the newest bucket: buckets leave the window and their ring slots are reused. */
  private slideTo(head: number): void {
    const n = this.o.windowBuckets;
    const ring = this.counts.length;
    if (head - this.newest >= ring) {
      this.counts.fill(0);
      this.window = 0;
      if (this.inBurst && this.belowSince === undefined && this.window < this.threshold()) this.belowSince = (this.newest + 1) * this.o.bucketMs;
    } else {
      for (let b = this.newest + 1; b <= head; b++) {
        this.window -= this.counts[(b - n + ring) % ring] as number;
        this.counts[b % ring] = 0;
        // Quiet counts from the bucket boundary where the window fell below the threshold.
        if (this.inBurst && this.belowSince === undefined && this.window < this.threshold()) this.belowSince = b * this.o.bucketMs;
      }
    }
    if (this.window < 1e-9) this.window = 0;
    this.newest = head;
    if (this.openFrom > head) this.openFrom = head;
  }

  /**
   * The log's clock went back (a restart with its clock set back): start a new timeline at `now`.
   * The baseline is kept (the same server), the window is emptied, and a burst on the old timeline
   * is over — the caller ends it first.
   */
  rebase(now: number): void {
    this.counts.fill(0);
    this.window = 0;
    this.inBurst = false;
    this.belowSince = undefined;
    this.newest = this.bucketOf(now);
    this.openFrom = this.newest;
    this.fullFrom = Math.ceil(now / this.o.bucketMs);
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
