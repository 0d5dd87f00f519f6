import { describe, expect, it } from 'vitest';
import type { EventConsumer } from '../../src/consumers/consumer.js';
import { OTHER_VALUE } from '../../src/consumers/metrics/label-limiter.js';
import { RequestMetrics } from '../../src/consumers/metrics/request-metrics.js';
import type { ValueLimits } from '../../src/events/compile.js';
import { Decoder, type DecoderOptions } from '../../src/events/decoder.js';
import type { InferenceEvent } from '../../src/events/event.js';
import { mappingSpecSchema } from '../../src/events/mapping-spec.js';
import { INVALID_REASONS, LINE_RESULTS, LINE_WARNINGS, LineStats, type InvalidReason, type LineResult, type LineWarning } from '../../src/pipeline/line-stats.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { PRESET_NAMES } from '../../src/events/presets.js';

const LIMITS: ValueLimits = { maxDurationSeconds: 86_400, maxTokens: 10_000_000, maxBytes: 2 ** 44 };
const AUTO: DecoderOptions = { preset: 'auto', limits: LIMITS, defaultModel: 'dflt' };

const results = (s: LineStats, r: LineResult) => s.results[LINE_RESULTS.indexOf(r)] as number;
const invalid = (s: LineStats, r: InvalidReason) => s.invalid[INVALID_REASONS.indexOf(r)] as number;
const warnings = (s: LineStats, w: LineWarning) => s.warnings[LINE_WARNINGS.indexOf(w)] as number;

/** Every counter of a LineStats, zeros included, so one assertion pins all of them. */
function snapshot(s: LineStats) {
  return {
    ok: results(s, 'ok'),
    invalid: results(s, 'invalid'),
    unmapped: results(s, 'unmapped'),
    empty: results(s, 'empty'),
    json_syntax: invalid(s, 'json_syntax'),
    not_object: invalid(s, 'not_object'),
    too_long: invalid(s, 'too_long'),
    bom: warnings(s, 'bom'),
    invalid_utf8: warnings(s, 'invalid_utf8'),
    fieldProblems: [...s.fieldProblemEntries()],
  };
}
const ZERO = { ok: 0, invalid: 0, unmapped: 0, empty: 0, json_syntax: 0, not_object: 0, too_long: 0, bom: 0, invalid_utf8: 0, fieldProblems: [] };

class Collect implements EventConsumer {
  readonly events: InferenceEvent[] = [];
  consume(event: InferenceEvent): void {
    this.events.push(event);
  }
}

function pipeline(maxLineBytes = 4096, options: DecoderOptions = AUTO, extra: EventConsumer[] = []) {
  const collect = new Collect();
  const p = new Pipeline(options, [collect, ...extra], maxLineBytes);
  return { p, events: collect.events, stats: p.stats };
}

/** Push `data` through a fresh splitter in chunks of `chunkSize` bytes (all at once when 0). */
function feed(p: Pipeline, data: Buffer | string, chunkSize = 0): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const s = p.splitter();
  if (chunkSize <= 0) s.push(buf);
  else for (let i = 0; i < buf.length; i += chunkSize) s.push(buf.subarray(i, i + chunkSize));
  expect(s.pendingBytes).toBe(0);
}

/** The valid line every bad-input case is followed by; its event proves reading went on. */
const VALID = '{"request_id":"after","total_time_ms":250,"input_tokens":10,"output_tokens":5}';
const VALID_EVENT: InferenceEvent = {
  requestId: 'after',
  model: 'dflt',
  status: 'unknown',
  e2eSeconds: 0.25,
  promptTokens: 10,
  completionTokens: 5,
};

