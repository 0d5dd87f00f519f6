import { describe, expect, it } from 'vitest';
import { compileDetector, compileMapping, compilePath, type ValueLimits } from '../../src/events/compile.js';
import type { InferenceEvent, MappableField } from '../../src/events/event.js';
import { mappingSpecSchema, type MappingSpecInput } from '../../src/events/mapping-spec.js';
import type { ByteUnit, FieldProblem } from '../../src/events/values.js';

const LIMITS: ValueLimits = { maxDurationSeconds: 86_400, maxTokens: 10_000_000, maxBytes: 2 ** 44 };

function compile(spec: MappingSpecInput, limits: ValueLimits = LIMITS) {
  return compileMapping('test', mappingSpecSchema.parse(spec), limits);
}

function run(spec: MappingSpecInput, line: Record<string, unknown>, limits: ValueLimits = LIMITS) {
  const problems: [MappableField, FieldProblem][] = [];
  const event: InferenceEvent = compile(spec, limits).extract(line, (f, p) => problems.push([f, p]));
  return { event, problems };
}

describe('compilePath', () => {
  const doc = {
    a: { b: [{ c: 1 }, { c: 2, d: [10, [20, 21]] }] },
    zero: 0,
    empty: '',
    no: false,
    nil: null,
    'dash-key': 'x',
  };

  it('walks keys and array indexes', () => {
    expect(compilePath('a.b[0].c')(doc)).toBe(1);
    expect(compilePath('a.b[1].c')(doc)).toBe(2);
    expect(compilePath('a.b[1].d[1][0]')(doc)).toBe(20);
    expect(compilePath('dash-key')(doc)).toBe('x');
    expect(compilePath('a.b')(doc)).toBe(doc.a.b);
  });

  it('is undefined for missing keys, indexes past the end, and walking through scalars', () => {
    expect(compilePath('a.x')(doc)).toBeUndefined();
    expect(compilePath('a.b[5].c')(doc)).toBeUndefined();
    expect(compilePath('zero.x')(doc)).toBeUndefined();
    expect(compilePath('nil.x')(doc)).toBeUndefined();
    expect(compilePath('a')(null)).toBeUndefined();
    expect(compilePath('a')('text')).toBeUndefined();
  });

  it('takes the first alternative that is not undefined or null', () => {
    expect(compilePath('missing|nil|a.b[0].c')(doc)).toBe(1);
    expect(compilePath('missing | a.b[1].c')(doc)).toBe(2);
    // 0, "" and false are present values.
    expect(compilePath('zero|a.b[0].c')(doc)).toBe(0);
    expect(compilePath('empty|a.b[0].c')(doc)).toBe('');
    expect(compilePath('no|a.b[0].c')(doc)).toBe(false);
    expect(compilePath('missing|other')(doc)).toBeUndefined();
  });

  it('rejects malformed paths', () => {
    expect(() => compilePath('a[b]')).toThrow(/invalid path segment/);
    expect(() => compilePath('a]')).toThrow(/invalid path segment/);
    expect(() => compilePath('.')).toThrow(/empty path/);
  });
});

describe('compileDetector', () => {
  const candidates = [['x.a|y', 'out.meta'], ['u.p', 'k', 'u.q', 'u.r.s'], ['m.t', 'm.v[0]'], ['gen\\.ai\\.model', 'n']];
  /** The plain reading: candidates in order, each marker path read on its own (as compilePath reads it). */
  const reference = (line: Record<string, unknown>): number => candidates.findIndex((paths) => paths.some((p) => compilePath(p)(line) !== undefined));

  it('picks the first candidate with a marker present (null counts), however markers share a first key', () => {
    const detect = compileDetector(candidates);
    const values: unknown[] = [undefined, null, 0, '', 'x', [], [null], [1], {}];
    const nested = (v: unknown) => ({ p: v, q: v, r: { s: v }, t: v, v, a: v, meta: v });
    const lines: Record<string, unknown>[] = [{}, { 'gen.ai.model': 1 }, { n: null }, { k: 0, m: { t: 1 } }];
    for (const v of values) for (const key of ['x', 'out', 'u', 'm']) {
      lines.push({ [key]: v }, { [key]: nested(v) }, { [key]: nested(v), n: 1 });
    }
    for (const line of lines) expect(detect(line), JSON.stringify(line)).toBe(reference(line));
    expect(detect({ u: { r: { s: 1 } } })).toBe(1);
    expect(detect({ u: { r: 's' } })).toBe(-1);
    expect(detect({ m: { v: [null] } })).toBe(2);
  });
});

