import { describe, expect, it } from 'vitest';
import { compileMapping, type ValueLimits } from '../../src/events/compile.js';
import type { InferenceEvent, MappableField } from '../../src/events/event.js';
import { mappingSpecSchema } from '../../src/events/mapping-spec.js';
import { normalizeLevel, statusFromHttpCode, statusFromLevel, statusFromValue } from '../../src/events/status.js';
import type { FieldProblem } from '../../src/events/values.js';

const LIMITS: ValueLimits = { maxDurationSeconds: 86_400, maxTokens: 10_000_000, maxBytes: 2 ** 44 };

describe('statusFromValue: words', () => {
  it.each([
    ['success', 'success'],
    ['OK', 'success'],
    ['Completed', 'success'],
    ['stop', 'success'],
    ['length', 'success'],
    ['error', 'error'],
    ['Failed', 'error'],
    ['FAILURE', 'error'],
    ['oom', 'error'],
    ['internal-error', 'error'],
    ['timeout', 'timeout'],
    ['timed-out', 'timeout'],
    ['Timed Out', 'timeout'],
    ['DEADLINE_EXCEEDED', 'timeout'],
    ['cancelled', 'cancelled'],
    ['Canceled', 'cancelled'],
    ['client disconnected', 'cancelled'],
    ['aborted', 'cancelled'],
    ['rejected', 'rejected'],
    ['rate-limited', 'rejected'],
    ['Too Many Requests', 'rejected'],
    ['overloaded', 'rejected'],
    ['bad_request', 'client_error'],
    ['Validation Error', 'client_error'],
    ['invalid', 'client_error'],
    ['  ok  ', 'success'],
  ] as const)('%j → %s', (word, expected) => {
    expect(statusFromValue(word)).toBe(expected);
  });

  it('an unrecognized word is unknown, not an error and not success', () => {
    expect(statusFromValue('weird')).toBe('unknown');
    expect(statusFromValue('in progress')).toBe('unknown');
  });

  it('values that say nothing are undefined', () => {
    expect(statusFromValue('')).toBeUndefined();
    expect(statusFromValue(true)).toBeUndefined();
    expect(statusFromValue(null)).toBeUndefined();
    expect(statusFromValue({ code: 200 })).toBeUndefined();
  });
});

describe('statusFromValue / statusFromHttpCode: HTTP codes', () => {
  it.each([
    [200, 'success'],
    [201, 'success'],
    [204, 'success'],
    [302, 'success'],
    [408, 'timeout'],
    [504, 'timeout'],
    [499, 'cancelled'],
    [429, 'rejected'],
    [503, 'rejected'],
    [400, 'client_error'],
    [401, 'client_error'],
    [404, 'client_error'],
    [422, 'client_error'],
    [500, 'error'],
    [502, 'error'],
    [507, 'error'],
  ] as const)('%i → %s', (code, expected) => {
    expect(statusFromHttpCode(code)).toBe(expected);
    expect(statusFromValue(code)).toBe(expected);
    // The same code written as a string.
    expect(statusFromValue(String(code))).toBe(expected);
  });

  it('numbers that are not HTTP codes are undefined', () => {
    for (const n of [0, 99, 600, 1000, -200, 200.5, Number.NaN]) {
      expect(statusFromHttpCode(n)).toBeUndefined();
      expect(statusFromValue(n)).toBeUndefined();
    }
  });

  it('a three-digit string outside 100–599 is not a status; other digit strings are unknown words', () => {
    expect(statusFromValue('999')).toBeUndefined();
    expect(statusFromValue('099')).toBeUndefined();
    expect(statusFromValue('2000')).toBe('unknown');
  });
});

describe('levels', () => {
  it('normalizes names and synonyms to upper case', () => {
    expect(normalizeLevel('info')).toBe('INFO');
    expect(normalizeLevel('Error')).toBe('ERROR');
    expect(normalizeLevel('err')).toBe('ERROR');
    expect(normalizeLevel('warning')).toBe('WARN');
    expect(normalizeLevel('critical')).toBe('FATAL');
    expect(normalizeLevel('crit')).toBe('FATAL');
    expect(normalizeLevel('panic')).toBe('FATAL');
    expect(normalizeLevel('debug')).toBe('DEBUG');
    expect(normalizeLevel('')).toBeUndefined();
    expect(normalizeLevel(false)).toBeUndefined();
  });

  it('reads pino/bunyan numeric levels', () => {
    expect(normalizeLevel(10)).toBe('TRACE');
    expect(normalizeLevel(20)).toBe('DEBUG');
    expect(normalizeLevel(30)).toBe('INFO');
    expect(normalizeLevel(40)).toBe('WARN');
    expect(normalizeLevel(50)).toBe('ERROR');
    expect(normalizeLevel(60)).toBe('FATAL');
    expect(normalizeLevel(5)).toBeUndefined();
  });

  it('only ERROR and FATAL mean a failed request', () => {
    expect(statusFromLevel('ERROR')).toBe('error');
    expect(statusFromLevel('FATAL')).toBe('error');
    expect(statusFromLevel('INFO')).toBe('success');
    expect(statusFromLevel('WARN')).toBe('success');
    expect(statusFromLevel('DEBUG')).toBe('success');
  });
});

