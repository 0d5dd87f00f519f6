import { afterEach, describe, expect, it, vi } from 'vitest';
import { REQUEST_HISTOGRAMS, type HistogramKey, type LabelName } from '../../../src/consumers/metrics/definitions.js';
import type { Histogram } from '../../../src/consumers/metrics/histogram.js';
import { OTHER_VALUE } from '../../../src/consumers/metrics/label-limiter.js';
import { RequestMetrics, type RequestMetricsOptions, type RequestSeries } from '../../../src/consumers/metrics/request-metrics.js';
import type { InferenceEvent } from '../../../src/events/event.js';

afterEach(() => {
  vi.restoreAllMocks();
});

function metrics(overrides: Partial<RequestMetricsOptions> = {}): RequestMetrics {
  return new RequestMetrics({ labels: ['model', 'status'], maxValuesPerLabel: 100, maxLabelValueLength: 128, buckets: {}, exemplars: true, ...overrides });
}

function series(m: RequestMetrics, labels: Record<string, string>): RequestSeries {
  const found = [...m.series.values()].filter((s) => JSON.stringify(s.labels) === JSON.stringify(labels));
  expect(found, JSON.stringify(labels)).toHaveLength(1);
  return found[0] as RequestSeries;
}

function hist(s: RequestSeries, key: HistogramKey): Histogram | undefined {
  return s.histograms[REQUEST_HISTOGRAMS.findIndex((h) => h.key === key)];
}

function ev(e: Partial<InferenceEvent>): InferenceEvent {
  return { status: 'success', ...e };
}

