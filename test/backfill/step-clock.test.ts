import { describe, expect, it } from 'vitest';
import { StepClock, StepLimitError } from '../../src/backfill/step-clock.js';

/** Runs `times` through a clock, recording which lines were counted before each emitted step. */
function run(times: (number | undefined)[], step = 60, maxSteps = 1000): { steps: number[]; countedAt: Map<number, number>; last: number | undefined } {
  const steps: number[] = [];
  const countedAt = new Map<number, number>();
  let counted = 0;
  const clock = new StepClock(step, maxSteps, (t) => {
    steps.push(t);
    countedAt.set(t, counted);
  });
  for (const t of times) {
    clock.observe(t);
    counted++;
  }
  return { steps, countedAt, last: clock.finish() };
}

describe('StepClock', () => {
  it('puts a line at exactly T into the set for T, and one just after into the next', () => {
    const { steps, countedAt } = run([100, 120, 120.001, 179]);
    expect(steps).toEqual([120, 180]);
    expect(countedAt.get(120)).toBe(2);
    expect(countedAt.get(180)).toBe(4);
  });

  it('aligns steps to multiples of the step in epoch time, and the last one holds every line', () => {
    const { steps, countedAt, last } = run([1735689601, 1735689950.5], 300);
    expect(steps).toEqual([1735689900, 1735690200]);
    expect(last).toBe(1735690200);
    expect(countedAt.get(1735690200)).toBe(2);
  });

  it('writes every step across a quiet stretch, with the same count', () => {
    const { steps, countedAt } = run([10, 400]);
    expect(steps).toEqual([60, 120, 180, 240, 300, 360, 420]);
    expect([60, 120, 180, 240, 300, 360].map((t) => countedAt.get(t))).toEqual([1, 1, 1, 1, 1, 1]);
    expect(countedAt.get(420)).toBe(2);
  });

  it('counts a late line (before a step already written) in the next step, so counts never go down', () => {
    const { steps, countedAt } = run([10, 130, 50, 140, 200]);
    expect(steps).toEqual([60, 120, 180, 240]);
    expect(countedAt.get(120)).toBe(1);
    // 130, 50 (late) and 140 all land in 180.
    expect(countedAt.get(180)).toBe(4);
    expect(countedAt.get(240)).toBe(5);
  });

  it('counts lines without a time at the last time seen; before the first one, in the first step', () => {
    const { steps, countedAt } = run([undefined, 30, undefined, NaN, 90]);
    expect(steps).toEqual([60, 120]);
    expect(countedAt.get(60)).toBe(4);
    expect(countedAt.get(120)).toBe(5);
  });

  it('emits nothing when no line has a time', () => {
    const { steps, last } = run([undefined, undefined]);
    expect(steps).toEqual([]);
    expect(last).toBeUndefined();
  });

  it('refuses a span of more steps than allowed before writing any of the gap', () => {
    const steps: number[] = [];
    const clock = new StepClock(60, 10, (t) => steps.push(t));
    clock.observe(0);
    clock.observe(540); // step 10 of 10: fine
    expect(steps).toHaveLength(9);
    expect(() => clock.observe(1e9)).toThrow(StepLimitError);
    expect(steps).toHaveLength(9);
  });

  it('rejects a step that is not a whole number of seconds', () => {
    expect(() => new StepClock(0.5, 10, () => undefined)).toThrow(RangeError);
    expect(() => new StepClock(0, 10, () => undefined)).toThrow(RangeError);
  });
});
