import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ValueLimits } from '../../src/events/compile.js';
import { Decoder } from '../../src/events/decoder.js';
import type { InferenceEvent } from '../../src/events/event.js';
import { PRESET_NAMES, PRESETS, type PresetName } from '../../src/events/presets.js';
import { LINE_RESULTS, LineStats } from '../../src/pipeline/line-stats.js';
import { generate, SHAPES } from '../../src/simulator/index.js';

/**
 * The real servers' log shapes (test/fixtures/servers/, copied from the study in
 * shared/reference/servers/) through their presets, through `auto`, and through every other preset.
 */

const LIMITS: ValueLimits = { maxDurationSeconds: 86_400, maxTokens: 10_000_000, maxBytes: 2 ** 44 };
const FIXTURES = new URL('../fixtures/servers/', import.meta.url);
const fixture = (name: string): string[] => readFileSync(new URL(name, FIXTURES), 'utf8').split('\n').filter((l) => l.trim() !== '');

interface Decoded {
  events: InferenceEvent[];
  ok: number;
  unmapped: number;
  problems: [string, string, number][];
}

function decodeAll(preset: PresetName | 'auto', lines: readonly string[]): Decoded {
  const stats = new LineStats();
  const d = new Decoder({ preset, limits: LIMITS, defaultModel: 'dm' }, stats);
  const events = lines.map((l) => d.decode(l)).filter((e): e is InferenceEvent => e !== undefined);
  expect(stats.total()).toBe(lines.length);
  return { events, ok: stats.results[LINE_RESULTS.indexOf('ok')] as number, unmapped: stats.results[LINE_RESULTS.indexOf('unmapped')] as number, problems: [...stats.fieldProblemEntries()] };
}

const sum = (events: InferenceEvent[], pick: (e: InferenceEvent) => number | undefined): number => events.reduce((a, e) => a + (pick(e) ?? 0), 0);
const count = (events: InferenceEvent[], pick: (e: InferenceEvent) => unknown): number => events.filter((e) => pick(e) !== undefined).length;
const statuses = (events: InferenceEvent[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const e of events) out[e.status] = (out[e.status] ?? 0) + 1;
  return out;
};

interface Expectation {
  file: string;
  preset: PresetName;
  ok: number;
  unmapped: number;
  statuses: Record<string, number>;
  e2e: number;
  ttftCount: number;
  prompt: number;
  completion: number;
  cached?: number;
}

const SERVERS: Expectation[] = [
  {
    file: 'sglang-request-metrics.jsonl',
    preset: 'sglang',
    ok: 3,
    unmapped: 0,
    statuses: { success: 2, client_error: 1 },
    e2e: 0.14213981700004297 + 2.4671903590019792 + 0.00712384200026281,
    ttftCount: 1,
    prompt: 5 + 1311 + 1,
    completion: 32 + 187,
    cached: 4 + 1024,
  },
  { file: 'sglang-request-metrics-older.jsonl', preset: 'sglang', ok: 1, unmapped: 0, statuses: { success: 1 }, e2e: 1.2831497192382812, ttftCount: 1, prompt: 412, completion: 96, cached: 384 },
  // request.received is not a request; request.finished is, from out.meta_info.
  { file: 'sglang-request-log-json.jsonl', preset: 'sglang', ok: 1, unmapped: 1, statuses: { success: 1 }, e2e: 2.4671903590019792, ttftCount: 1, prompt: 1311, completion: 187, cached: 1024 },
  { file: 'tgi-json-output.jsonl', preset: 'tgi', ok: 4, unmapped: 0, statuses: { success: 2, error: 2 }, e2e: 1.760978711 + 3.416257805, ttftCount: 0, prompt: 0, completion: 150 + 287 },
  { file: 'litellm-standard-logging-payload.jsonl', preset: 'litellm', ok: 2, unmapped: 0, statuses: { success: 1, error: 1 }, e2e: 1767608643.7908309 - 1767608641.301544 + (1767608655.0547478 - 1767608655.020331), ttftCount: 1, prompt: 1311, completion: 187, cached: 1024 },
  { file: 'nginx-json-access.jsonl', preset: 'nginx', ok: 6, unmapped: 0, statuses: { success: 4, cancelled: 1, error: 1 }, e2e: 1.877 + 3.419 + 1.763 + 2.611 + 12.034 + 0.001, ttftCount: 0, prompt: 57, completion: 150 },
  { file: 'envoy-ai-gateway-access.jsonl', preset: 'envoy-ai-gateway', ok: 3, unmapped: 0, statuses: { success: 2, rejected: 1 }, e2e: 1.881 + 3.421 + 0.003, ttftCount: 1, prompt: 1311 + 1702, completion: 187 + 287 },
];