describe('match rules', () => {
  const m = compile({
    fields: {},
    match: [{ kind: { equals: ['request', 7, true] }, 'meta.id': { present: true } }, { 'x.y': { present: false }, special: { equals: ['yes'] } }],
  });

  it('an entry matches when all its conditions hold; any entry matching makes a request', () => {
    expect(m.isRequest({ kind: 'request', meta: { id: 'a' } })).toBe(true);
    expect(m.isRequest({ kind: 7, meta: { id: 0 } })).toBe(true);
    expect(m.isRequest({ kind: true, meta: { id: false } })).toBe(true);
    expect(m.isRequest({ kind: 'request' })).toBe(false);
    expect(m.isRequest({ kind: 'request', meta: { id: null } })).toBe(false);
    expect(m.isRequest({ kind: 'other', meta: { id: 'a' } })).toBe(false);
    expect(m.isRequest({ kind: '7', meta: { id: 'a' } })).toBe(false);
    expect(m.isRequest({ special: 'yes' })).toBe(true);
    expect(m.isRequest({ special: 'yes', x: { y: 1 } })).toBe(false);
    expect(m.isRequest({ special: 'no' })).toBe(false);
    expect(m.isRequest({})).toBe(false);
  });

  it('without match rules a line is a request only when it carries a request field (issue 16)', () => {
    const m = compile({ fields: { timestamp: 'ts', request_id: 'id', level: 'level', e2e_latency: { path: 'took', unit: 'ms' }, model: 'engine' } });
    expect(m.isRequest({})).toBe(false);
    // A timestamp, an id and a level are any log line, not a request.
    expect(m.isRequest({ ts: 1, id: 'x', level: 'INFO' })).toBe(false);
    expect(m.isRequest({ took: 5 })).toBe(true);
    expect(m.isRequest({ engine: 'e1' })).toBe(true);
    // Present but unusable still makes a request (the field is then dropped and counted).
    expect(m.isRequest({ took: 'fast' })).toBe(true);
    expect(m.isRequest({ took: null })).toBe(false);
    expect(compile({ fields: {} }).isRequest({ anything: 1 })).toBe(false);
  });

  it('null_values read as absent, in request detection and in fields, and let the next alternative win', () => {
    const m = compile({ null_values: ['-', ''], fields: { e2e_latency: { path: 'a|b', unit: 's' } } });
    expect(m.isRequest({ a: '-' })).toBe(false);
    expect(m.isRequest({ a: '' })).toBe(false);
    expect(m.extract({ a: '-', b: '2.5' }, () => undefined).e2eSeconds).toBe(2.5);
  });
});

