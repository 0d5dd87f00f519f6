import { describe, expect, it } from 'vitest';
import { Distribution, ExactValueBudget } from '../../src/report/distribution.js';
import { LogSketch } from '../../src/report/log-sketch.js';
import { percentileOfSorted } from '../../src/report/percentiles.js';
import { Rng } from '../../src/simulator/random.js';

/** Log-normal-ish latencies over five orders of magnitude, with zeros. */
function values(n: number, seed = 7): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => (i % 97 === 0 ? 0 : Math.exp(rng.float() * 12 - 7)));
}

describe('Distribution', () => {
  it('summary: count, sum, mean, min, max and exact nearest-rank percentiles; nulls when empty', () => {
    const budget = new ExactValueBudget(1000);
    const d = new Distribution(budget);
    expect(d.summary()).toEqual({ count: 0, sum: 0, mean: null, min: null, max: null, p50: null, p95: null, p99: null });
    for (let v = 100; v >= 1; v--) d.add(v);
    expect(d.summary()).toEqual({ count: 100, sum: 5050, mean: 50.5, min: 1, max: 100, p50: 50, p95: 95, p99: 99 });
    d.add(1000); // adding after a sort keeps it right
    expect(d.percentile(100)).toBe(1000);
    expect(d.exact).toBe(true);
    expect(budget.held).toBe(101);
  });

  it('past the budget every distribution switches to a sketch at once, and stays within its relative error', () => {
    const budget = new ExactValueBudget(5000, 0.01);
    const a = new Distribution(budget);
    const b = new Distribution(budget);
    const xs = values(20_000);
    for (const v of xs.slice(0, 100)) b.add(v);
    for (const v of xs) a.add(v);
    expect(budget.exceeded).toBe(true);
    expect(a.exact).toBe(false);
    expect(b.exact).toBe(false);
    const later = new Distribution(budget);
    expect(later.exact).toBe(false);
    const sorted = Float64Array.from(xs).sort();
    for (const p of [1, 25, 50, 90, 95, 99, 99.9]) {
      const exact = percentileOfSorted(sorted, p) as number;
      const approx = a.percentile(p) as number;
      expect(Math.abs(approx - exact)).toBeLessThanOrEqual(0.01 * exact + 1e-12);
    }
    // Count, sum, min and max stay exact.
    expect(a.count).toBe(20_000);
    expect(a.min).toBe(0);
    expect(a.max).toBe(Math.max(...xs));
  });

  it('combine: the values of several, exact when they are', () => {
    const budget = new ExactValueBudget(1000);
    const a = new Distribution(budget);
    const b = new Distribution(budget);
    for (let v = 1; v <= 10; v++) (v % 2 ? a : b).add(v);
    const all = Distribution.combine([a, b]);
    expect(all.exact).toBe(true);
    expect(all.summary()).toMatchObject({ count: 10, sum: 55, min: 1, max: 10, p50: 5, p95: 10 });
    expect(Distribution.combine([]).summary().count).toBe(0);
  });
});

describe('Distribution.combine (all models) keeps the exact-value budget', () => {
  /** Nearest rank computed here on its own: sort a plain copy, rank ⌈P·n/100⌉ in integers (P whole). */
  function reference(all: number[], percent: number): number {
    const sorted = [...all].sort((a, b) => a - b);
    const rank = Math.max(1, Math.floor((percent * sorted.length + 99) / 100));
    return sorted[rank - 1] as number;
  }

  it('percentiles over several models are exact, equal to a reference over all the values', () => {
    const rng = new Rng(11);
    for (const sizes of [[1, 1], [3, 0, 5], [1000, 10, 1], [500, 500, 500, 500, 7], Array.from({ length: 40 }, (_, i) => (i * 37) % 101)]) {
      const budget = new ExactValueBudget(1e7);
      const parts = sizes.map(() => new Distribution(budget));
      const all: number[] = [];
      sizes.forEach((n, j) => {
        for (let i = 0; i < n; i++) {
          // Many ties (rounded values) and values shared between parts.
          const v = j % 2 === 0 ? Math.round(rng.float() * 50) : Math.exp(rng.float() * 8 - 4);
          parts[j]?.add(v);
          all.push(v);
        }
      });
      const combined = Distribution.combine(parts);
      expect(combined.exact).toBe(true);
      expect(combined.count).toBe(all.length);
      for (let p = 0; p <= 100; p++) expect(combined.percentile(p)).toBe(reference(all, p));
      let seen = 0;
      combined.forEachValue((_, count) => (seen += count));
      expect(seen).toBe(all.length);
    }
  });

  it('one model: its own distribution, not a copy', () => {
    const d = new Distribution(new ExactValueBudget(100));
    d.add(1);
    expect(Distribution.combine([d])).toBe(d);
  });

  it('no array of the combined size is allocated: the report build stays within --exact-limit', () => {
    const perPart = 50_000;
    const budget = new ExactValueBudget(1e7);
    const parts = [0, 1, 2].map(() => new Distribution(budget));
    const rng = new Rng(3);
    for (const d of parts) for (let i = 0; i < perPart; i++) d.add(rng.float());
    const heldBefore = budget.held;
    const allocated: number[] = [];
    const Original = globalThis.Float64Array;
    // Every new Float64Array of a given length (not views on an existing buffer) is recorded.
    globalThis.Float64Array = class extends Original {
      constructor(...args: unknown[]) {
        super(...(args as [number]));
        if (typeof args[0] === 'number') allocated.push(args[0]);
      }
    } as Float64ArrayConstructor;
    let summary;
    try {
      const combined = Distribution.combine(parts);
      summary = combined.summary();
      combined.forEachValue(() => undefined);
    } finally {
      globalThis.Float64Array = Original;
    }
    expect(summary.count).toBe(3 * perPart);
    expect(allocated.reduce((a, b) => a + b, 0)).toBeLessThan(1000);
    expect(budget.held).toBe(heldBefore);
    expect(budget.exceeded).toBe(false);
  });
});

describe('LogSketch', () => {
  it('every percentile within α of the exact nearest-rank value; zeros counted as 0', () => {
    for (const alpha of [0.01, 0.05]) {
      const s = new LogSketch(alpha);
      const xs = values(10_000, 3);
      for (const v of xs) s.add(v);
      const sorted = Float64Array.from(xs).sort();
      for (let p = 0; p <= 100; p += 0.5) {
        const exact = percentileOfSorted(sorted, p) as number;
        expect(Math.abs((s.percentile(p) as number) - exact)).toBeLessThanOrEqual(alpha * exact + 1e-12);
      }
      expect(s.percentile(0)).toBe(0);
    }
  });

  it('merges exactly; refuses another relative error; empty has no percentile', () => {
    const a = new LogSketch(0.01);
    const b = new LogSketch(0.01);
    const whole = new LogSketch(0.01);
    values(3000, 5).forEach((v, i) => {
      (i % 3 ? a : b).add(v);
      whole.add(v);
    });
    a.merge(b);
    for (const p of [10, 50, 99]) expect(a.percentile(p)).toBe(whole.percentile(p));
    expect(a.count).toBe(3000);
    expect(() => a.merge(new LogSketch(0.02))).toThrow();
    expect(new LogSketch().percentile(50)).toBeUndefined();
  });

  it('memory depends on the range of values, not their number', () => {
    const s = new LogSketch(0.01);
    for (let i = 0; i < 200_000; i++) s.add(0.001 + (i % 1000) / 10); // 1 ms .. 100 s
    expect(s.bytes).toBeLessThan(16 * 1024);
  });
});
