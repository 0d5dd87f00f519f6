import { describe, expect, it } from 'vitest';
import { deriveSeed, Rng, WeightedPicker } from '../../src/simulator/random.js';

const draws = (rng: Rng, n: number, f: (r: Rng) => number): number[] => Array.from({ length: n }, () => f(rng));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('Rng', () => {
  it('is deterministic from the seed and differs between seeds', () => {
    const a = draws(new Rng(7), 100, (r) => r.float());
    expect(draws(new Rng(7), 100, (r) => r.float())).toEqual(a);
    expect(draws(new Rng(8), 100, (r) => r.float())).not.toEqual(a);
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('derives independent, stable stream seeds', () => {
    expect(deriveSeed(1, 2)).toBe(deriveSeed(1, 2));
    expect(new Set([deriveSeed(1, 1), deriveSeed(1, 2), deriveSeed(2, 1), deriveSeed(2, 2)]).size).toBe(4);
  });

  it('draws distributions with the requested centre', () => {
    const rng = new Rng(3);
    expect(mean(draws(rng, 20000, (r) => r.normal()))).toBeCloseTo(0, 1);
    expect(median(draws(rng, 20000, (r) => r.lognormal(600, 1)))).toBeGreaterThan(560);
    expect(median(draws(rng, 20000, (r) => r.lognormal(600, 1)))).toBeLessThan(640);
    expect(mean(draws(rng, 20000, (r) => r.exponential(2)))).toBeCloseTo(2, 1);
    expect(mean(draws(rng, 20000, (r) => r.poisson(3.5)))).toBeCloseTo(3.5, 1);
    expect(mean(draws(rng, 5000, (r) => r.poisson(400)))).toBeCloseTo(400, -1);
    expect(new Rng(1).poisson(0)).toBe(0);
  });

  it('keeps integers in range', () => {
    const rng = new Rng(5);
    const xs = draws(rng, 5000, (r) => r.intBetween(3, 6));
    expect(new Set(xs)).toEqual(new Set([3, 4, 5, 6]));
    expect(rng.id(16)).toMatch(/^[0-9a-z]{16}$/);
  });
});

describe('WeightedPicker', () => {
  it('picks in proportion to the weights and never a zero weight', () => {
    const picker = new WeightedPicker([
      ['a', 0.6],
      ['b', 0.3],
      ['c', 0.1],
      ['never', 0],
    ] as const);
    const rng = new Rng(11);
    const counts = new Map<string, number>();
    for (let i = 0; i < 20000; i++) {
      const k = picker.pick(rng);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect((counts.get('a') ?? 0) / 20000).toBeCloseTo(0.6, 1);
    expect((counts.get('b') ?? 0) / 20000).toBeCloseTo(0.3, 1);
    expect((counts.get('c') ?? 0) / 20000).toBeCloseTo(0.1, 1);
    expect(counts.has('never')).toBe(false);
  });

  it('rejects weights that cannot be drawn from', () => {
    expect(() => new WeightedPicker([['a', 0]])).toThrow();
    expect(() => new WeightedPicker([['a', -1]])).toThrow();
  });
});