describe('Decoder.decode', () => {
  it('counts every line in exactly one result', () => {
    const stats = new LineStats();
    const d = new Decoder(AUTO, stats);
    d.decode(VALID);
    d.decode('');
    d.decode('{');
    d.decode('[]');
    d.decode('{"no":"marker"}');
    expect(snapshot(stats)).toEqual({ ...ZERO, ok: 1, empty: 1, invalid: 2, json_syntax: 1, not_object: 1, unmapped: 1 });
    expect(stats.total()).toBe(5);
  });

  it('fills in the default model only when the line names none', () => {
    const d = new Decoder(AUTO, new LineStats());
    expect(d.decode('{"total_time_ms":1}')?.model).toBe('dflt');
    expect(d.decode('{"total_time_ms":1,"model":"llama-3"}')?.model).toBe('llama-3');
    // A model field of the wrong type is dropped, and the default applies.
    expect(d.decode('{"total_time_ms":1,"model":{"x":1}}')?.model).toBe('dflt');
  });

  it('strips a BOM and counts it as a warning', () => {
    const stats = new LineStats();
    const e = new Decoder(AUTO, stats).decode(`\uFEFF${VALID}`);
    expect(e).toEqual(VALID_EVENT);
    expect(snapshot(stats)).toEqual({ ...ZERO, ok: 1, bom: 1 });
  });

  it('strips a trailing CR', () => {
    const stats = new LineStats();
    const d = new Decoder(AUTO, stats);
    expect(d.decode(`${VALID}\r`)).toEqual(VALID_EVENT);
    expect(d.decode('\r')).toBeUndefined();
    expect(snapshot(stats)).toEqual({ ...ZERO, ok: 1, empty: 1 });
  });

  it('blank lines (spaces, tabs, CR) are empty, not invalid', () => {
    const stats = new LineStats();
    const d = new Decoder(AUTO, stats);
    for (const line of ['', ' ', '\t', '  \t \r', '\uFEFF']) expect(d.decode(line)).toBeUndefined();
    expect(snapshot(stats)).toEqual({ ...ZERO, empty: 5, bom: 1 });
  });

  it('custom needs a mapping', () => {
    expect(() => new Decoder({ preset: 'custom', limits: LIMITS, defaultModel: 'x' }, new LineStats())).toThrow(/custom/);
  });

  it('custom without match: an object carrying none of the request fields is unmapped', () => {
    const stats = new LineStats();
    const mapping = mappingSpecSchema.parse({ fields: { timestamp: 'ts', e2e_latency: { path: 'took', unit: 'ms' }, model: 'engine' } });
    const d = new Decoder({ preset: 'custom', mapping, limits: LIMITS, defaultModel: 'x' }, stats);
    expect(d.decode('{"took":42,"engine":"e1"}')).toEqual({ status: 'unknown', model: 'e1', e2eSeconds: 0.042 });
    expect(d.decode('{"unrelated":true}')).toBeUndefined();
    expect(d.decode('{"ts":1767608627}')).toBeUndefined();
    expect(snapshot(stats)).toEqual({ ...ZERO, ok: 1, unmapped: 2 });
  });

  it('issue 16: under every named preset an object with none of its fields is unmapped, not ok', () => {
    const deep = `{"x":${'{"y":'.repeat(200)}1${'}'.repeat(200)}}`;
    for (const preset of PRESET_NAMES) {
      const stats = new LineStats();
      const d = new Decoder({ preset, limits: LIMITS, defaultModel: 'x' }, stats);
      expect(d.decode('{"note":"overflow","value":1e400}'), preset).toBeUndefined();
      expect(d.decode(deep), preset).toBeUndefined();
      expect(d.decode('{"timestamp":"2026-01-05T10:23:47Z","level":"INFO","message":"server started","port":8000}'), preset).toBeUndefined();
      expect(snapshot(stats), preset).toEqual({ ...ZERO, unmapped: 3 });
    }
  });
});

