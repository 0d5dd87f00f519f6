import { MAPPABLE_FIELDS, type MappableField } from '../events/event.js';
import { FIELD_PROBLEMS, type FieldProblem } from '../events/values.js';

/** Why a whole line was not counted as a request. */
export const INVALID_REASONS = ['json_syntax', 'not_object', 'too_long'] as const;
export type InvalidReason = (typeof INVALID_REASONS)[number];

/** Things repaired in a line that was still counted. */
export const LINE_WARNINGS = ['bom', 'invalid_utf8'] as const;
export type LineWarning = (typeof LINE_WARNINGS)[number];

export const LINE_RESULTS = ['ok', 'invalid', 'unmapped', 'empty'] as const;
export type LineResult = (typeof LINE_RESULTS)[number];

const FIELD_NAMES = Object.keys(MAPPABLE_FIELDS) as MappableField[];
const FIELD_INDEX = new Map(FIELD_NAMES.map((f, i) => [f, i]));
const PROBLEM_INDEX = new Map(FIELD_PROBLEMS.map((p, i) => [p, i]));

/**
 * What happened to every line read, across all sources. Plain typed arrays indexed by the fixed
 * reason lists: incrementing costs a few nanoseconds, and rendering happens at scrape time.
 */
export class LineStats {
  readonly results = new Float64Array(LINE_RESULTS.length);
  readonly invalid = new Float64Array(INVALID_REASONS.length);
  readonly warnings = new Float64Array(LINE_WARNINGS.length);
  /** [field × problem] counts of fields dropped from otherwise counted lines. */
  readonly fieldProblems = new Float64Array(FIELD_NAMES.length * FIELD_PROBLEMS.length);
  bytesRead = 0;
  /** Events a consumer threw on (a bug, counted and logged, never fatal). Not checkpointed. */
  consumerErrors = 0;
  /** Told about every discarded line and dropped field (the sidecar logs them, rate-limited). */
  onProblem: ((problem: string) => void) | undefined;

  ok(): void {
    this.results[0]!++;
  }
  unmapped(): void {
    this.results[2]!++;
  }
  empty(): void {
    this.results[3]!++;
  }
  invalidLine(reason: InvalidReason): void {
    this.results[1]!++;
    this.invalid[INVALID_REASONS.indexOf(reason)]!++;
    this.onProblem?.(reason);
  }
  warning(w: LineWarning): void {
    this.warnings[LINE_WARNINGS.indexOf(w)]!++;
  }
  fieldProblem(field: MappableField, problem: FieldProblem): void {
    this.fieldProblems[(FIELD_INDEX.get(field) as number) * FIELD_PROBLEMS.length + (PROBLEM_INDEX.get(problem) as number)]!++;
    this.onProblem?.(`${field}: ${problem}`);
  }

  /** Non-zero field problems, for exposition. */
  *fieldProblemEntries(): Generator<[MappableField, FieldProblem, number]> {
    for (let f = 0; f < FIELD_NAMES.length; f++) {
      for (let p = 0; p < FIELD_PROBLEMS.length; p++) {
        const v = this.fieldProblems[f * FIELD_PROBLEMS.length + p] as number;
        if (v > 0) yield [FIELD_NAMES[f] as MappableField, FIELD_PROBLEMS[p] as FieldProblem, v];
      }
    }
  }

  /** A consumer threw. Its message is not passed on: it could carry response text. */
  consumerError(): void {
    this.consumerErrors++;
    this.onProblem?.('consumer_error');
  }

  snapshot(): LineStatsState {
    return { results: [...this.results], invalid: [...this.invalid], warnings: [...this.warnings], fieldProblems: [...this.fieldProblems], bytesRead: this.bytesRead };
  }

  incompatibility(state: LineStatsState): string | undefined {
    if (state.results.length !== this.results.length || state.invalid.length !== this.invalid.length) return 'the line results changed';
    if (state.warnings.length !== this.warnings.length || !fieldsFit(state.fieldProblems.length, this.fieldProblems.length)) return 'the line warnings or fields changed';
    return undefined;
  }

  restore(state: LineStatsState): void {
    const problem = this.incompatibility(state);
    if (problem !== undefined) throw new Error(problem);
    for (const [name, target, source] of [
      ['results', this.results, state.results],
      ['invalid', this.invalid, state.invalid],
      ['warnings', this.warnings, state.warnings],
      ['fieldProblems', this.fieldProblems, state.fieldProblems],
    ] as const) {
      if (name === 'fieldProblems' ? !fieldsFit(source.length, target.length) : source.length !== target.length) throw new Error(`line stats ${name} changed shape`);
      target.fill(0);
      target.set(source);
    }
    this.bytesRead = state.bytesRead;
  }

  total(): number {
    return this.results.reduce((a, b) => a + b, 0);
  }
}

/**
 * New mappable fields are appended (cached_tokens was), so a checkpoint written before one has a
 * prefix of today's per-field counts: it still fits, the new fields start at 0.
 */
function fieldsFit(saved: number, now: number): boolean {
  return saved <= now && saved % FIELD_PROBLEMS.length === 0;
}

export interface LineStatsState {
  results: number[];
  invalid: number[];
  warnings: number[];
  fieldProblems: number[];
  bytesRead: number;
}
