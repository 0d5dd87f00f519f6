import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { decodeTraceRequestJson } from '../../../src/events/spans/otlp-json.js';
import { decodeTraceRequestProtobuf } from '../../../src/events/spans/otlp-protobuf.js';
import { OtlpDecodeError, type SpanRecord } from '../../../src/events/spans/span-record.js';
import { Rng } from '../../../src/simulator/random.js';
import { expected, vllmRequests, vllmSpans } from '../../helpers/vllm-spans.js';

const requests = vllmRequests(20, 7);
const spans = vllmSpans(requests, { 'gen_ai.request.model': 'qwen' }, { noise: 3 });
const protobuf = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array);
const json = JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(spans) as Uint8Array).toString('utf8')) as unknown;

describe('OTLP trace decoding (bodies from the OpenTelemetry JS SDK serializers)', () => {
  it('reads every span of a protobuf body into span records, attributes nested by their dotted keys', () => {
    const batch = decodeTraceRequestProtobuf(protobuf);
    expect(batch.rejected).toBe(0);
    expect(batch.spans).toHaveLength(23);
    const first = batch.spans[0] as SpanRecord;
    const r = requests[0]!;
    expect(first.name).toBe('llm_request');
    expect(first.kind).toBe('SERVER');
    expect(first.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(first.span_id).toMatch(/^[0-9a-f]{16}$/);
    const attrs = first.attributes as { gen_ai: { latency: { e2e: number }; usage: { prompt_tokens: number }; request: { id: string }; response: { finish_reasons: string[] } } };
    expect(attrs.gen_ai.latency.e2e).toBeCloseTo(expected(r).e2e, 12);
    expect(attrs.gen_ai.usage.prompt_tokens).toBe(r.promptTokens);
    expect(attrs.gen_ai.request.id).toBe(r.id);
    // vLLM writes the list as JSON text; it is read as the list.
    expect(attrs.gen_ai.response.finish_reasons).toEqual([r.finishReason]);
    expect((first.resource as { gen_ai: { request: { model: string } } }).gen_ai.request.model).toBe('qwen');
    expect(first.scope.name).toBe('vllm.llm_engine');
    expect(first.end_time_unix_nano! / 1e9).toBeCloseTo(r.arrival + expected(r).e2e, 5);
    expect(first.status.code).toBeUndefined();
  });

  it('reads the JSON encoding of the same spans into identical records', () => {
    expect(decodeTraceRequestJson(json)).toEqual(decodeTraceRequestProtobuf(protobuf));
  });

  it('rejects a span with a bad id alone (partial success), keeps the others', () => {
    const body = structuredClone(json) as { resourceSpans: { scopeSpans: { spans: { traceId: string; status?: unknown }[] }[] }[] };
    const list = body.resourceSpans[0]!.scopeSpans[0]!.spans;
    list[1]!.traceId = 'not-hex';
    list[2]!.traceId = '00000000000000000000000000000000';
    list[3]!.status = { code: 2, message: 'CUDA out of memory' };
    const batch = decodeTraceRequestJson(body);
    expect(batch.rejected).toBe(2);
    expect(batch.rejectReason).toBe('invalid trace_id');
    expect(batch.spans).toHaveLength(21);
    expect(batch.spans[1]!.status).toEqual({ code: 'ERROR', message: 'CUDA out of memory' });
  });

  it('accepts int64 as strings or numbers and enums by number or name (OTLP JSON mapping)', () => {
    const span = (extra: Record<string, unknown>) => ({
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', name: 'x', ...extra }] }] }],
    });
    const a = decodeTraceRequestJson(span({ kind: 2, startTimeUnixNano: '1544712660000000000', endTimeUnixNano: 1544712661000000000, attributes: [{ key: 'n', value: { intValue: '12' } }] }));
    const b = decodeTraceRequestJson(span({ kind: 'SPAN_KIND_SERVER', startTimeUnixNano: 1544712660000000000, endTimeUnixNano: '1544712661000000000', attributes: [{ key: 'n', value: { intValue: 12 } }] }));
    expect(a).toEqual(b);
    expect(a.spans[0]!.duration_seconds).toBeCloseTo(1, 6);
    expect(decodeTraceRequestJson(span({ kind: 'SPAN_KIND_NOPE' })).rejected).toBe(1);
  });

  it('refuses what is not an export request with OtlpDecodeError, never anything else', () => {
    for (const body of [null, [], 'x', { resourceSpans: 3 }, { resourceSpans: [1] }, { resourceSpans: [{ scopeSpans: {} }] }]) {
      expect(() => decodeTraceRequestJson(body)).toThrow(OtlpDecodeError);
    }
    for (const bytes of [Buffer.from([0x0a]), Buffer.from([0x0a, 0x05, 0x01]), Buffer.from([0x0b]), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])]) {
      expect(() => decodeTraceRequestProtobuf(bytes)).toThrow(OtlpDecodeError);
    }
  });

  it('fuzz: truncated and corrupted protobuf bodies decode or throw OtlpDecodeError, nothing else', () => {
    const rng = new Rng(99);
    for (let i = 0; i < 3000; i++) {
      const body = Buffer.from(protobuf.subarray(0, Math.floor(rng.float() * protobuf.length)));
      for (let f = 0; f < 1 + Math.floor(rng.float() * 4); f++) body[Math.floor(rng.float() * body.length)] = Math.floor(rng.float() * 256);
      try {
        decodeTraceRequestProtobuf(body);
      } catch (err) {
        expect(err).toBeInstanceOf(OtlpDecodeError);
      }
    }
  });

  it('refuses attribute values nested past the depth bound instead of recursing without end', () => {
    let value: Record<string, unknown> = { stringValue: 'x' };
    for (let i = 0; i < 40; i++) value = { arrayValue: { values: [value] } };
    const body = { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', attributes: [{ key: 'deep', value }] }] }] }] };
    expect(decodeTraceRequestJson(body).rejected).toBe(1);
  });
});