describe('time per output token', () => {
  const d = () => new Decoder({ preset: 'openai', limits: LIMITS, defaultModel: 'm' }, new LineStats());
  const line = (extra: string) => `{"usage":{"prompt_tokens":1${extra}}`;

  it('is derived as (e2e − ttft)/(completion − 1) when not logged', () => {
    expect(d().decode(`${line(',"completion_tokens":4},"latency_ms":2000,"ttft_ms":500')}`)?.tpotSeconds).toBe(0.5);
    expect(d().decode(`${line(',"completion_tokens":2},"latency_ms":1500,"ttft_ms":500')}`)?.tpotSeconds).toBe(1);
    expect(d().decode(`${line(',"completion_tokens":67},"latency_ms":1150,"ttft_ms":320')}`)?.tpotSeconds).toBe((1.15 - 0.32) / 66);
  });

  it('is not derived for fewer than 2 completion tokens', () => {
    expect(d().decode(`${line(',"completion_tokens":1},"latency_ms":2000,"ttft_ms":500')}`)?.tpotSeconds).toBeUndefined();
    expect(d().decode(`${line(',"completion_tokens":0},"latency_ms":2000,"ttft_ms":500')}`)?.tpotSeconds).toBeUndefined();
  });

  it('is not derived when an input is missing, or when e2e < ttft', () => {
    expect(d().decode(`${line(',"completion_tokens":4},"ttft_ms":500')}`)?.tpotSeconds).toBeUndefined();
    expect(d().decode(`${line(',"completion_tokens":4},"latency_ms":2000')}`)?.tpotSeconds).toBeUndefined();
    expect(d().decode(`${line('},"latency_ms":2000,"ttft_ms":500')}`)?.tpotSeconds).toBeUndefined();
    expect(d().decode(`${line(',"completion_tokens":4},"latency_ms":400,"ttft_ms":500')}`)?.tpotSeconds).toBeUndefined();
  });

  it('a logged value is kept, not replaced by the derived one', () => {
    const mapping = mappingSpecSchema.parse({
      fields: { e2e_latency: 'e2e', time_to_first_token: 'ttft', completion_tokens: 'n', time_per_output_token: 'tpot' },
    });
    const c = new Decoder({ preset: 'custom', mapping, limits: LIMITS, defaultModel: 'm' }, new LineStats());
    expect(c.decode('{"e2e":2,"ttft":0.5,"n":4,"tpot":0.02}')?.tpotSeconds).toBe(0.02);
    expect(c.decode('{"e2e":2,"ttft":0.5,"n":4}')?.tpotSeconds).toBe(0.5);
  });
});

