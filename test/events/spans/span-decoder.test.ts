import { describe, expect, it } from 'vitest';
import { SpanDecoder } from '../../../src/events/spans/span-decoder.js';
import { emptySpan, setAttribute, type SpanRecord } from '../../../src/events/spans/span-record.js';
import { SpanStats } from '../../../src/events/spans/span-stats.js';
import { LineStats } from '../../../src/pipeline/line-stats.js';

/** The built-in vLLM span mapping: which spans are requests, and their status. */
const limits = { maxDurationSeconds: 86_400, maxTokens: 10_000_000, maxBytes: 2 ** 44 };

function span(fields: Partial<SpanRecord>, attributes: Record<string, unknown> = {}): SpanRecord {
  const s = { ...emptySpan({}, { name: undefined, version: undefined }), name: 'llm_request', kind: 'SERVER', ...fields };
  for (const [k, v] of Object.entries({ 'gen_ai.latency.e2e': 1.5, ...attributes })) setAttribute(s.attributes, k, v as never);
  return s;
}

function decoder() {
  const lines = new LineStats();
  const spans = new SpanStats();
  return { d: new SpanDecoder(undefined, limits, 'fallback', lines, spans), lines, spans };
}

describe('the built-in vLLM span mapping', () => {
  it('reads status from the span status first, then the finish reason (stop/length success, abort cancelled)', () => {
    const { d } = decoder();
    expect(d.decode(span({}, { 'gen_ai.response.finish_reasons': ['stop'] }))?.status).toBe('success');
    expect(d.decode(span({}, { 'gen_ai.response.finish_reasons': ['length'] }))?.status).toBe('success');
    expect(d.decode(span({}, { 'gen_ai.response.finish_reasons': ['abort'] }))?.status).toBe('cancelled');
    const failed = d.decode(span({ status: { code: 'ERROR', message: 'engine died' } }, { 'gen_ai.response.finish_reasons': ['stop'], 'error.type': 'EngineDeadError' }));
    expect(failed).toMatchObject({ status: 'error', errorMessage: 'engine died', errorType: 'EngineDeadError' });
    expect(d.decode(span({ status: { code: 'OK', message: undefined } }))?.status).toBe('success');
    expect(d.decode(span({}))?.status).toBe('unknown');
  });

  it('takes llm_request SERVER spans and any SERVER span with gen_ai.latency.e2e; not other spans', () => {
    const { d, spans } = decoder();
    expect(d.decode(span({ name: 'trtllm_request' }))).toBeDefined();
    expect(d.decode(span({ kind: 'CLIENT' }))).toBeUndefined();
    expect(d.decode(span({ name: 'vllm.scheduler.step', kind: 'INTERNAL' }))).toBeUndefined();
    expect([...spans.results]).toEqual([1, 2, 0]);
  });

  it('names the model from the span, then the resource, then default_model; derives time per output token', () => {
    const { d } = decoder();
    expect(d.decode(span({}, { 'gen_ai.response.model': 'a' }))?.model).toBe('a');
    const s = span({}, {});
    setAttribute(s.resource, 'gen_ai.request.model', 'b');
    expect(d.decode(s)?.model).toBe('b');
    const e = d.decode(span({}, { 'gen_ai.latency.time_to_first_token': 0.5, 'gen_ai.usage.completion_tokens': 11 }));
    expect(e?.model).toBe('fallback');
    expect(e?.tpotSeconds).toBeCloseTo(0.1, 12);
  });

  it('drops an unusable attribute and counts it, and still counts the request', () => {
    const { d, lines } = decoder();
    const e = d.decode(span({}, { 'gen_ai.usage.prompt_tokens': -3 }));
    expect(e?.promptTokens).toBeUndefined();
    expect([...lines.fieldProblemEntries()]).toEqual([['prompt_tokens', 'negative', 1]]);
  });
});