/** A mapping reading every status-related field from same-named keys. */
function statusMapping() {
  return compileMapping(
    'status-test',
    mappingSpecSchema.parse({
      fields: { status: 'status', http_status: 'code', level: 'level', error_type: 'error_type', e2e_latency: 'e2e' },
    }),
    LIMITS,
  );
}

function extract(line: Record<string, unknown>): { event: InferenceEvent; problems: [MappableField, FieldProblem][] } {
  const problems: [MappableField, FieldProblem][] = [];
  const event = statusMapping().extract(line, (f, p) => problems.push([f, p]));
  return { event, problems };
}

describe('status and errorType on extracted events', () => {
  it('a status word wins; errorType is the status name', () => {
    expect(extract({ status: 'timed out' }).event).toMatchObject({ status: 'timeout', errorType: 'timeout' });
    expect(extract({ status: 'Failed' }).event).toMatchObject({ status: 'error', errorType: 'error' });
    expect(extract({ status: 'rate_limited' }).event).toMatchObject({ status: 'rejected', errorType: 'rejected' });
  });

  it('an HTTP code gives the status and an http_<code> errorType', () => {
    const cases: [number, string][] = [
      [503, 'rejected'],
      [429, 'rejected'],
      [504, 'timeout'],
      [408, 'timeout'],
      [499, 'cancelled'],
      [404, 'client_error'],
      [500, 'error'],
    ];
    for (const [code, status] of cases) {
      const { event } = extract({ code });
      expect(event.status).toBe(status);
      expect(event.errorType).toBe(`http_${code}`);
    }
  });

  it('a numeric string HTTP code is read too', () => {
    const { event, problems } = extract({ code: '503' });
    expect(event.status).toBe('rejected');
    expect(event.errorType).toBe('http_503');
    expect(problems).toEqual([]);
  });

  it('HTTP 200 is success with no errorType', () => {
    const { event } = extract({ code: 200 });
    expect(event.status).toBe('success');
    expect(event.errorType).toBeUndefined();
  });

  it('a status word takes precedence over the HTTP code, but the errorType names the code', () => {
    const { event } = extract({ status: 'failed', code: 502 });
    expect(event.status).toBe('error');
    expect(event.errorType).toBe('http_502');
  });

  it('the level is the fallback: ERROR → error, INFO → success', () => {
    expect(extract({ level: 'ERROR' }).event).toMatchObject({ status: 'error', errorType: 'error', level: 'ERROR' });
    expect(extract({ level: 'error' }).event).toMatchObject({ status: 'error', errorType: 'error', level: 'ERROR' });
    expect(extract({ level: 50 }).event).toMatchObject({ status: 'error', errorType: 'error', level: 'ERROR' });
    const info = extract({ level: 'INFO' }).event;
    expect(info.status).toBe('success');
    expect(info.errorType).toBeUndefined();
    expect(extract({ level: 'warning' }).event.status).toBe('success');
  });

  it('the HTTP code takes precedence over the level', () => {
    expect(extract({ level: 'INFO', code: 500 }).event.status).toBe('error');
    expect(extract({ level: 'ERROR', code: 200 }).event.status).toBe('success');
  });

  it('nothing logged: unknown, with no errorType', () => {
    const { event } = extract({ e2e: 1 });
    expect(event.status).toBe('unknown');
    expect(event.errorType).toBeUndefined();
  });

  it('a logged error_type is kept on failures', () => {
    expect(extract({ status: 'error', error_type: 'oom' }).event).toMatchObject({ status: 'error', errorType: 'oom' });
    expect(extract({ code: 503, error_type: 'overloaded' }).event).toMatchObject({ status: 'rejected', errorType: 'overloaded' });
    expect(extract({ error_type: 'oom' }).event).toMatchObject({ status: 'unknown', errorType: 'oom' });
  });

  it('a logged error_type is cleared on success', () => {
    const bySuccessWord = extract({ status: 'ok', error_type: 'none' }).event;
    expect(bySuccessWord.status).toBe('success');
    expect(bySuccessWord.errorType).toBeUndefined();
    const byCode = extract({ code: 201, error_type: 'x' }).event;
    expect(byCode.status).toBe('success');
    expect(byCode.errorType).toBeUndefined();
    const byLevel = extract({ level: 'INFO', error_type: 'x' }).event;
    expect(byLevel.status).toBe('success');
    expect(byLevel.errorType).toBeUndefined();
  });

  it('unusable status values are dropped and reported', () => {
    const bad = extract({ code: 99, status: true, level: {} });
    expect(bad.event.status).toBe('unknown');
    expect(bad.problems).toEqual([
      ['status', 'wrong_type'],
      ['http_status', 'out_of_range'],
      ['level', 'wrong_type'],
    ]);
    expect(extract({ code: 'abc' }).problems).toEqual([['http_status', 'unparseable']]);
    expect(extract({ status: 1000 }).problems).toEqual([['status', 'out_of_range']]);
  });
});