describe('bad input does not stop the valid line after it', () => {
  /** Feed `bad` then VALID; return the stats and the events. */
  function badThenValid(bad: Buffer | string, maxLineBytes = 4096, chunkSize = 0) {
    const r = pipeline(maxLineBytes);
    const badBuf = typeof bad === 'string' ? Buffer.from(bad, 'utf8') : bad;
    feed(r.p, Buffer.concat([badBuf, Buffer.from(`\n${VALID}\n`)]), chunkSize);
    expect(r.events.at(-1), 'the valid line after the bad one').toEqual(VALID_EVENT);
    return r;
  }

  it('truncated JSON → json_syntax', () => {
    const { stats, events } = badThenValid('{"request_id":"r1","total_time_ms":12');
    expect(snapshot(stats)).toEqual({ ...ZERO, ok: 1, invalid: 1, json_syntax: 1 });
    expect(events).toHaveLength(1);
  });

  it.each(['[1,2]', '"x"', 'null', '42', 'true'])('non-object JSON %s → not_object', (bad) => {
    const { stats, events } = badThenValid(bad);
    expect(snapshot(stats)).toEqual({ ...ZERO, ok: 1, invalid: 1, not_object: 1 });
    expect(events).toHaveLength(1);
  });

  it('"total_time_ms":"fast" → request counted, e2e dropped, e2e_latency unparseable', () => {
    const { stats, events } = badThenValid('{"request_id":"r1","total_time_ms":"fast","input_tokens":3}');
    expect(snapshot(stats)).toEqual({ ...ZERO, ok: 2, fieldProblems: [['e2e_latency', 'unparseable', 1]] });
    expect(events).toHaveLength(2);
    expect(events[0]).toEqual({ requestId: 'r1', model: 'dflt', status: 'unknown', promptTokens: 3 });
  });

  it('"input_tokens": true → wrong_type', () => {
    const { stats, events } = badThenValid('{"request_id":"r1","total_time_ms":100,"input_tokens":true}');
    expect(snapshot(stats)).toEqual({ ...ZERO, ok: 2, fieldProblems: [['prompt_tokens', 'wrong_type', 1]] });
    expect(events[0]).toEqual({ requestId: 'r1', model: 'dflt', status: 'unknown', e2eSeconds: 0.1 });
  });

  it('a negative latency → negative', () => {
    const { stats, events } = badThenValid('{"request_id":"r1","total_time_ms":-5,"output_tokens":1}');
    expect(snapshot(stats)).toEqual({ ...ZERO, ok: 2, fieldProblems: [['e2e_latency', 'negative', 1]] });
    expect(events[0]?.e2eSeconds).toBeUndefined();
    expect(events[0]?.completionTokens).toBe(1);
  });

  it('an absurd latency (10^12 s) → out_of_range', () => {
    const { stats, events } = badThenValid('{"request_id":"r1","total_time_ms":1e15}');
    expect(snapshot(stats)).toEqual({ ...ZERO, ok: 2, fieldProblems: [['e2e_latency', 'out_of_range', 1]] });
    expect(events[0]?.e2eSeconds).toBeUndefined();
  });

  it('a UTF-8 BOM is stripped, warned about, and the line counted', () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const { stats, events } = badThenValid(Buffer.concat([bom, Buffer.from('{"request_id":"bom","total_time_ms":100}')]));
    expect(snapshot(stats)).toEqual({ ...ZERO, ok: 2, bom: 1 });
    expect(events[0]).toEqual({ requestId: 'bom', model: 'dflt', status: 'unknown', e2eSeconds: 0.1 });
  });

  it('a BOM split byte by byte across chunks is still recognized', () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const { stats } = badThenValid(Buffer.concat([bom, Buffer.from('{"request_id":"bom","total_time_ms":100}')]), 4096, 1);
    expect(snapshot(stats)).toEqual({ ...ZERO, ok: 2, bom: 1 });
  });

  it('CRLF line ends: every line read once, no empty lines, no CR in values', () => {
    const { p, stats, events } = pipeline();
    const lines = ['{"request_id":"a","total_time_ms":1}', '{"request_id":"b","total_time_ms":2,"status":"ok"}', '{"total_time_ms":3,"request_id":"c"}'];
    feed(p, `${lines.join('\r\n')}\r\n`);
    expect(snapshot(stats)).toEqual({ ...ZERO, ok: 3 });
    expect(events.map((e) => e.requestId)).toEqual(['a', 'b', 'c']);
    expect(events[1]?.status).toBe('success');
    // A CRLF-only line is an empty line.
    const r = pipeline();
    feed(r.p, `\r\n${VALID}\r\n`);
    expect(snapshot(r.stats)).toEqual({ ...ZERO, ok: 1, empty: 1 });
    expect(r.events).toEqual([VALID_EVENT]);
  });

  it('invalid UTF-8 bytes: warning invalid_utf8, line still counted', () => {
    const bad = Buffer.concat([Buffer.from('{"request_id":"r'), Buffer.from([0xff, 0xc0, 0xaf]), Buffer.from('","total_time_ms":7}')]);
    const { stats, events } = badThenValid(bad);
    expect(snapshot(stats)).toEqual({ ...ZERO, ok: 2, invalid_utf8: 1 });
    expect(events[0]?.requestId).toBe('r\uFFFD\uFFFD\uFFFD');
    expect(events[0]?.e2eSeconds).toBe(0.007);
  });

  it('a real U+FFFD character is not an invalid_utf8 warning', () => {
    const { stats, events } = badThenValid('{"request_id":"r\uFFFD","total_time_ms":7}');
    expect(snapshot(stats)).toEqual({ ...ZERO, ok: 2 });
    expect(events[0]?.requestId).toBe('r\uFFFD');
  });

  describe('a line over the max length', () => {
    const MAX = 200;
    const long = `{"request_id":"long","total_time_ms":1,"pad":"${'x'.repeat(500)}"}`;

    it.each([
      ['in one chunk', 0],
      ['in 1-byte chunks', 1],
      ['in 7-byte chunks', 7],
      ['in 64-byte chunks', 64],
      ['in chunks just over the limit', MAX + 1],
    ])('is discarded as too_long %s, and the next line read', (_name, chunkSize) => {
      const { stats, events } = badThenValid(long, MAX, chunkSize);
      expect(snapshot(stats)).toEqual({ ...ZERO, ok: 1, invalid: 1, too_long: 1 });
      expect(events).toEqual([VALID_EVENT]);
    });

    it('a line of exactly the max length is read, one byte more is not', () => {
      for (const chunkSize of [0, 1, 13]) {
        const base = '{"request_id":"edge","total_time_ms":9,"pad":""}';
        const exact = `{"request_id":"edge","total_time_ms":9,"pad":"${'y'.repeat(MAX - base.length)}"}`;
        expect(Buffer.byteLength(exact)).toBe(MAX);
        const a = badThenValid(exact, MAX, chunkSize);
        expect(snapshot(a.stats), `exact, chunk ${chunkSize}`).toEqual({ ...ZERO, ok: 2 });
        expect(a.events[0]?.requestId).toBe('edge');
        const over = exact.replace('"pad":"', '"pad":"y');
        expect(Buffer.byteLength(over)).toBe(MAX + 1);
        const b = badThenValid(over, MAX, chunkSize);
        expect(snapshot(b.stats), `over, chunk ${chunkSize}`).toEqual({ ...ZERO, ok: 1, invalid: 1, too_long: 1 });
      }
    });

    it('several over-long lines in a row are each counted once', () => {
      const { p, stats, events } = pipeline(MAX);
      feed(p, `${long}\n${long}\n${VALID}\n${long}\n${VALID}\n`, 50);
      expect(snapshot(stats)).toEqual({ ...ZERO, ok: 2, invalid: 3, too_long: 3 });
      expect(events).toEqual([VALID_EVENT, VALID_EVENT]);
    });
  });

  it('empty and blank lines are counted as empty', () => {
    const { stats, events } = badThenValid('\n \n\t\n');
    expect(snapshot(stats)).toEqual({ ...ZERO, ok: 1, empty: 4 });
    expect(events).toEqual([VALID_EVENT]);
  });

  it('unknown fields are ignored', () => {
    const { stats, events } = badThenValid('{"request_id":"u","total_time_ms":100,"foo":{"bar":[1,2]},"zzz":"x","choices":null}');
    expect(snapshot(stats)).toEqual({ ...ZERO, ok: 2 });
    expect(events[0]).toEqual({ requestId: 'u', model: 'dflt', status: 'unknown', e2eSeconds: 0.1 });
  });

  it('a JSON object matching no preset is unmapped', () => {
    const { stats } = badThenValid('{"msg":"listening","port":8000}');
    expect(snapshot(stats)).toEqual({ ...ZERO, ok: 1, unmapped: 1 });
  });

  it('reports discarded lines and dropped fields to onProblem', () => {
    const { p, stats } = pipeline(100);
    const seen: string[] = [];
    stats.onProblem = (problem) => seen.push(problem);
    feed(p, `{\n[]\n${'z'.repeat(150)}\n{"total_time_ms":"fast"}\n`);
    expect(seen).toEqual(['json_syntax', 'not_object', 'too_long', 'e2e_latency: unparseable']);
  });
});

