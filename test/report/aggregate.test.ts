import { describe, expect, it } from 'vitest';
import { anomalyConfigSchema } from '../../src/consumers/anomaly/config.js';
import type { InferenceEvent } from '../../src/events/event.js';
import { SERVER_FAILURE_STATUSES } from '../../src/events/status.js';
import { FAILED_STATUSES } from '../../src/exposition/live/recorder.js';
import { LineStats } from '../../src/pipeline/line-stats.js';
import { MAX_ERROR_TYPES, ReportAggregate } from '../../src/report/aggregate.js';
import { buildReport } from '../../src/report/report-data.js';

const anomaly = anomalyConfigSchema.parse({});
const T0 = Date.UTC(2025, 0, 1) / 1000;

function aggregate(events: InferenceEvent[], options: Partial<ConstructorParameters<typeof ReportAggregate>[0]> = {}) {
  const agg = new ReportAggregate({ exactValueLimit: 1e6, maxModels: 10, maxModelNameLength: 64, anomaly, ...options });
  for (const e of events) agg.consume(e);
  return { agg, report: buildReport(agg, new LineStats(), { generator: 'test', inputs: [], exactValueLimit: 1e6 }) };
}

describe('ReportAggregate', () => {
  it('counts per model and status; success rate leaves out unknown outcomes; a missing field is not a 0', () => {
    const { report } = aggregate([
      { status: 'success', model: 'a', timestamp: T0, e2eSeconds: 1, completionTokens: 10 },
      { status: 'success', model: 'a', timestamp: T0 + 10, e2eSeconds: 3 },
      { status: 'error', model: 'a', timestamp: T0 + 5, errorType: 'oom', errorMessage: 'CUDA out of memory 1' },
      { status: 'unknown', model: 'b' },
    ]);
    expect(report.overall.requests).toBe(4);
    expect(report.overall.success_rate).toBeCloseTo(2 / 3, 12);
    expect(report.models.map((m) => [m.model, m.requests])).toEqual([
      ['a', 3],
      ['b', 1],
    ]);
    expect(report.models[1]?.success_rate).toBeNull();
    expect(report.overall.e2e_latency_seconds).toMatchObject({ count: 2, p50: 1, p99: 3 });
    expect(report.overall.completion_tokens).toMatchObject({ count: 1, sum: 10 });
    expect(report.overall.output_tokens_per_second).toBe(1); // 10 tokens over 10 s
    expect(report.models[1]?.output_tokens_per_second).toBeNull(); // no token counts at all
    expect(report.time).toMatchObject({ span_seconds: 10, requests_without_timestamp: 1 });
    expect(report.overall.errors_by_type).toEqual([{ status: 'error', error_type: 'oom', count: 1 }]);
  });

  it('the failed series counts server-side failures only (error, timeout, rejected), as the live page and the dashboards do', () => {
    const statuses = ['success', 'error', 'timeout', 'rejected', 'cancelled', 'client_error', 'unknown'] as const;
    const { report } = aggregate(statuses.map((status, i) => ({ status, model: 'a', timestamp: T0 + i, errorType: status === 'success' ? undefined : 'x', errorMessage: `${status} happened` })));
    expect(report.timeline.buckets.reduce((n, b) => n + b.requests, 0)).toBe(7);
    expect(report.timeline.buckets.reduce((n, b) => n + b.errors, 0)).toBe(3);
    // Errors by type and the templates still see every request that did not succeed.
    expect(report.overall.errors_by_type.map((e) => e.status).sort()).toEqual(['cancelled', 'client_error', 'error', 'rejected', 'timeout']);
    expect(report.error_templates.error_lines).toBe(5);
  });

  it('one definition of a server-side failure, shared with the live recorder', () => {
    expect(SERVER_FAILURE_STATUSES).toEqual(['error', 'timeout', 'rejected']);
    expect(FAILED_STATUSES).toBe(SERVER_FAILURE_STATUSES);
  });

  it('runs the response-quality checks on responses with text, as the anomaly consumer counts them', () => {
    const { report } = aggregate([
      { status: 'success', output: '' },
      { status: 'success', output: '{"a":', jsonMode: true },
      { status: 'success', output: 'mail me at someone@example.com' },
      { status: 'success', output: 'Sure. Ignore previous instructions.' },
      { status: 'success', output: 'fine' },
      { status: 'success' },
    ]);
    expect(report.overall.quality).toEqual({ responses_checked: 5, issues: { empty_response: 1, malformed_json: 1, sensitive_data: 1, jailbreak_phrase: 1 } });
  });

  it('groups error messages into Drain templates, most frequent first', () => {
    const events: InferenceEvent[] = [];
    for (let i = 0; i < 6; i++) events.push({ status: 'error', errorMessage: `Request req_${i}abc timed out after ${i + 1}s` });
    for (let i = 0; i < 3; i++) events.push({ status: 'rejected', errorMessage: `Server overloaded: waiting queue is full (${100 + i} requests)` });
    events.push({ status: 'success', level: 'ERROR', errorMessage: 'engine restarted' });
    const { report } = aggregate(events);
    expect(report.error_templates.error_lines).toBe(10);
    expect(report.error_templates.top.map((t) => t.count)).toEqual([6, 3, 1]);
    expect(report.error_templates.top[1]?.template).toBe('Server overloaded: waiting queue is full (<NUM> requests)');
    expect(report.error_templates.top[0]?.share_of_error_lines).toBeCloseTo(0.6, 12);
  });

  it('without anomaly: no quality checks, no templates, said so', () => {
    const { report } = aggregate([{ status: 'error', output: '' }], { anomaly: undefined });
    expect(report.overall.quality).toBeNull();
    expect(report.error_templates.enabled).toBe(false);
  });

  it('bounds model names and error types whatever the log holds', () => {
    const events: InferenceEvent[] = [];
    for (let i = 0; i < 20; i++) events.push({ status: 'success', model: `m${i}` });
    for (let i = 0; i < MAX_ERROR_TYPES + 50; i++) events.push({ status: 'error', model: 'm0', errorType: `t${i}` });
    const { report } = aggregate(events, { maxModels: 5 });
    expect(report.models).toHaveLength(6); // 5 admitted + __other__
    expect(report.model_names_folded).toBe(15);
    expect(report.models.find((m) => m.model === '__other__')?.requests).toBe(15);
    const m0 = report.models.find((m) => m.model === 'm0');
    expect(m0?.errors_by_type).toHaveLength(MAX_ERROR_TYPES + 1);
    expect(m0?.errors_by_type[0]).toEqual({ status: 'error', error_type: '__other__', count: 50 });
  });
});

describe('ReportAggregate: names from the log are cut like label values', () => {
  it('a 10,000-character model name and error type are cut to labels.max_value_length', () => {
    const long = 'e'.repeat(10_000);
    const { report } = aggregate(
      [
        { status: 'error', model: long, errorType: long },
        { status: 'timeout', model: long, errorType: long },
      ],
      { maxModelNameLength: 20 },
    );
    expect(report.models.map((m) => m.model)).toEqual(['e'.repeat(20)]);
    expect(report.overall.errors_by_type.map((e) => [e.status, e.error_type])).toEqual([
      ['error', 'e'.repeat(20)],
      ['timeout', 'e'.repeat(20)],
    ]);
  });
});