describe('field kinds', () => {
  it('strings: numbers and booleans are stringified, empty strings are absent, objects are wrong_type', () => {
    expect(run({ fields: { model: 'm' } }, { m: 42 }).event.model).toBe('42');
    expect(run({ fields: { model: 'm' } }, { m: true }).event.model).toBe('true');
    const empty = run({ fields: { model: 'm' } }, { m: '' });
    expect(empty.event.model).toBeUndefined();
    expect(empty.problems).toEqual([]);
    const obj = run({ fields: { model: 'm' } }, { m: { name: 'x' } });
    expect(obj.event.model).toBeUndefined();
    expect(obj.problems).toEqual([['model', 'wrong_type']]);
  });

  it('text is taken verbatim (empty included) and must be a string', () => {
    expect(run({ fields: { output: 'o' } }, { o: '' }).event.output).toBe('');
    expect(run({ fields: { output: 'o' } }, { o: ' a\nb ' }).event.output).toBe(' a\nb ');
    expect(run({ fields: { output: 'o' } }, { o: 5 }).problems).toEqual([['output', 'wrong_type']]);
  });

  it('durations in each unit become seconds', () => {
    const spec: MappingSpecInput = {
      fields: {
        e2e_latency: { path: 'ms', unit: 'ms' },
        time_to_first_token: { path: 'us', unit: 'us' },
        queue_time: { path: 'ns', unit: 'ns' },
        inference_time: 's',
        time_per_output_token: { path: 'd', unit: 'duration' },
      },
    };
    const { event, problems } = run(spec, { ms: 1876, us: 320000, ns: 5_000_000, s: '2.5', d: '1m30s' });
    expect(problems).toEqual([]);
    expect(event.e2eSeconds).toBe(1.876);
    expect(event.ttftSeconds).toBe(0.32);
    expect(event.queueSeconds).toBe(0.005);
    expect(event.inferenceSeconds).toBe(2.5);
    expect(event.tpotSeconds).toBe(90);
  });

  it('a duration string with a unit suffix is read whatever the declared unit', () => {
    expect(run({ fields: { e2e_latency: { path: 'v', unit: 'ms' } } }, { v: '250ms' }).event.e2eSeconds).toBe(0.25);
    expect(run({ fields: { e2e_latency: { path: 'v', unit: 'ns' } } }, { v: '2s' }).event.e2eSeconds).toBe(2);
  });

  it('unit duration needs a duration string', () => {
    expect(run({ fields: { e2e_latency: { path: 'v', unit: 'duration' } } }, { v: 12 }).problems).toEqual([['e2e_latency', 'wrong_type']]);
    expect(run({ fields: { e2e_latency: { path: 'v', unit: 'duration' } } }, { v: '12' }).problems).toEqual([['e2e_latency', 'unparseable']]);
    expect(run({ fields: { e2e_latency: { path: 'v', unit: 'duration' } } }, { v: '12 parsecs' }).problems).toEqual([['e2e_latency', 'unparseable']]);
  });

  it('bad durations are dropped with their reason', () => {
    const spec: MappingSpecInput = { fields: { e2e_latency: { path: 'v', unit: 'ms' } } };
    const cases: [unknown, FieldProblem][] = [
      ['fast', 'unparseable'],
      [true, 'wrong_type'],
      [[1], 'wrong_type'],
      [-1, 'negative'],
      [1e15, 'out_of_range'], // 10^12 s
      ['0x10', 'unparseable'],
    ];
    for (const [v, problem] of cases) {
      const { event, problems } = run(spec, { v });
      expect(event.e2eSeconds, JSON.stringify(v)).toBeUndefined();
      expect(problems, JSON.stringify(v)).toEqual([['e2e_latency', problem]]);
    }
  });

  it('the duration limit is configurable and inclusive', () => {
    const limits = { ...LIMITS, maxDurationSeconds: 10 };
    const spec: MappingSpecInput = { fields: { e2e_latency: 'v' } };
    expect(run(spec, { v: 10 }, limits).event.e2eSeconds).toBe(10);
    expect(run(spec, { v: 10.001 }, limits).problems).toEqual([['e2e_latency', 'out_of_range']]);
  });

  it('counts must be non-negative integers within the token limit', () => {
    const spec: MappingSpecInput = { fields: { prompt_tokens: 'p', completion_tokens: 'c' } };
    expect(run(spec, { p: 1240, c: '320' }).event).toMatchObject({ promptTokens: 1240, completionTokens: 320 });
    expect(run(spec, { p: 0 }).event.promptTokens).toBe(0);
    expect(run(spec, { p: true }).problems).toEqual([['prompt_tokens', 'wrong_type']]);
    expect(run(spec, { p: 1.5 }).problems).toEqual([['prompt_tokens', 'not_integer']]);
    expect(run(spec, { p: -3 }).problems).toEqual([['prompt_tokens', 'negative']]);
    expect(run(spec, { p: 10_000_001 }).problems).toEqual([['prompt_tokens', 'out_of_range']]);
    expect(run(spec, { p: 10_000_000 }).event.promptTokens).toBe(10_000_000);
  });

  it('bytes scale by unit and respect the limit', () => {
    const units: [ByteUnit, number][] = [
      ['B', 1],
      ['KB', 1e3],
      ['MB', 1e6],
      ['GB', 1e9],
      ['KiB', 1024],
      ['MiB', 1024 ** 2],
      ['GiB', 1024 ** 3],
    ];
    for (const [unit, scale] of units) {
      const { event } = run({ fields: { gpu_memory: { path: 'g', unit } } }, { g: 3 });
      expect(event.gpuMemoryBytes, unit).toBe(3 * scale);
    }
    expect(run({ fields: { gpu_memory: { path: 'g', unit: 'MiB' } } }, { g: 18432 }).event.gpuMemoryBytes).toBe(19_327_352_832);
    expect(run({ fields: { gpu_memory: 'g' } }, { g: 512 }).event.gpuMemoryBytes).toBe(512);
    expect(run({ fields: { gpu_memory: { path: 'g', unit: 'GiB' } } }, { g: 16385 }).problems).toEqual([['gpu_memory', 'out_of_range']]);
    expect(run({ fields: { gpu_memory: 'g' } }, { g: -1 }).problems).toEqual([['gpu_memory', 'negative']]);
  });

  it('booleans', () => {
    const spec: MappingSpecInput = { fields: { json_mode: 'j' } };
    expect(run(spec, { j: true }).event.jsonMode).toBe(true);
    expect(run(spec, { j: false }).event.jsonMode).toBe(false);
    expect(run(spec, { j: 'true' }).event.jsonMode).toBe(true);
    expect(run(spec, { j: 0 }).event.jsonMode).toBe(false);
    expect(run(spec, { j: 'yes' }).problems).toEqual([['json_mode', 'wrong_type']]);
  });

  it('timestamps by format', () => {
    expect(run({ fields: { timestamp: 't' } }, { t: '2025-04-05T10:23:45Z' }).event.timestamp).toBe(Date.UTC(2025, 3, 5, 10, 23, 45) / 1000);
    expect(run({ fields: { timestamp: 't' } }, { t: 1735689234123 }).event.timestamp).toBe(1735689234.123);
    expect(run({ fields: { timestamp: { path: 't', format: 'epoch_ms' } } }, { t: 1000 }).event.timestamp).toBe(1);
    expect(run({ fields: { timestamp: { path: 't', format: 'iso8601' } } }, { t: 1735689234 }).problems).toEqual([['timestamp', 'wrong_type']]);
    expect(run({ fields: { timestamp: { path: 't', format: 'iso8601' } } }, { t: 'yesterday' }).problems).toEqual([['timestamp', 'unparseable']]);
  });

  // Regression test (was a bug): toNumber's string branch (src/events/values.ts, `return Number(raw)` in toNumber) does not
  // check that the number is finite, although its doc says "a string holding only a finite decimal
  // number" and the number branch rejects non-finite values. "1e400" becomes Infinity, and
  // toEpochSeconds has no upper bound, so the event gets timestamp Infinity.
  it('a numeric string that overflows to Infinity is dropped like the number would be', () => {
    const spec: MappingSpecInput = { fields: { timestamp: 't' } };
    const asNumber = run(spec, { t: Number.POSITIVE_INFINITY });
    expect(asNumber.problems).toEqual([['timestamp', 'unparseable']]);
    const asString = run(spec, { t: '1e400' });
    expect(asString.event.timestamp).toBeUndefined();
    expect(asString.problems).toEqual([['timestamp', 'unparseable']]);
  });

  // Regression test (was a bug): with format auto, a numeric string goes to parseIsoTimestamp first, whose Date.parse
  // fallback (src/events/values.ts, end of parseIsoTimestamp) reads short digit strings with V8's
  // legacy date heuristics: "12" is 2001-12-01 (1007164800) and "100" is the year 100
  // (-59011459200, a negative epoch that skips the negative check). As numbers they are epoch
  // seconds 12 and 100.
  it('a short numeric string timestamp is an epoch number, not a date guessed by Date.parse', () => {
    const spec: MappingSpecInput = { fields: { timestamp: 't' } };
    expect(run(spec, { t: 12 }).event.timestamp).toBe(12);
    expect(run(spec, { t: '12' }).event.timestamp).toBe(12);
    expect(run(spec, { t: '100' }).event.timestamp).toBe(100);
  });

  it('realistic numeric string timestamps are read by magnitude', () => {
    const spec: MappingSpecInput = { fields: { timestamp: 't' } };
    expect(run(spec, { t: '1735689234' }).event.timestamp).toBe(1735689234);
    expect(run(spec, { t: '1735689234123' }).event.timestamp).toBe(1735689234.123);
  });

  it('null and missing fields are absent, not problems', () => {
    const { event, problems } = run({ fields: { e2e_latency: 'e', model: 'm', prompt_tokens: 'p' } }, { e: null });
    expect(problems).toEqual([]);
    expect(event.e2eSeconds).toBeUndefined();
    expect(event.model).toBeUndefined();
    expect(event.promptTokens).toBeUndefined();
  });

  it('a bad field does not spoil the others', () => {
    const { event, problems } = run(
      { fields: { e2e_latency: { path: 'e', unit: 'ms' }, prompt_tokens: 'p', completion_tokens: 'c', model: 'm' } },
      { e: 'fast', p: true, c: 7, m: 'llama' },
    );
    expect(problems).toEqual([
      ['e2e_latency', 'unparseable'],
      ['prompt_tokens', 'wrong_type'],
    ]);
    expect(event).toEqual({ status: 'unknown', completionTokens: 7, model: 'llama' });
  });

  it('each extract starts from an empty event', () => {
    const m = compile({ fields: { model: 'm', e2e_latency: 'e' } });
    const sink = () => {};
    expect(m.extract({ m: 'a', e: 1 }, sink)).toEqual({ status: 'unknown', model: 'a', e2eSeconds: 1 });
    expect(m.extract({}, sink)).toEqual({ status: 'unknown' });
  });
});

