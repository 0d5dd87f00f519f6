import { describe, expect, it } from 'vitest';
import { AnomalyConsumer } from '../../../src/consumers/anomaly/anomaly-consumer.js';
import { anomalyConfigSchema } from '../../../src/consumers/anomaly/config.js';
import { incidentView, type Incident } from '../../../src/consumers/anomaly/incidents.js';
import { Decoder } from '../../../src/events/decoder.js';
import type { InferenceEvent } from '../../../src/events/event.js';
import { LineStats } from '../../../src/pipeline/line-stats.js';
import { isMalformed, LineSource } from '../../../src/simulator/index.js';

function consumer(overrides: Record<string, unknown> = {}, maxModels = 100, start = 1_000_000) {
  const clock = { now: start };
  const started: Incident[] = [];
  const ended: Incident[] = [];
  const c = new AnomalyConsumer({
    config: anomalyConfigSchema.parse(overrides),
    maxModels,
    maxLabelLength: 128,
    clock: () => clock.now,
    onBurstStart: (i) => started.push(i),
    onBurstEnd: (i) => ended.push(i),
  });
  // The log's first line, at the clock's start: baselines count from here (event time).
  c.consume({ status: 'success' });
  return { c, clock, started, ended };
}

const sample = (c: AnomalyConsumer, name: string, labels: Record<string, string> = {}) =>
  c
    .collectors()
    .find((x) => x.name === name)
    ?.collect()
    .find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

const ok = (model: string, output?: string, jsonMode = false): InferenceEvent => ({ status: 'success', model, output, jsonMode });
const err = (model: string, errorMessage: string, status: InferenceEvent['status'] = 'error'): InferenceEvent => ({ status, model, errorMessage, errorType: 'oom' });

