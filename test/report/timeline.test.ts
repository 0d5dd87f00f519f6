import { describe, expect, it } from 'vitest';
import { histogramBins, niceStep } from '../../src/report/histogram-bins.js';
import { Distribution } from '../../src/report/distribution.js';
import { MAX_TIME_BUCKETS, Timeline } from '../../src/report/timeline.js';

const T0 = Date.UTC(2025, 0, 1) / 1000;

function fill(span: number, every = 1): Timeline {
  const t = new Timeline();
  for (let s = 0; s <= span; s += every) {
    const b = t.bucketAt(T0 + s);
    b.requests++;
    b.e2e.add(1 + (s % 10));
  }
  return t;
}

describe('Timeline', () => {
  it('keeps 1 s buckets while the span fits in MAX_TIME_BUCKETS of them', () => {
    const t = fill(MAX_TIME_BUCKETS - 1);
    expect(t.width).toBe(1);
    expect(t.series()).toHaveLength(MAX_TIME_BUCKETS);
  });

  it('steps the width up the ladder as the span grows, merging buckets without losing a request', () => {
    for (const [span, width] of [
      [MAX_TIME_BUCKETS, 2],
      [999, 10],
      [3599, 30],
      [3600, 60], // 0..3600 inclusive is 121 buckets of 30 s
      [86_400, 1800],
      [7 * 86_400, 7200],
    ] as const) {
      const t = fill(span, span > 10_000 ? 60 : 1);
      expect(t.width).toBe(width);
      const series = t.series();
      expect(series.length).toBeLessThanOrEqual(MAX_TIME_BUCKETS);
      expect(series.reduce((n, s) => n + (s.bucket?.requests ?? 0), 0)).toBe(Math.floor(span / (span > 10_000 ? 60 : 1)) + 1);
      expect(series.reduce((n, s) => n + (s.bucket?.e2e.count ?? 0), 0)).toBe(Math.floor(span / (span > 10_000 ? 60 : 1)) + 1);
      // Buckets are aligned on multiples of the width and consecutive.
      series.forEach((s, i) => expect(s.start).toBe((series[0]?.start ?? 0) + i * width));
      expect((series[0]?.start ?? 1) % width).toBe(0);
    }
  });

  it('out-of-order timestamps land in the right bucket; gaps are empty buckets', () => {
    const t = new Timeline();
    t.bucketAt(T0 + 50).requests++;
    t.bucketAt(T0 + 3).requests++;
    t.bucketAt(T0 + 3.9).requests++;
    const series = t.series();
    expect(series).toHaveLength(48);
    expect(series[0]?.bucket?.requests).toBe(2);
    expect(series[1]?.bucket).toBeUndefined();
    expect(series[47]?.bucket?.requests).toBe(1);
  });
});

describe('histogram bins', () => {
  it('round widths up to the P99, and a tail bar to the maximum', () => {
    expect([0.3, 1, 7, 12, 0.04].map(niceStep)).toEqual([0.5, 1, 10, 20, 0.05]);
    const d = new Distribution(undefined);
    for (let v = 1; v <= 1000; v++) d.add(v);
    const bins = histogramBins(d, 30);
    // P99 = 990; step niceStep(33) = 50 → 20 bars of 50 up to 1000 cover everything: no tail.
    expect(bins).toHaveLength(20);
    expect(bins[0]).toEqual({ from: 0, to: 50, count: 49 });
    expect(bins[19]).toEqual({ from: 950, to: 1000, count: 51 });
    expect(bins.reduce((n, b) => n + b.count, 0)).toBe(1000);
    d.add(100_000);
    const withTail = histogramBins(d, 30);
    expect(withTail[withTail.length - 1]).toEqual({ from: 1000, to: 100_000, count: 2 });
  });

  it('no values: no bars; only zeros: one bar', () => {
    const d = new Distribution(undefined);
    expect(histogramBins(d)).toEqual([]);
    d.add(0);
    d.add(0);
    expect(histogramBins(d)).toEqual([{ from: 0, to: 0, count: 2 }]);
  });
});
