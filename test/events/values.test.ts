import { describe, expect, it } from 'vitest';
import { parseDurationString, parseIsoTimestamp, toCount, toEpochSeconds, toSeconds } from '../../src/events/values.js';

describe('duration strings', () => {
  it('reads the forms TGI writes', () => {
    expect(parseDurationString('357.867572ms')).toBeCloseTo(0.357867572, 12);
    expect(parseDurationString('49.382µs')).toBeCloseTo(49.382e-6, 15);
    expect(parseDurationString('1.2s')).toBe(1.2);
    expect(parseDurationString('1m30s')).toBe(90);
    expect(parseDurationString('250ns')).toBeCloseTo(250e-9, 18);
  });
  it('rejects anything that is not entirely a duration', () => {
    expect(parseDurationString('fast')).toBeUndefined();
    expect(parseDurationString('12')).toBeUndefined();
    expect(parseDurationString('1.2sx')).toBeUndefined();
    expect(parseDurationString('')).toBeUndefined();
  });
});

describe('toSeconds', () => {
  it('scales numbers by unit and validates', () => {
    expect(toSeconds(1876, 'ms', 86400)).toBe(1.876);
    expect(toSeconds('1876', 'ms', 86400)).toBe(1.876);
    expect(toSeconds('fast', 'ms', 86400)).toBe('unparseable');
    expect(toSeconds(true, 'ms', 86400)).toBe('wrong_type');
    expect(toSeconds(-5, 'ms', 86400)).toBe('negative');
    expect(toSeconds(1e15, 'ms', 86400)).toBe('out_of_range');
  });
});

describe('timestamps', () => {
  it('parses ISO 8601 with zones and fractions exactly like Date.parse', () => {
    for (const s of ['2025-04-05T10:23:45Z', '2025-04-05T10:23:45.123Z', '2025-04-05T10:23:45+08:00', '2024-01-22T14:12:48.556953Z', '2025-04-05 14:23:11']) {
      const expected = Date.parse(s.includes('Z') || s.includes('+') ? s : `${s.replace(' ', 'T')}Z`) / 1000;
      expect(parseIsoTimestamp(s)).toBeCloseTo(expected, 2);
    }
  });
  it('keeps microseconds that Date.parse would drop', () => {
    expect(parseIsoTimestamp('2024-01-22T14:12:48.556953Z')).toBeCloseTo(1705932768.556953, 6);
  });
  it('tells epoch units apart by magnitude', () => {
    expect(toEpochSeconds(1735689234, 'auto')).toBe(1735689234);
    expect(toEpochSeconds(1735689234123, 'auto')).toBe(1735689234.123);
    expect(toEpochSeconds(1735689234123456, 'auto')).toBeCloseTo(1735689234.123456, 5);
    expect(toEpochSeconds('not a time', 'auto')).toBe('unparseable');
  });
  it('counts must be non-negative integers', () => {
    expect(toCount(12, 1e6)).toBe(12);
    expect(toCount(12.5, 1e6)).toBe('not_integer');
    expect(toCount(-1, 1e6)).toBe('negative');
    expect(toCount({}, 1e6)).toBe('wrong_type');
  });
});

describe('values that would not be numbers', () => {
  it('a duration string with more digits than a double holds is unparseable, never NaN', () => {
    expect(parseDurationString(`1.${'0'.repeat(400)}s`)).toBeUndefined();
    expect(toSeconds(`1.${'0'.repeat(400)}s`, 'ms', 86400)).toBe('unparseable');
    expect(toSeconds(`${'9'.repeat(18)}ms`, 'ms', 86400)).toBe('unparseable');
    expect(parseDurationString('12345678901234567ms')).toBeCloseTo(12345678901234.567, 0);
  });
});
