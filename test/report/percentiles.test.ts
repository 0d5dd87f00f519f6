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

  it('is exact for large counts: a real fraction past 1e7 is not rounded onto the integer below', () => {
    // 0.99 · 20000099 = 19800098.01: the rank is 19800099 (the review's example).
    expect(nearestRank(99, 20_000_099)).toBe(19_800_099);
    // An independent reference in BigInt: ⌈P'·n / (100·10^k)⌉ for P = P' / 10^k.
    const reference = (scaled: bigint, decimals: number, n: bigint): number => {
      const d = 100n * 10n ** BigInt(decimals);
      return Number((scaled * n + d - 1n) / d);
    };
    for (const n of [10_000_001, 20_000_099, 123_456_789, 999_999_999_999, 2 ** 53 - 1]) {
      expect(nearestRank(99, n)).toBe(reference(99n, 0, BigInt(n)));
      expect(nearestRank(95, n)).toBe(reference(95n, 0, BigInt(n)));
      expect(nearestRank(50, n)).toBe(reference(50n, 0, BigInt(n)));
      expect(nearestRank(99.9, n)).toBe(reference(999n, 1, BigInt(n)));
      expect(nearestRank(99.99, n)).toBe(reference(9999n, 2, BigInt(n)));
      expect(nearestRank(0.07, n)).toBe(reference(7n, 2, BigInt(n)));
    }
    // Exact multiples stay themselves (no rank one too high).
    expect(nearestRank(99, 100_000_000)).toBe(99_000_000);
    expect(nearestRank(99.9, 10_000_000_000)).toBe(9_990_000_000);
  });

  it('edge cases: n = 0, 1, 2 and P = 0, 50, 99.9, 100', () => {
    for (const p of [0, 50, 99.9, 100]) expect(nearestRank(p, 0)).toBe(0);
    for (const p of [0, 50, 99.9, 100]) expect(nearestRank(p, 1)).toBe(1);
    expect([0, 50, 99.9, 100].map((p) => nearestRank(p, 2))).toEqual([1, 1, 2, 2]);
    expect([0, 50, 99.9, 100].map((p) => nearestRank(p, 1000))).toEqual([1, 500, 999, 1000]);
    expect(nearestRank(99.9, 1001)).toBe(1000); // 999.999 → 1000
    expect(nearestRank(100 / 3, 3)).toBe(1); // not a few-decimal P: floating point with an absolute tolerance
    expect(nearestRank(100 / 3, 4)).toBe(2);
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
