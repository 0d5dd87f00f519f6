import { describe, expect, it } from 'vitest';
import { cutLabelValue, LabelLimiter, OTHER_VALUE } from '../../../src/consumers/metrics/label-limiter.js';

describe('LabelLimiter', () => {
  it('admits the first maxValues distinct values and folds later new ones into __other__', () => {
    const l = new LabelLimiter(['model'], 3, 100);
    expect(['a', 'b', 'a', 'c'].map((v) => l.value(0, v))).toEqual(['a', 'b', 'a', 'c']);
    expect(l.value(0, 'd')).toBe(OTHER_VALUE);
    expect(l.value(0, 'e')).toBe(OTHER_VALUE);
    expect(l.value(0, 'd')).toBe(OTHER_VALUE);
    // Admitted values stay admitted after the cap.
    expect(l.value(0, 'b')).toBe('b');
    expect(l.distinct(0)).toBe(3);
    // folded counts events, not distinct values.
    expect(l.folded[0]).toBe(3);
  });

  it('OTHER_VALUE is __other__', () => {
    expect(OTHER_VALUE).toBe('__other__');
  });

  it('keeps each label apart', () => {
    const l = new LabelLimiter(['model', 'status'], 1, 100);
    expect(l.value(0, 'm1')).toBe('m1');
    expect(l.value(1, 'm1')).toBe('m1');
    expect(l.value(0, 'm2')).toBe(OTHER_VALUE);
    expect(l.value(1, 'ok')).toBe(OTHER_VALUE);
    expect(l.value(1, 'ok2')).toBe(OTHER_VALUE);
    expect([...l.folded]).toEqual([1, 2]);
    expect(l.names).toEqual(['model', 'status']);
  });

  it('the empty string is a value like any other', () => {
    const l = new LabelLimiter(['x'], 1, 100);
    expect(l.value(0, '')).toBe('');
    expect(l.value(0, 'y')).toBe(OTHER_VALUE);
  });

  it('truncates admitted values to maxLength characters', () => {
    const l = new LabelLimiter(['x'], 10, 5);
    expect(l.value(0, 'abcdefgh')).toBe('abcde');
    expect(l.value(0, 'abcde')).toBe('abcde');
    expect(l.value(0, 'abcdefgh')).toBe('abcde');
    expect(l.value(0, 'é中😀')).toBe('é中😀');
  });

  it('never splits a surrogate pair', () => {
    const l = new LabelLimiter(['x'], 10, 3);
    // 'ab' + U+1F600 (two UTF-16 units): cutting at 3 would leave a lone high surrogate.
    const cut = l.value(0, 'ab😀z');
    expect(cut).toBe('ab');
    expect(Buffer.from(cut, 'utf8').toString('utf8')).toBe(cut);
    const l4 = new LabelLimiter(['x'], 10, 4);
    expect(l4.value(0, 'ab😀z')).toBe('ab😀');
  });

  it('keeps punctuation verbatim', () => {
    const l = new LabelLimiter(['x'], 10, 100);
    expect(l.value(0, 'a,b"c\nd\\e')).toBe('a,b"c\nd\\e');
  });

  it('admittedOf maps a raw value seen before to its cut form, and an admitted value to itself, without counting folds', () => {
    const l = new LabelLimiter(['x'], 1, 5);
    expect(l.value(0, 'abcdefgh')).toBe('abcde');
    expect(l.value(0, 'zzz')).toBe(OTHER_VALUE);
    expect(l.admittedOf(0, 'abcdefgh')).toBe('abcde');
    expect(l.admittedOf(0, 'abcde')).toBe('abcde');
    expect(l.admittedOf(0, OTHER_VALUE)).toBe(OTHER_VALUE);
    expect(l.folded[0]).toBe(1);
  });

  it('a restore under a smaller length cuts the saved admitted values (and never splits a pair)', () => {
    const a = new LabelLimiter(['x'], 10, 100);
    a.value(0, 'abcdefgh');
    a.value(0, 'ab😀cd');
    const b = new LabelLimiter(['x'], 10, 3);
    b.restore(JSON.parse(JSON.stringify(a.snapshot())));
    expect(b.value(0, 'abcdefgh')).toBe('abc');
    expect(b.value(0, 'ab😀cd')).toBe('ab');
    expect(b.readmit(OTHER_VALUE)).toBe(OTHER_VALUE);
  });

  it('cutLabelValue counts UTF-16 units and drops a pair that would be split at the cut', () => {
    expect(cutLabelValue('abc', 3)).toBe('abc');
    expect(cutLabelValue('😀😀', 3)).toBe('😀');
    expect(cutLabelValue('😀😀', 4)).toBe('😀😀');
    expect(cutLabelValue('a😀', 2)).toBe('a');
    expect(cutLabelValue('"\n\u2028', 2)).toBe('"\n');
  });
});
