import { LogSketch } from './log-sketch.js';

/**
 * Bucket widths in seconds, each a multiple of the one before, so buckets merge whole when the
 * width steps up; beyond the list the width doubles.
 */
const WIDTH_LADDER = [1, 2, 10, 30, 60, 120, 600, 1800, 3600, 7200, 21_600, 43_200, 86_400];

/** Most buckets a chart gets: the width steps up until the span fits in this many. */
export const MAX_TIME_BUCKETS = 120;

/** Relative error of the per-bucket latency sketches (chart points only; tables are exact). */
export const TIMELINE_RELATIVE_ERROR = 0.01;

export class TimeBucket {
  requests = 0;
  errors = 0;
  promptTokens = 0;
  completionTokens = 0;
  readonly e2e = new LogSketch(TIMELINE_RELATIVE_ERROR);

  constructor(
    /** Index of the bucket: its start is key × width, epoch seconds. */
    public key: number,
  ) {}

  mergeFrom(other: TimeBucket): void {
    this.requests += other.requests;
    this.errors += other.errors;
    this.promptTokens += other.promptTokens;
    this.completionTokens += other.completionTokens;
    this.e2e.merge(other.e2e);
  }
}

/**
 * Requests, errors, tokens and an e2e latency sketch per time bucket, by the log's own timestamps.
 * The bucket width is chosen from the span as it grows: it starts at 1 s and steps up the ladder
 * (merging buckets) whenever the buckets from the first to the last would exceed
 * MAX_TIME_BUCKETS, so memory stays bounded whatever the file size and the width fits the span
 * once the file is read. Lines usually arrive in time order, so the last bucket is remembered and
 * most events cost no lookup.
 */
export class Timeline {
  private widthStep = 0;
  width = WIDTH_LADDER[0] as number;
  private readonly buckets = new Map<number, TimeBucket>();
  private last: TimeBucket | undefined;
  private minKey = Infinity;
  private maxKey = -Infinity;

  /** The bucket for a timestamp (epoch seconds), created when new. */
  bucketAt(timestamp: number): TimeBucket {
    const key = Math.floor(timestamp / this.width);
    const last = this.last;
    if (last !== undefined && last.key === key) return last;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (key < this.minKey) this.minKey = key;
      if (key > this.maxKey) this.maxKey = key;
      if (this.maxKey - this.minKey + 1 > MAX_TIME_BUCKETS) {
        this.widen();
        return this.bucketAt(timestamp);
      }
      bucket = new TimeBucket(key);
      this.buckets.set(key, bucket);
    }
    this.last = bucket;
    return bucket;
  }

  /** Buckets from the first to the last in time order, empty ones included (as undefined). */
  series(): { start: number; bucket: TimeBucket | undefined }[] {
    if (this.buckets.size === 0) return [];
    const out: { start: number; bucket: TimeBucket | undefined }[] = [];
    for (let key = this.minKey; key <= this.maxKey; key++) out.push({ start: key * this.width, bucket: this.buckets.get(key) });
    return out;
  }

  /** Step the width up until the span fits, merging the buckets that fall together. */
  private widen(): void {
    const oldWidth = this.width;
    const firstStart = this.minKey * oldWidth;
    const lastStart = this.maxKey * oldWidth;
    do {
      this.widthStep++;
      this.width = WIDTH_LADDER[this.widthStep] ?? this.width * 2;
    } while (Math.floor(lastStart / this.width) - Math.floor(firstStart / this.width) + 1 > MAX_TIME_BUCKETS);
    const old = [...this.buckets.values()];
    this.buckets.clear();
    this.last = undefined;
    this.minKey = Math.floor(firstStart / this.width);
    this.maxKey = Math.floor(lastStart / this.width);
    for (const b of old) {
      // Each width divides the next, so an old bucket lies inside exactly one new one.
      b.key = Math.floor((b.key * oldWidth) / this.width);
      const into = this.buckets.get(b.key);
      if (into === undefined) this.buckets.set(b.key, b);
      else into.mergeFrom(b);
    }
  }
}
