import { describe, expect, it } from 'vitest';
import { GrowableFloat64Array } from '../../src/report/growable-array.js';
import { nearestRank, percentileOfSorted } from '../../src/report/percentiles.js';

describe('nearest-rank percentiles', () => {
  it('no values: no percentile', () => {
    expect(nearestRank(50, 0)).toBe(0);
    expect(percentileOfSorted([], 50)).toBeUndefined();
  });

  it('one value: every percentile is that value', () => {
    for (const p of [0, 1, 50, 95, 99, 100]) expect(percentileOfSorted([7], p)).toBe(7);
  });

  it('two values: P50 is the smaller (rank ⌈1⌉ = 1), P50.1 and up the larger', () => {
    expect(percentileOfSorted([1, 2], 50)).toBe(1);
    expect(percentileOfSorted([1, 2], 50.1)).toBe(2);
    expect(percentileOfSorted([1, 2], 95)).toBe(2);
    expect(percentileOfSorted([1, 2], 0)).toBe(1);
  });

  it('1..1000: P50, P95, P99 are 500, 950, 990; P0 the minimum, P100 the maximum', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect([0, 50, 95, 99, 99.9, 100].map((p) => percentileOfSorted(values, p))).toEqual([1, 500, 950, 990, 999, 1000]);
  });

  it('1..10: P95 and P99 are the maximum, P10 the minimum, P11 the second', () => {
    const values = Array.from({ length: 10 }, (_, i) => i + 1);
    expect([10, 11, 50, 95, 99].map((p) => percentileOfSorted(values, p))).toEqual([1, 2, 5, 10, 10]);
  });

  it('is not fooled by binary floating point: P7 of 100 values is rank 7, not 8', () => {
    expect((7 / 100) * 100).not.toBe(7); // the trap
    expect(nearestRank(7, 100)).toBe(7);
    expect(nearestRank(57, 100)).toBe(57);
    expect(nearestRank(29, 1000)).toBe(290);
  });

  it('is always an observed value, never interpolated', () => {
    expect(percentileOfSorted([10, 20, 30, 40], 50)).toBe(20);
    expect(percentileOfSorted([10, 20, 30, 40], 51)).toBe(30);
  });
});

describe('GrowableFloat64Array', () => {
  it('grows by doubling, keeps every value, sorts numerically in place', () => {
    const a = new GrowableFloat64Array(2);
    for (const v of [10, 9, 100, 1, 2.5]) a.push(v);
    expect(a.length).toBe(5);
    expect(a.capacityBytes).toBe(8 * 8);
    expect([...a.sort()]).toEqual([1, 2.5, 9, 10, 100]);
    const b = new GrowableFloat64Array(1);
    b.push(-1);
    b.append(a);
    expect([...b.view()]).toEqual([-1, 1, 2.5, 9, 10, 100]);
  });
});