describe.each(SERVERS)('$file', (x) => {
  const lines = fixture(x.file);

  it.each([x.preset, 'auto'] as const)('through %s: exact counts, statuses, latency and token sums, no field dropped', (preset) => {
    const r = decodeAll(preset, lines);
    expect({ ok: r.ok, unmapped: r.unmapped, problems: r.problems }).toEqual({ ok: x.ok, unmapped: x.unmapped, problems: [] });
    expect(statuses(r.events)).toEqual(x.statuses);
    expect(sum(r.events, (e) => e.e2eSeconds)).toBeCloseTo(x.e2e, 9);
    expect(count(r.events, (e) => e.ttftSeconds)).toBe(x.ttftCount);
    expect(sum(r.events, (e) => e.promptTokens)).toBe(x.prompt);
    expect(sum(r.events, (e) => e.completionTokens)).toBe(x.completion);
    expect(sum(r.events, (e) => e.cachedTokens)).toBe(x.cached ?? 0);
  });

  it('auto and the named preset give the same events', () => {
    expect(decodeAll('auto', lines).events).toEqual(decodeAll(x.preset, lines).events);
  });

  it('through every other named preset: unmapped, never a wrong request', () => {
    for (const other of PRESET_NAMES) {
      if (other === x.preset) continue;
      const r = decodeAll(other, lines);
      expect({ other, ok: r.ok }).toEqual({ other, ok: 0 });
    }
  });
});

describe('the matrix the other way: existing shapes through the new presets', () => {
  const NEW: PresetName[] = ['sglang', 'litellm', 'envoy-ai-gateway', 'nginx'];
  it.each(SHAPES)('simulated %s lines are unmapped under every new preset, and never taken by one under auto', (shape) => {
    const lines = [...generate({ lines: 300, shape, seed: 5 })].map((g) => g.line);
    for (const preset of NEW) expect({ preset, ok: decodeAll(preset, lines).ok }).toEqual({ preset, ok: 0 });
    // Under auto every simulated line is still a request (the old shapes lost nothing).
    expect(decodeAll('auto', lines).ok).toBe(lines.length);
  });

  it('every preset example is unmapped under every other preset', () => {
    for (const name of PRESET_NAMES) {
      for (const other of PRESET_NAMES) if (other !== name) expect({ name, other, ok: decodeAll(other, [PRESETS[name].example]).ok }).toEqual({ name, other, ok: 0 });
    }
  });
});