describe('RequestMetrics', () => {
  it('counts requests per label set, labels in allowlist order', () => {
    const m = metrics();
    m.consume(ev({ model: 'a' }));
    m.consume(ev({ model: 'a' }));
    m.consume(ev({ model: 'b' }));
    m.consume(ev({ model: 'a', status: 'error' }));
    expect([...m.series.values()].map((s) => [s.labels, s.requests])).toEqual([
      [{ model: 'a', status: 'success' }, 2],
      [{ model: 'b', status: 'success' }, 1],
      [{ model: 'a', status: 'error' }, 1],
    ]);
    expect(m.labelNames).toEqual(['model', 'status']);
    const reordered = metrics({ labels: ['status', 'model'] });
    reordered.consume(ev({ model: 'a' }));
    expect(Object.keys([...reordered.series.values()][0]?.labels ?? {})).toEqual(['status', 'model']);
  });

  it('an absent label source gives the empty string', () => {
    const m = metrics({ labels: ['model', 'endpoint', 'finish_reason', 'device'] });
    m.consume(ev({ model: 'a', finishReason: 'stop' }));
    expect([...m.series.values()][0]?.labels).toEqual({ model: 'a', endpoint: '', finish_reason: 'stop', device: '' });
  });

  it('observes each logged field into its histogram, per label set', () => {
    const m = metrics();
    m.consume(
      ev({
        model: 'a',
        e2eSeconds: 1.5,
        ttftSeconds: 0.2,
        queueSeconds: 0.01,
        inferenceSeconds: 1.4,
        tpotSeconds: 0.03,
        promptTokens: 100,
        completionTokens: 50,
      }),
    );
    m.consume(ev({ model: 'a', e2eSeconds: 0.5 }));
    m.consume(ev({ model: 'b', e2eSeconds: 7 }));
    const a = series(m, { model: 'a', status: 'success' });
    const expected: [HistogramKey, number, number][] = [
      ['e2e_latency', 2, 2],
      ['time_to_first_token', 1, 0.2],
      ['queue_time', 1, 0.01],
      ['inference_time', 1, 1.4],
      ['time_per_output_token', 1, 0.03],
      ['prompt_tokens', 1, 100],
      ['completion_tokens', 1, 50],
    ];
    for (const [key, count, sum] of expected) {
      expect(hist(a, key)?.count, key).toBe(count);
      expect(hist(a, key)?.sum, key).toBe(sum);
    }
    // 1.5 is an exact bound of the default e2e buckets: it lands in le="1.5".
    const e2e = hist(a, 'e2e_latency') as Histogram;
    const bounds = [...e2e.bounds];
    expect(e2e.counts[bounds.indexOf(1.5)]).toBe(1);
    expect(e2e.counts[bounds.indexOf(0.5)]).toBe(1);
    const b = series(m, { model: 'b', status: 'success' });
    expect(hist(b, 'e2e_latency')?.count).toBe(1);
    expect(hist(b, 'e2e_latency')?.sum).toBe(7);
    expect(hist(b, 'time_to_first_token')).toBeUndefined();
  });

  it('absent fields are never observed (no zero-valued observations)', () => {
    const m = metrics();
    m.consume(ev({ model: 'a', e2eSeconds: 2, ttftSeconds: 0.25 }));
    const a = series(m, { model: 'a', status: 'success' });
    const ttft = hist(a, 'time_to_first_token') as Histogram;
    expect(ttft.count).toBe(1);
    m.consume(ev({ model: 'a', e2eSeconds: 3 }));
    expect(a.requests).toBe(2);
    expect(hist(a, 'e2e_latency')?.count).toBe(2);
    expect(ttft.count).toBe(1);
    expect(ttft.sum).toBe(0.25);
    expect([...ttft.counts].reduce((x, y) => x + y, 0)).toBe(1);
    expect(ttft.counts[0]).toBe(0);
    for (const key of ['queue_time', 'inference_time', 'time_per_output_token', 'prompt_tokens', 'completion_tokens'] as const) {
      expect(hist(a, key), key).toBeUndefined();
    }
  });

  it('a zero that was logged is observed', () => {
    const m = metrics();
    m.consume(ev({ model: 'a', completionTokens: 0 }));
    const h = hist(series(m, { model: 'a', status: 'success' }), 'completion_tokens') as Histogram;
    expect(h.count).toBe(1);
    expect(h.counts[0]).toBe(1);
  });

  it('bucket overrides apply per histogram', () => {
    const m = metrics({ buckets: { e2e_latency: [1, 2], prompt_tokens: [10] } });
    m.consume(ev({ model: 'a', e2eSeconds: 2, promptTokens: 11, ttftSeconds: 0.005 }));
    const a = series(m, { model: 'a', status: 'success' });
    expect([...(hist(a, 'e2e_latency')?.bounds ?? [])]).toEqual([1, 2]);
    expect([...(hist(a, 'e2e_latency')?.counts ?? [])]).toEqual([0, 1, 0]);
    expect([...(hist(a, 'prompt_tokens')?.counts ?? [])]).toEqual([0, 1]);
    const ttftDefaults = REQUEST_HISTOGRAMS.find((h) => h.key === 'time_to_first_token')?.buckets;
    expect([...(hist(a, 'time_to_first_token')?.bounds ?? [])]).toEqual(ttftDefaults);
  });

  it('invalid bucket overrides are refused at construction', () => {
    expect(() => metrics({ buckets: { e2e_latency: [2, 1] } })).toThrow(/increase/);
  });

  it('exemplars: the request id on latency histograms, not on token histograms; none when disabled', () => {
    vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
    const m = metrics();
    m.consume(ev({ model: 'a', requestId: 'r-1', e2eSeconds: 0.3, promptTokens: 20 }));
    const a = series(m, { model: 'a', status: 'success' });
    const e2e = hist(a, 'e2e_latency') as Histogram;
    const exemplars = (h: Histogram) => Array.from({ length: h.counts.length }, (_, i) => h.exemplar(i)).filter((x) => x !== undefined);
    expect(e2e.exemplar([...e2e.bounds].indexOf(0.3))).toEqual({ id: 'r-1', value: 0.3, timestamp: 1_700_000_000 });
    expect(exemplars(e2e)).toHaveLength(1);
    expect(exemplars(hist(a, 'prompt_tokens') as Histogram)).toHaveLength(0);

    const off = metrics({ exemplars: false });
    off.consume(ev({ model: 'a', requestId: 'r-1', e2eSeconds: 0.3 }));
    expect(exemplars(hist(series(off, { model: 'a', status: 'success' }), 'e2e_latency') as Histogram)).toHaveLength(0);
  });

  describe('errors', () => {
    it('counts non-success, non-unknown events keyed by label set and error_type', () => {
      const m = metrics();
      m.consume(ev({ model: 'a', status: 'error', errorType: 'oom' }));
      m.consume(ev({ model: 'a', status: 'error', errorType: 'oom' }));
      m.consume(ev({ model: 'a', status: 'error', errorType: 'http_500' }));
      m.consume(ev({ model: 'a', status: 'rejected', errorType: 'http_503' }));
      m.consume(ev({ model: 'b', status: 'timeout' }));
      m.consume(ev({ model: 'a', status: 'success' }));
      m.consume(ev({ model: 'a', status: 'unknown' }));
      expect([...m.errors.values()].map((e) => [e.labels, e.count])).toEqual([
        [{ model: 'a', status: 'error', error_type: 'oom' }, 2],
        [{ model: 'a', status: 'error', error_type: 'http_500' }, 1],
        [{ model: 'a', status: 'rejected', error_type: 'http_503' }, 1],
        // No errorType: the status name.
        [{ model: 'b', status: 'timeout', error_type: 'timeout' }, 1],
      ]);
      // Error events are requests too.
      expect(series(m, { model: 'a', status: 'error' }).requests).toBe(3);
    });

    it('error_type values are capped like the other labels', () => {
      const m = metrics({ maxValuesPerLabel: 2 });
      for (const t of ['t1', 't2', 't3', 't4']) m.consume(ev({ model: 'a', status: 'error', errorType: t }));
      expect([...m.errors.values()].map((e) => [e.labels.error_type, e.count])).toEqual([
        ['t1', 1],
        ['t2', 1],
        [OTHER_VALUE, 2],
      ]);
    });
  });

  describe('gpu memory', () => {
    it('keeps the last value per device', () => {
      const m = metrics();
      m.consume(ev({ model: 'a', gpuMemoryBytes: 1000, device: 'cuda:0' }));
      m.consume(ev({ model: 'a', gpuMemoryBytes: 2000, device: 'cuda:1' }));
      m.consume(ev({ model: 'b', gpuMemoryBytes: 1500, device: 'cuda:0' }));
      m.consume(ev({ model: 'a', device: 'cuda:1' }));
      expect([...m.gpuMemory.values()]).toEqual([
        { device: 'cuda:0', bytes: 1500 },
        { device: 'cuda:1', bytes: 2000 },
      ]);
    });

    it('a value without a device goes under the empty device', () => {
      const m = metrics();
      m.consume(ev({ gpuMemoryBytes: 19_327_352_832 }));
      expect([...m.gpuMemory.values()]).toEqual([{ device: '', bytes: 19_327_352_832 }]);
    });

    it('device values are capped', () => {
      const m = metrics({ maxValuesPerLabel: 1 });
      m.consume(ev({ gpuMemoryBytes: 1, device: 'cuda:0' }));
      m.consume(ev({ gpuMemoryBytes: 2, device: 'cuda:1' }));
      m.consume(ev({ gpuMemoryBytes: 3, device: 'cuda:2' }));
      expect([...m.gpuMemory.values()]).toEqual([
        { device: 'cuda:0', bytes: 1 },
        { device: OTHER_VALUE, bytes: 3 },
      ]);
    });
  });

  it('lastEventTimestamp is the newest log time, or the read time when the line has none', () => {
    const m = metrics();
    expect(m.lastEventTimestamp).toBeUndefined();
    m.consume(ev({ timestamp: 1000 }));
    m.consume(ev({ timestamp: 500 }));
    expect(m.lastEventTimestamp).toBe(1000);
    m.consume(ev({ timestamp: 2000 }));
    expect(m.lastEventTimestamp).toBe(2000);
    vi.spyOn(Date, 'now').mockReturnValue(3_000_000);
    m.consume(ev({}));
    expect(m.lastEventTimestamp).toBe(3000);
  });

  it('label values are capped per label with __other__', () => {
    const labels: LabelName[] = ['model'];
    const m = metrics({ labels, maxValuesPerLabel: 2 });
    for (const model of ['a', 'b', 'c', 'd', 'a']) m.consume(ev({ model }));
    expect([...m.series.values()].map((s) => [s.labels.model, s.requests])).toEqual([
      ['a', 2],
      ['b', 1],
      [OTHER_VALUE, 2],
    ]);
    expect(m.limiter.folded[0]).toBe(2);
  });

  it('label values are truncated to the max length', () => {
    const m = metrics({ labels: ['model'], maxLabelValueLength: 4 });
    m.consume(ev({ model: 'abcdefgh' }));
    expect([...m.series.values()][0]?.labels).toEqual({ model: 'abcd' });
  });
});

