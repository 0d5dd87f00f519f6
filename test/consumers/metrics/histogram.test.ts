import { afterEach, describe, expect, it, vi } from 'vitest';
import { Histogram, toBounds } from '../../../src/consumers/metrics/histogram.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Histogram', () => {
  const bounds = () => toBounds([0.1, 0.5, 1, 2.5]);

  it('a value equal to a bound goes in that bucket (le is inclusive)', () => {
    const h = new Histogram(bounds(), false);
    for (const v of [0.1, 0.5, 1, 2.5]) h.observe(v);
    expect([...h.counts]).toEqual([1, 1, 1, 1, 0]);
  });

  it('a value just above a bound goes in the next bucket', () => {
    const h = new Histogram(bounds(), false);
    h.observe(0.1000001);
    h.observe(0.5000001);
    h.observe(1.0000001);
    expect([...h.counts]).toEqual([0, 1, 1, 1, 0]);
  });

  it('values above the last bound go in +Inf; zero and below go in the first bucket', () => {
    const h = new Histogram(bounds(), false);
    h.observe(2.5000001);
    h.observe(1e9);
    h.observe(0);
    h.observe(-1);
    expect([...h.counts]).toEqual([2, 0, 0, 0, 2]);
    expect(h.counts).toHaveLength(5);
  });

  it('counts per bucket are not cumulative; sum and count track every observation', () => {
    const h = new Histogram(bounds(), false);
    const values = [0.05, 0.3, 0.3, 0.75, 2, 3, 10];
    for (const v of values) h.observe(v);
    expect([...h.counts]).toEqual([1, 2, 1, 1, 2]);
    expect(h.count).toBe(7);
    expect(h.sum).toBe(values.reduce((a, v) => a + v, 0));
  });

  it('starts empty', () => {
    const h = new Histogram(bounds(), true);
    expect([...h.counts]).toEqual([0, 0, 0, 0, 0]);
    expect(h.sum).toBe(0);
    expect(h.count).toBe(0);
    expect(allExemplars(h)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it('records the last exemplar per bucket, with value and the time the caller gives', () => {
    const h = new Histogram(bounds(), true);
    h.observe(0.5, 'req-a', 1_700_000_000.123);
    h.observe(3, 'req-b', 1_700_000_001);
    // No id: counted, but the bucket's exemplar stays.
    h.observe(0.4);
    expect(allExemplars(h)).toEqual([
      undefined,
      { id: 'req-a', value: 0.5, timestamp: 1_700_000_000.123 },
      undefined,
      undefined,
      { id: 'req-b', value: 3, timestamp: 1_700_000_001 },
    ]);
    h.observe(0.2, 'req-c', 1_700_000_002);
    expect(h.exemplar(1)).toEqual({ id: 'req-c', value: 0.2, timestamp: 1_700_000_002 });
    expect([...h.counts]).toEqual([0, 3, 0, 0, 1]);
  });

  it('keeps no exemplars when created without them', () => {
    const h = new Histogram(bounds(), false);
    h.observe(0.5, 'req-a', 1);
    expect(allExemplars(h).every((x) => x === undefined)).toBe(true);
    expect(h.count).toBe(1);
  });
});

describe('toBounds', () => {
  it('returns the bounds as a Float64Array', () => {
    const b = toBounds([1, 2, 4]);
    expect(b).toBeInstanceOf(Float64Array);
    expect([...b]).toEqual([1, 2, 4]);
  });

  it('rejects non-finite and non-increasing bounds', () => {
    expect(() => toBounds([1, Number.POSITIVE_INFINITY])).toThrow(/not finite/);
    expect(() => toBounds([Number.NaN])).toThrow(/not finite/);
    expect(() => toBounds([1, 1])).toThrow(/must increase: 1 then 1/);
    expect(() => toBounds([2, 1])).toThrow(/must increase: 2 then 1/);
  });

  it('an empty list leaves only +Inf', () => {
    const h = new Histogram(toBounds([]), false);
    h.observe(5);
    expect([...h.counts]).toEqual([1]);
  });
});

function allExemplars(h: Histogram) {
  return Array.from({ length: h.counts.length }, (_, i) => h.exemplar(i));
}

describe('Histogram guards', () => {
  it('ignores non-finite values, so one cannot poison the sum', () => {
    const h = new Histogram(Float64Array.from([1, 2]), false);
    h.observe(Number.NaN);
    h.observe(Number.POSITIVE_INFINITY);
    h.observe(1.5);
    expect(h.count).toBe(1);
    expect(h.sum).toBe(1.5);
  });
});
