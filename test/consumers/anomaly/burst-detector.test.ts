import { describe, expect, it } from 'vitest';
import { BurstDetector, burstOptions } from '../../../src/consumers/anomaly/burst-detector.js';
import { burstConfigSchema } from '../../../src/consumers/anomaly/config.js';

const options = burstOptions(burstConfigSchema.parse({})); // 5 s buckets, 30 s window, 20 lines, 5×, alpha 0.02, quiet 20 s

/** Feed `perSecond` lines a second (spread evenly) from `from` for `seconds`; returns [starts, ends] seen, in ms. */
function feed(d: BurstDetector, from: number, seconds: number, perSecond: number): { starts: number[]; ends: number[]; t: number } {
  const starts: number[] = [];
  const ends: number[] = [];
  let t = from;
  for (let s = 0; s < seconds; s++) {
    for (let k = 0; k < perSecond; k++) {
      const at = from + s * 1000 + Math.floor((k * 1000) / Math.max(1, perSecond));
      if (d.advance(at)) ends.push(at);
      if (d.record(at)) starts.push(at);
    }
    t = from + (s + 1) * 1000;
    if (d.advance(t)) ends.push(t);
  }
  return { starts, ends, t };
}

describe('BurstDetector', () => {
  it('a steady error rate is no burst, however high, once the first bucket has closed', () => {
    const d = new BurstDetector(options, 0);
    // 10 lines/s from the first second: 50 per bucket, far above min_lines.
    const { starts } = feed(d, 0, 600, 10);
    expect(starts).toEqual([]);
    expect(d.baseline).toBeGreaterThan(40);
  });

  it('a bucket seen only in part (the first line falls late in it, as after a restart) does not set the baseline', () => {
    // The first line 0.1 s before the end of a bucket, then 10 lines/s: the partial bucket holds one
    // line. As the baseline it made the threshold 30 lines, which the next bucket's 50 crossed.
    const late = new BurstDetector(options, 4900, 4900);
    expect(feed(late, 4900, 600, 10).starts).toEqual([]);
    expect(late.baseline).toBeGreaterThan(40);
    // The same with the model's first error in the next bucket: the partial one counted as a closed
    // empty bucket, a zero baseline, and min_lines started a burst within two seconds.
    const empty = new BurstDetector(options, 5000, 4950);
    expect(feed(empty, 5000, 600, 10).starts).toEqual([]);
    // Seen whole, an empty stretch still measures a model's first errors against zero.
    const quiet = new BurstDetector(options, 10_000, 0);
    expect(feed(quiet, 10_000, 10, 10).starts).toHaveLength(1);
  });

  it('starts when the window holds min_lines and factor × baseline, freezes the baseline, ends after the quiet period', () => {
    const d = new BurstDetector(options, 0);
    let r = feed(d, 0, 300, 1); // 5 per bucket
    expect(r.starts).toEqual([]);
    const base = d.baseline;
    expect(base).toBeGreaterThan(4);
    expect(base).toBeLessThan(6);
    // 5× the baseline over the 30 s window is 150 lines: 20 lines/s gets there in about 7 s.
    r = feed(d, r.t, 30, 20);
    expect(r.starts).toHaveLength(1);
    expect((r.starts[0] as number) - 300_000).toBeGreaterThan(4000);
    expect((r.starts[0] as number) - 300_000).toBeLessThan(10_000);
    expect(d.inBurst).toBe(true);
    // Frozen while the burst lasts.
    const frozen = d.baseline;
    r = feed(d, r.t, 30, 20);
    expect(d.baseline).toBe(frozen);
    expect(d.peakWindow).toBeGreaterThanOrEqual(150);
    // Back to normal: the window drains, then 20 s of quiet end it.
    r = feed(d, r.t, 120, 1);
    expect(r.ends).toHaveLength(1);
    expect(d.inBurst).toBe(false);
    expect((r.ends[0] as number) - 360_000).toBeGreaterThan(20_000);
    expect((r.ends[0] as number) - 360_000).toBeLessThan(60_000);
  });

  it('needs min_lines even from a zero baseline', () => {
    const d = new BurstDetector(options, 0);
    d.advance(60_000);
    for (let i = 0; i < 19; i++) expect(d.record(60_000 + i)).toBe(false);
    expect(d.record(60_100)).toBe(true);
  });

  it('an undetected rise cannot pull the baseline up faster than the clip', () => {
    const d = new BurstDetector(options, 0);
    let r = feed(d, 0, 600, 1);
    const base = d.baseline;
    // A slow creep to 3× (below the 5× needed): learned, at most 2× per bucket.
    r = feed(d, r.t, 600, 3);
    expect(r.starts).toEqual([]);
    expect(d.baseline).toBeGreaterThan(2 * base);
  });

  it('ends a burst during silence (ticks only) and survives a long gap', () => {
    const d = new BurstDetector(options, 0);
    feed(d, 0, 60, 1);
    const r = feed(d, 60_000, 10, 50);
    expect(r.starts).toHaveLength(1);
    expect(d.advance(r.t + 5_000)).toBe(false);
    expect(d.advance(r.t + 60_000)).toBe(true);
    // Days of silence: the baseline decays, bounded work.
    d.advance(r.t + 5 * 86_400_000);
    expect(d.window).toBe(0);
    expect(d.baseline).toBeLessThan(1e-6);
  });

  it('force() starts a burst regardless of counts, once', () => {
    const d = new BurstDetector(options, 0);
    expect(d.force()).toBe(true);
    expect(d.force()).toBe(false);
    expect(d.inBurst).toBe(true);
  });
});