describe('label values through the pipeline', () => {
  const metricsOptions = { labels: ['model', 'status'] as const, maxValuesPerLabel: 100, maxLabelValueLength: 128, buckets: {}, exemplars: true };

  it('a label value with a comma, quote, backslash or newline is kept verbatim', () => {
    const metrics = new RequestMetrics(metricsOptions);
    const { p, stats } = pipeline(4096, AUTO, [metrics]);
    const model = 'a,b"c\nd\\e=f}';
    feed(p, `${JSON.stringify({ model, total_time_ms: 10, status: 'ok' })}\n${VALID}\n`);
    expect(snapshot(stats)).toEqual({ ...ZERO, ok: 2 });
    const labels = [...metrics.series.values()].map((s) => s.labels);
    expect(labels).toEqual([
      { model, status: 'success' },
      { model: 'dflt', status: 'unknown' },
    ]);
  });

  it('10,000 distinct model names with max_values 100: 100 model series + __other__, 9,900 folded', () => {
    const metrics = new RequestMetrics(metricsOptions);
    const { p, stats, events } = pipeline(4096, AUTO, [metrics]);
    const lines: string[] = [];
    for (let i = 0; i < 10_000; i++) lines.push(`{"model":"model-${i}","total_time_ms":${i % 50},"status":"success"}`);
    feed(p, `${lines.join('\n')}\n`, 65_536);
    expect(snapshot(stats)).toEqual({ ...ZERO, ok: 10_000 });
    expect(events).toHaveLength(10_000);

    const models = [...metrics.series.values()].map((s) => s.labels.model);
    expect(new Set(models).size).toBe(models.length);
    expect(models).toHaveLength(101);
    const expected = Array.from({ length: 100 }, (_, i) => `model-${i}`);
    expect(models.filter((m) => m !== OTHER_VALUE).sort()).toEqual(expected.sort());
    expect(models).toContain(OTHER_VALUE);

    const other = [...metrics.series.values()].find((s) => s.labels.model === OTHER_VALUE);
    expect(other?.requests).toBe(9_900);
    expect(metrics.limiter.folded[0]).toBe(9_900);
    expect(metrics.limiter.folded[1]).toBe(0);
    expect(metrics.limiter.distinct(0)).toBe(100);
    const total = [...metrics.series.values()].reduce((a, s) => a + s.requests, 0);
    expect(total).toBe(10_000);
  });
});