describe('mapping spec validation', () => {
  it('a unit that does not fit the field kind is rejected at its path', () => {
    const r = mappingSpecSchema.safeParse({ fields: { e2e_latency: { path: 'd', unit: 'MiB' } } });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['fields.e2e_latency.unit', 'expected one of ns|us|ms|s|duration']]);
    const g = mappingSpecSchema.safeParse({ fields: { gpu_memory: { path: 'g', unit: 'ms' } } });
    expect(g.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['fields.gpu_memory.unit', 'expected one of B|KB|MB|GB|KiB|MiB|GiB']]);
  });

  it('unknown fields and keys are rejected', () => {
    expect(mappingSpecSchema.safeParse({ fields: { latency: 'x' } }).success).toBe(false);
    expect(mappingSpecSchema.safeParse({ fields: {}, extra: 1 }).success).toBe(false);
    expect(mappingSpecSchema.safeParse({ fields: { model: { path: 'm', colour: 'red' } } }).success).toBe(false);
  });
});

describe('derived and conditional fields', () => {
  it('`\\.` is a dot inside a key', () => {
    expect(compilePath('gen_ai\\.usage\\.input_tokens')({ 'gen_ai.usage.input_tokens': 7, gen_ai: { usage: { input_tokens: 9 } } })).toBe(7);
    expect(compilePath('gen_ai.usage.input_tokens')({ 'gen_ai.usage.input_tokens': 7, gen_ai: { usage: { input_tokens: 9 } } })).toBe(9);
  });

  it('minus: the difference of two epoch timestamps; absent when either is; negative is a problem', () => {
    const spec: MappingSpecInput = { fields: { e2e_latency: { path: 'end', minus: 'start', unit: 's' } } };
    expect(run(spec, { start: 1767608641.5, end: 1767608643.75 }).event.e2eSeconds).toBe(2.25);
    expect(run(spec, { end: 1767608643.75 }).event.e2eSeconds).toBeUndefined();
    expect(run(spec, { start: 2, end: 1 }).problems).toEqual([['e2e_latency', 'negative']]);
    expect(run(spec, { start: 0, end: 1e9 }).problems).toEqual([['e2e_latency', 'out_of_range']]);
    expect(run({ fields: { e2e_latency: { path: 'end', minus: 'start', unit: 'ms' } } }, { start: '1000', end: '3500' }).event.e2eSeconds).toBe(2.5);
  });

  it('over: a count as the rounded ratio of two durations; a zero divisor is a problem', () => {
    const spec: MappingSpecInput = { fields: { completion_tokens: { path: 'inf', over: 'tpt', unit: 'duration' } } };
    expect(run(spec, { inf: '1.754210493s', tpt: '11.694736ms' }).event.completionTokens).toBe(150);
    expect(run(spec, { inf: '1s', tpt: '0ns' }).problems).toEqual([['completion_tokens', 'out_of_range']]);
    expect(run(spec, { inf: '1s' }).event.completionTokens).toBeUndefined();
  });

  it('list: the last attempt or the sum of all, "-" skipped', () => {
    const last: MappingSpecInput = { fields: { inference_time: { path: 't', unit: 's', list: 'last' } } };
    const total: MappingSpecInput = { fields: { inference_time: { path: 't', unit: 's', list: 'sum' } } };
    expect(run(last, { t: '0.001, 2.609' }).event.inferenceSeconds).toBe(2.609);
    expect(run(last, { t: '0.5 : 1.25' }).event.inferenceSeconds).toBe(1.25);
    expect(run(last, { t: '0.001, -' }).event.inferenceSeconds).toBeUndefined();
    expect(run(last, { t: '1.877' }).event.inferenceSeconds).toBe(1.877);
    expect(run(total, { t: '-, 0.5, 1.25' }).event.inferenceSeconds).toBe(1.75);
    expect(run(total, { t: '0.5, fast' }).problems).toEqual([['inference_time', 'unparseable']]);
  });

  it('when: the field is read only on lines matching the entry', () => {
    const spec: MappingSpecInput = { fields: { time_to_first_token: { path: 'first', minus: 'start', unit: 's', when: { stream: { equals: [true] } } } } };
    expect(run(spec, { stream: true, start: 10, first: 10.25 }).event.ttftSeconds).toBe(0.25);
    expect(run(spec, { stream: null, start: 10, first: 10.25 }).event.ttftSeconds).toBeUndefined();
    expect(run(spec, { start: 10, first: 10.25 }).event.ttftSeconds).toBeUndefined();
  });

  it('the schema rejects options on fields that cannot take them', () => {
    const issues = (spec: unknown) => mappingSpecSchema.safeParse(spec).error?.issues.map((i) => [i.path.join('.'), i.message]);
    expect(issues({ fields: { prompt_tokens: { path: 'a', minus: 'b' } } })).toEqual([['fields.prompt_tokens.minus', 'field prompt_tokens takes no minus (durations only)']]);
    expect(issues({ fields: { e2e_latency: { path: 'a', over: 'b' } } })).toEqual([['fields.e2e_latency.over', 'field e2e_latency takes no over (counts only)']]);
    expect(issues({ fields: { prompt_tokens: { path: 'a', unit: 'ms' } } })).toEqual([['fields.prompt_tokens.unit', 'field prompt_tokens takes no unit']]);
    expect(issues({ fields: { completion_tokens: { path: 'a', over: 'b', unit: 'duration' } } })).toBeUndefined();
  });
});