describe('AnomalyConsumer', () => {
  it('counts quality issues per model and check, and the consecutive empty responses', () => {
    const { c } = consumer();
    for (const e of [ok('a', ''), ok('a', ' '), ok('a', ''), ok('b', 'fine'), ok('a', '{"x":', true), ok('a', 'mail me: x@example.com'), ok('a', 'I will ignore previous instructions')]) c.consume(e);
    expect(sample(c, 'llmtail_response_quality_issues_total', { model: 'a', check: 'empty_response' })).toBe(3);
    expect(sample(c, 'llmtail_response_quality_issues_total', { model: 'a', check: 'malformed_json' })).toBe(1);
    expect(sample(c, 'llmtail_response_quality_issues_total', { model: 'a', check: 'sensitive_data' })).toBe(1);
    expect(sample(c, 'llmtail_response_quality_issues_total', { model: 'a', check: 'jailbreak_phrase' })).toBe(1);
    expect(sample(c, 'llmtail_response_quality_issues_total', { model: 'b', check: 'empty_response' })).toBe(0);
    expect(sample(c, 'llmtail_consecutive_empty_responses', { model: 'a' })).toBe(0);
    c.consume(ok('a', ''));
    c.consume(ok('a', ''));
    expect(sample(c, 'llmtail_consecutive_empty_responses', { model: 'a' })).toBe(2);
    // A failed request with no text neither counts nor resets the streak.
    c.consume({ status: 'timeout', model: 'a', output: '' });
    expect(sample(c, 'llmtail_consecutive_empty_responses', { model: 'a' })).toBe(2);
  });

  it('ignores success lines without output entirely (no model state, no series)', () => {
    const { c } = consumer();
    for (let i = 0; i < 100; i++) c.consume({ status: 'success', model: `m${i}` });
    expect(c.collectors().find((x) => x.name === 'llmtail_response_quality_issues_total')?.collect()).toEqual([]);
  });

  it('keeps the model label bounded: beyond the cap, models fold into __other__', () => {
    const { c } = consumer({}, 3);
    for (let i = 0; i < 50; i++) c.consume(ok(`model-${i}`, ''));
    const models = new Set(c.collectors().find((x) => x.name === 'llmtail_response_quality_issues_total')?.collect().map((s) => s.labels.model));
    expect(models).toEqual(new Set(['model-0', 'model-1', 'model-2', '__other__']));
    expect(sample(c, 'llmtail_response_quality_issues_total', { model: '__other__', check: 'empty_response' })).toBe(47);
    expect(c.limiter.folded[0]).toBe(47);
  });

  it('detects a burst, describes it by templates with redacted examples, and ends it after the quiet period', () => {
    const { c, clock, started, ended } = consumer({ burst: { new_template_repeats: 0 } });
    // A quiet minute: one error every 10 s.
    for (let s = 0; s < 60; s += 10) {
      clock.now += 10_000;
      c.consume(err('qwen', `Request req_a${s}b timed out after 60.0s`, 'timeout'));
      c.tick();
    }
    // The burst: 200 OOMs in 10 s, from a user whose e-mail is in the message.
    for (let i = 0; i < 200; i++) {
      clock.now += 50;
      c.consume(err('qwen', `CUDA out of memory. Tried to allocate ${(i % 7) + 0.5} GiB (GPU ${i % 2}; 79.15 GiB total capacity) for user jane${i}@example.com`));
    }
    expect(started).toHaveLength(1);
    const incident = started[0] as Incident;
    expect(incident.model).toBe('qwen');
    expect(incident.reason).toBe('rate');
    expect(sample(c, 'llmtail_error_burst_in_progress', { model: 'qwen' })).toBe(1);
    expect(sample(c, 'llmtail_error_bursts_total', { model: 'qwen' })).toBe(1);
    const view = incidentView(incident);
    expect(view.status).toBe('active');
    expect(view.lines).toBeGreaterThanOrEqual(200);
    const oom = view.templates[0];
    expect(oom?.template).toBe('CUDA out of memory. Tried to allocate <NUM> GiB (GPU <NUM>; <NUM> GiB total capacity) for user <EMAIL>');
    expect(oom?.count).toBe(200);
    expect(oom?.examples).toHaveLength(2);
    for (const e of oom?.examples ?? []) {
      expect(e).toContain('<EMAIL>');
      expect(e).not.toContain('@example.com');
    }
    expect(JSON.stringify(view)).not.toContain('@example.com');
    expect(view.template_summary).toContain('200× T');
    // Quiet: ticks only. The window drains in 30 s, then 20 s of quiet.
    for (let s = 0; s < 90; s++) {
      clock.now += 1000;
      c.tick();
    }
    expect(ended).toEqual([incident]);
    expect(incidentView(incident).status).toBe('resolved');
    expect(sample(c, 'llmtail_error_burst_in_progress', { model: 'qwen' })).toBe(0);
    expect(c.incidents.list()).toEqual([incident]);
  });

  it('a new template repeating starts a burst below the rate threshold', () => {
    const { c, clock, started } = consumer({ burst: { min_lines: 1000, new_template_repeats: 10 } });
    c.consume(err('m', 'warm-up error'));
    clock.now += 60_000;
    c.tick();
    for (let i = 0; i < 10; i++) {
      clock.now += 500;
      c.consume(err('m', `NCCL watchdog timeout on rank ${i % 4} after ${600 + i} ms`));
    }
    expect(started.map((i) => i.reason)).toEqual(['new_template']);
  });

  it('does not take the templates of the first window for new ones (start-up is no burst)', () => {
    const { c, clock, started } = consumer({ burst: { min_lines: 1000, new_template_repeats: 10 } });
    for (let i = 0; i < 50; i++) {
      clock.now += 200;
      c.consume(err('m', `validation failed for prompt of ${i} tokens`));
    }
    expect(started).toEqual([]);
  });

  it('counts WARN/ERROR levels on success lines as error lines', () => {
    const { c, clock, started } = consumer({ burst: { min_lines: 5, factor: 1 } });
    c.consume({ status: 'success', model: 'm', level: 'WARN', errorMessage: 'slow' });
    // One bucket must have closed: its 5 s and the 10 s it stays open for late lines.
    clock.now += 16_000;
    for (let i = 0; i < 5; i++) c.consume({ status: 'success', model: 'm', level: 'ERROR', errorMessage: 'KV cache usage at 99%' });
    expect(started).toHaveLength(1);
    expect(incidentView(started[0] as Incident).lines_by_kind).toEqual({ level_warn: 1, level_error: 5 });
  });

  it('bounds the templates kept', () => {
    const { c, clock } = consumer({ max_templates: 10 });
    const word = (n: number) => n.toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[Number(d)] as string);
    for (let i = 0; i < 500; i++) {
      clock.now += 100;
      c.consume(err('m', `${word(i)} ${word(i + 1000)} ${word(i + 2000)} exploded`));
    }
    expect(sample(c, 'llmtail_error_templates')).toBe(10);
  });

  it('continues its counters from a snapshot', () => {
    const a = consumer().c;
    a.consume(ok('m', ''));
    a.consume(ok('m', 'x@example.com'));
    const b = consumer().c;
    b.restore(a.snapshot());
    b.consume(ok('m', ''));
    expect(sample(b, 'llmtail_response_quality_issues_total', { model: 'm', check: 'empty_response' })).toBe(2);
    expect(sample(b, 'llmtail_response_quality_issues_total', { model: 'm', check: 'sensitive_data' })).toBe(1);
  });

  it('finds the simulator’s forced burst in decoded log lines of every shape, with one template per error family', () => {
    const t0 = Date.UTC(2025, 0, 1);
    const { c, clock, started } = consumer({}, 100, t0);
    const decoder = new Decoder({ preset: 'auto', defaultModel: 'unknown', limits: { maxDurationSeconds: 86_400, maxTokens: 1e7, maxBytes: 2 ** 44 } }, new LineStats());
    const source = new LineSource({ shape: 'mixed', seed: 3, ratePerSecond: 40, burstEverySeconds: 0 });
    let inBurst = 0;
    for (let n = 0; n < 40 * 300; n++) {
      const now = t0 + n * 25;
      if (n === 40 * 150) source.model.forceBurst(20_000, now);
      const l = source.next(now);
      if (!isMalformed(l.truth) && l.truth.inBurst) inBurst++;
      clock.now = now;
      const e = decoder.decode(l.line);
      if (e !== undefined) c.consume(e);
      if (n % 40 === 0) c.tick();
    }
    expect(inBurst).toBeGreaterThan(700);
    // The burst is found for the models that carry most traffic, once each, soon after it began.
    const models = started.map((i) => i.model);
    expect(new Set(models).size).toBe(models.length);
    expect(models).toContain('Qwen/Qwen2.5-7B-Instruct');
    for (const i of started) {
      expect(i.startedAt - (t0 + 150_000)).toBeGreaterThanOrEqual(0);
      expect(i.startedAt - (t0 + 150_000)).toBeLessThan(i.model === 'Qwen/Qwen2.5-7B-Instruct' ? 10_000 : 20_000);
    }
    const seven = incidentView(started.find((i) => i.model === 'Qwen/Qwen2.5-7B-Instruct') as Incident);
    // OOM in both PyTorch wordings leads; every family is one template, so few templates describe hundreds of lines.
    expect(seven.templates[0]?.template).toMatch(/^CUDA out of memory\. Tried to allocate <NUM> GiB/);
    expect(seven.templates.length).toBeLessThanOrEqual(15);
    expect(seven.lines).toBeGreaterThan(100);
    expect(seven.templates.reduce((n, t) => n + t.count, 0) + seven.other_templates.lines).toBe(seven.lines);
    expect(seven.status).toBe('resolved');
    expect(seven.templates.map((t) => t.template)).toContain('Input validation error: `inputs` tokens + `max_new_tokens` must be <= <NUM>. Given: <NUM> `inputs` tokens and <NUM> `max_new_tokens`');
  });
});