describe('RequestMetrics: every label value is the admitted one', () => {
  const LONG = `m-${'x'.repeat(10_000)}`;
  const CUT = LONG.slice(0, 16);

  /** Every label value of every family the aggregate exposes. */
  function labelValues(m: RequestMetrics): string[] {
    return [...m.series.flatMap((s) => Object.values(s.labels)), ...m.errors.flatMap((e) => Object.values(e.labels)), ...[...m.gpuMemory.keys()]];
  }

  it('a long value seen again under another label combination gets the cut value, not the raw one', () => {
    const m = metrics({ labels: ['model', 'status', 'finish_reason'], maxLabelValueLength: 16 });
    m.consume(ev({ model: LONG, finishReason: LONG }));
    m.consume(ev({ model: LONG, status: 'error', errorType: LONG, finishReason: LONG }));
    m.consume(ev({ model: LONG, status: 'timeout', finishReason: 'stop', device: LONG, gpuMemoryBytes: 1 }));
    m.consume(ev({ model: LONG, finishReason: LONG }));
    expect(m.series.map((s) => [s.labels, s.requests])).toEqual([
      [{ model: CUT, status: 'success', finish_reason: CUT }, 2],
      [{ model: CUT, status: 'error', finish_reason: CUT }, 1],
      [{ model: CUT, status: 'timeout', finish_reason: 'stop' }, 1],
    ]);
    expect(m.errors.map((e) => e.labels.error_type)).toEqual([CUT, 'timeout']);
    expect([...m.gpuMemory.keys()]).toEqual([CUT]);
    for (const v of labelValues(m)) expect(v.length).toBeLessThanOrEqual(16);
  });

  it('the raw value and its cut form share one series', () => {
    const m = metrics({ labels: ['model', 'status'], maxLabelValueLength: 16 });
    m.consume(ev({ model: LONG }));
    m.consume(ev({ model: CUT, status: 'error' }));
    m.consume(ev({ model: LONG, status: 'error' }));
    m.consume(ev({ model: CUT }));
    expect(m.series.map((s) => [s.labels, s.requests])).toEqual([
      [{ model: CUT, status: 'success' }, 2],
      [{ model: CUT, status: 'error' }, 2],
    ]);
  });

  it('values folded into __other__ stay __other__ under every label combination', () => {
    const m = metrics({ labels: ['model', 'status'], maxValuesPerLabel: 1, maxLabelValueLength: 16 });
    m.consume(ev({ model: 'a' }));
    m.consume(ev({ model: LONG }));
    m.consume(ev({ model: LONG, status: 'error' }));
    expect(m.series.map((s) => s.labels)).toEqual([
      { model: 'a', status: 'success' },
      { model: OTHER_VALUE, status: 'success' },
      { model: OTHER_VALUE, status: OTHER_VALUE },
    ]);
  });

  it('after a restore, a long value seen before gets the cut value under a new label combination', () => {
    const a = metrics({ labels: ['model', 'status'], maxLabelValueLength: 16 });
    a.consume(ev({ model: LONG }));
    const b = metrics({ labels: ['model', 'status'], maxLabelValueLength: 16 });
    b.restore(JSON.parse(JSON.stringify(a.snapshot())));
    b.consume(ev({ model: LONG }));
    b.consume(ev({ model: LONG, status: 'rejected' }));
    expect(b.series.map((s) => [s.labels, s.requests])).toEqual([
      [{ model: CUT, status: 'success' }, 2],
      [{ model: CUT, status: 'rejected' }, 1],
    ]);
  });

  it('a restore under a smaller max_value_length cuts every saved value and adds up series that become one', () => {
    const a = metrics({ labels: ['model', 'status'], maxLabelValueLength: 128 });
    for (const model of ['model-one-a', 'model-one-b', LONG]) {
      a.consume(ev({ model, e2eSeconds: 1 }));
      a.consume(ev({ model, status: 'error', errorType: `${model}-failure`, device: `${model}-gpu`, gpuMemoryBytes: 5 }));
    }
    const b = metrics({ labels: ['model', 'status'], maxLabelValueLength: 9 });
    b.restore(JSON.parse(JSON.stringify(a.snapshot())));
    expect(b.series.map((s) => [s.labels, s.requests, hist(s, 'e2e_latency')?.count])).toEqual([
      [{ model: 'model-one', status: 'success' }, 2, 2],
      [{ model: 'model-one', status: 'error' }, 2, undefined],
      [{ model: 'm-xxxxxxx', status: 'success' }, 1, 1],
      [{ model: 'm-xxxxxxx', status: 'error' }, 1, undefined],
    ]);
    expect(b.errors.map((e) => [e.labels.error_type, e.count])).toEqual([
      ['model-one', 2],
      ['m-xxxxxxx', 1],
    ]);
    for (const v of labelValues(b)) expect(v.length).toBeLessThanOrEqual(9);
    // The long raw value, seen again, joins its restored series.
    b.consume(ev({ model: LONG, status: 'cancelled' }));
    expect(b.series.at(-1)?.labels).toEqual({ model: 'm-xxxxxxx', status: 'cancelled' });
  });
});
