import { describe, expect, it } from 'vitest';
import { FIELD_PROBLEMS } from '../../src/events/values.js';
import { LineStats } from '../../src/pipeline/line-stats.js';

describe('LineStats checkpoints', () => {
  it('a checkpoint from before a mappable field was appended still fits; the new field starts at 0', () => {
    const before = new LineStats();
    before.fieldProblem('e2e_latency', 'wrong_type');
    before.ok();
    const state = before.snapshot();
    // As written before cached_tokens existed: one field's block shorter.
    state.fieldProblems = state.fieldProblems.slice(0, -FIELD_PROBLEMS.length);
    const now = new LineStats();
    now.fieldProblem('cached_tokens', 'negative');
    expect(now.incompatibility(state)).toBeUndefined();
    now.restore(state);
    expect([...now.fieldProblemEntries()]).toEqual([['e2e_latency', 'wrong_type', 1]]);
    expect(now.total()).toBe(1);
  });

  it('a checkpoint with more fields, or a partial block, does not fit', () => {
    const state = new LineStats().snapshot();
    expect(new LineStats().incompatibility({ ...state, fieldProblems: [...state.fieldProblems, ...new Array<number>(FIELD_PROBLEMS.length).fill(0)] })).toBeDefined();
    expect(new LineStats().incompatibility({ ...state, fieldProblems: state.fieldProblems.slice(0, -1) })).toBeDefined();
  });
});