describe('lines that are not requests stay out of the counts', () => {
  const tgi = fixture('tgi-json-output.jsonl');
  const notRequests = [
    // TGI router startup (flattened) and launcher (fields wrapper) lines; a launcher ERROR outside any request.
    '{"timestamp":"2026-01-05T10:20:01.003214Z","level":"INFO","message":"Connected","target":"text_generation_router","filename":"router/src/main.rs","line_number":262}',
    '{"timestamp":"2026-01-05T10:19:58.1Z","level":"INFO","fields":{"message":"Starting shard"},"target":"text_generation_launcher","span":{"rank":0,"name":"shard-manager"},"spans":[{"rank":0,"name":"shard-manager"}]}',
    '{"timestamp":"2026-01-05T10:19:59.1Z","level":"ERROR","fields":{"message":"Shard 0 failed to start"},"target":"text_generation_launcher"}',
    '{"timestamp":"2026-01-05T10:21:00.1Z","level":"WARN","message":"slow batch","target":"text_generation_router::infer","span":{"name":"generate"}}',
    // SGLang request logger: the request.received half of a request.
    fixture('sglang-request-log-json.jsonl')[0] as string,
    // nginx and Envoy health checks and scrapes (GETs).
    '{"time":"2026-01-05T10:24:13+00:00","msec":"1767608653.000","request_id":"aa","method":"GET","uri":"/health","status":"200","request_time":"0.001","upstream_addr":"10.0.3.9:8000","upstream_status":"200","upstream_connect_time":"0.000","upstream_header_time":"0.001","upstream_response_time":"0.001","request_length":"80","body_bytes_sent":"2","x_prompt_tokens":"","x_generated_tokens":"","x_total_time":"","x_queue_time":"","x_inference_time":""}',
    '{"time":"2026-01-05T10:24:14+00:00","msec":"1767608654.000","request_id":"bb","method":"GET","uri":"/metrics","status":"200","request_time":"0.004","upstream_addr":"-","upstream_status":"-","upstream_connect_time":"-","upstream_header_time":"-","upstream_response_time":"-","request_length":"80","body_bytes_sent":"9001","x_prompt_tokens":"","x_generated_tokens":"","x_total_time":"","x_queue_time":"","x_inference_time":""}',
    '{"duration":1,"gen_ai.request.model":null,"gen_ai.usage.input_tokens":null,"method":"GET","response_code":200,"start_time":"2026-01-05T10:24:15.000Z","x-envoy-origin-path":"/health"}',
    // LiteLLM's application log (JSON_LOGS), not the payload.
    '{"message":"LiteLLM: Proxy initialized with Config","level":"INFO","timestamp":"2026-01-05T10:20:00.123456"}',
  ];

  it('a mixed log counts exactly its requests, under auto', () => {
    const all = [...notRequests.slice(0, 2), ...tgi, ...notRequests.slice(2), ...fixture('sglang-request-log-json.jsonl'), ...fixture('nginx-json-access.jsonl'), ...fixture('envoy-ai-gateway-access.jsonl')];
    const r = decodeAll('auto', all);
    expect({ ok: r.ok, unmapped: r.unmapped }).toEqual({ ok: 4 + 1 + 6 + 3, unmapped: notRequests.length + 1 });
  });

  it('each one is unmapped under every named preset', () => {
    for (const preset of PRESET_NAMES) for (const line of notRequests) expect({ preset, line, ok: decodeAll(preset, [line]).ok }).toEqual({ preset, line, ok: 0 });
  });
});

describe('server pitfalls', () => {
  it('tgi: every Rust Duration unit (s, ms, µs, us, μs, ns)', () => {
    const line = (d: string) => `{"timestamp":"2026-01-05T10:23:47.1Z","level":"INFO","message":"Success","target":"text_generation_router::server","span":{"queue_time":"${d}","name":"generate"},"spans":[]}`;
    const q = (d: string) => decodeAll('tgi', [line(d)]).events[0]?.queueSeconds;
    expect(q('1.5s')).toBe(1.5);
    expect(q('23ms')).toBe(0.023);
    expect(q('120.393µs')).toBe(120.393e-6);
    expect(q('120.393us')).toBe(120.393e-6);
    expect(q('120.393μs')).toBe(120.393e-6);
    expect(q('512ns')).toBe(512e-9);
  });

  it('sglang: an abort without a status code is cancelled; with 503 rejected; the error type is err_type', () => {
    const abort = (code: string) =>
      `{"request_parameters": "{}", "id": "r", "finish_reason": {"type": "abort", "message": "m", "status_code": ${code}, "err_type": ${code === 'null' ? 'null' : '"ServiceUnavailable"'}}, "prompt_tokens": 3, "e2e_latency": 0.5, "response_sent_to_client_ts": 1767608702.9}`;
    expect(decodeAll('sglang', [abort('null')]).events[0]).toMatchObject({ status: 'cancelled', errorType: 'cancelled', finishReason: 'abort', errorMessage: 'm' });
    expect(decodeAll('sglang', [abort('503')]).events[0]).toMatchObject({ status: 'rejected', errorType: 'ServiceUnavailable' });
  });

  it('litellm: no TTFT for a non-streamed response (stream null), e2e still endTime − startTime', () => {
    const line = (fixture('litellm-standard-logging-payload.jsonl')[0] as string).replace('"stream": true', '"stream": null');
    const e = decodeAll('litellm', [line]).events[0] as InferenceEvent;
    expect(e.ttftSeconds).toBeUndefined();
    expect(e.e2eSeconds).toBeCloseTo(2.4892868995666504, 9);
  });

  it('litellm: failure carries the HTTP status string "500" and the error class', () => {
    const e = decodeAll('litellm', fixture('litellm-standard-logging-payload.jsonl')).events[1] as InferenceEvent;
    expect(e).toMatchObject({ status: 'error', errorType: 'APIConnectionError' });
  });

  it('litellm: the indented print of LITELLM_PRINT_STANDARD_LOGGING_PAYLOAD is not a log a line reader can use: no request, nothing wrong counted', () => {
    const r = decodeAll('auto', readFileSync(new URL('litellm-print-standard-logging-payload.stdout.txt', FIXTURES), 'utf8').split('\n').filter((l) => l.trim() !== ''));
    expect(r.ok).toBe(0);
  });

  it('nginx: the retried request takes the answering attempt’s upstream time; "-" is not a value', () => {
    const events = decodeAll('nginx', fixture('nginx-json-access.jsonl')).events;
    expect(events[3]?.inferenceSeconds).toBe(2.609);
    expect(decodeAll('nginx', [(fixture('nginx-json-access.jsonl')[3] as string).replace('"0.001, 2.609"', '"0.001, -"')]).events[0]?.inferenceSeconds).toBeUndefined();
  });

  it('envoy: token and model fields null on a failure are absent, not 0', () => {
    const e = decodeAll('envoy-ai-gateway', fixture('envoy-ai-gateway-access.jsonl')).events[2] as InferenceEvent;
    expect(e.promptTokens).toBeUndefined();
    expect(e.completionTokens).toBeUndefined();
    expect(e.model).toBe('Qwen/Qwen2.5-7B-Instruct');
  });
});

describe('prompt text never reaches an event', () => {
  const SECRET = 'SECRET-PROMPT-7f3a';
  const sglangLine = `{"request_parameters": "{\\"rid\\": \\"r1\\", \\"text\\": \\"${SECRET}\\", \\"stream\\": false}", "id": "r1", "finish_reason": {"type": "abort", "message": "bad", "status_code": 400, "err_type": "BadRequestError"}, "prompt_tokens": "${SECRET}", "e2e_latency": 0.1, "response_sent_to_client_ts": 1767608702.9}`;
  const logLine = `{"timestamp": "2026-01-05T10:24:03.780036", "event": "request.finished", "rid": "r2", "obj": {"text": "${SECRET}"}, "out": {"text": "${SECRET}", "meta_info": {"id": "r2", "finish_reason": {"type": "stop", "matched": 2}, "prompt_tokens": 3, "completion_tokens": 4, "e2e_latency": 0.2, "response_sent_to_client_ts": 1767608643.7}}}`;
  const litellmLine = (fixture('litellm-standard-logging-payload.jsonl')[0] as string).replace('Summarise the attached incident report in five bullet points.', SECRET);

  it.each(['auto', 'sglang', 'litellm'] as const)('through %s: no event field holds it (a bad field is named, never quoted)', (preset) => {
    const r = decodeAll(preset, [sglangLine, logLine, litellmLine, ...fixture('sglang-request-metrics.jsonl')]);
    expect(r.ok).toBeGreaterThan(0);
    const text = JSON.stringify(r.events);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('The capital of France');
    expect(text).not.toContain('Summarise the attached');
  });
});
