import { SpanKind, type HrTime } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Rng } from '../src/simulator/random.js';

/**
 * Spans shaped exactly as vLLM's OutputProcessor.do_tracing builds them
 * (vllm/v1/engine/output_processor.py): one `llm_request` SERVER span per finished request,
 * starting at arrival, with the gen_ai.* attributes below, built with the real OpenTelemetry JS SDK.
 */
export interface VllmRequest {
  id: string;
  arrival: number;
  queue: number;
  prefill: number;
  decode: number;
  promptTokens: number;
  completionTokens: number;
  finishReason: 'stop' | 'length' | 'abort';
}

export function hr(seconds: number): HrTime {
  const s = Math.floor(seconds);
  return [s, Math.round((seconds - s) * 1e9)];
}

/** Deterministic requests: times in seconds, arrivals one tenth of a second apart. */
export function vllmRequests(n: number, seed: number, start = 1_767_225_600): VllmRequest[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => ({
    id: `cmpl-${seed}-${i}`,
    arrival: start + i / 10,
    queue: Math.round(rng.float() * 200) / 1000,
    prefill: 0.01 + Math.round(rng.float() * 300) / 1000,
    decode: 0.1 + Math.round(rng.float() * 3000) / 1000,
    promptTokens: 1 + Math.floor(rng.float() * 2000),
    completionTokens: 2 + Math.floor(rng.float() * 500),
    finishReason: i % 17 === 5 ? 'abort' : i % 5 === 0 ? 'length' : 'stop',
  }));
}

/** What llmtail should compute from a request, for the tests' expectations. */
export function expected(r: VllmRequest): { e2e: number; ttft: number } {
  return { e2e: r.queue + r.prefill + r.decode, ttft: r.queue + r.prefill };
}

/** The spans one vLLM server (one resource) would export for these requests, plus noise spans. */
export function vllmSpans(requests: readonly VllmRequest[], resource: Record<string, string>, options: { noise?: number } = {}): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'vllm.instrumenting_module_name': 'vllm.llm_engine', 'vllm.process_id': '4242', ...resource }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('vllm.llm_engine');
  for (const r of requests) {
    const { e2e, ttft } = expected(r);
    const scheduled = r.arrival + r.queue;
    const span = tracer.startSpan('llm_request', { kind: SpanKind.SERVER, startTime: hr(r.arrival) });
    span.setAttributes({
      'gen_ai.latency.time_to_first_token': ttft,
      'gen_ai.latency.e2e': e2e,
      'gen_ai.latency.time_in_queue': r.queue,
      'gen_ai.usage.prompt_tokens': r.promptTokens,
      'gen_ai.usage.completion_tokens': r.completionTokens,
      'gen_ai.latency.time_in_model_prefill': r.prefill,
      'gen_ai.latency.time_in_model_decode': r.decode,
      'gen_ai.latency.time_in_model_inference': r.prefill + r.decode,
      'gen_ai.request.id': r.id,
      // json.dumps([str(finish_reason)])
      'gen_ai.response.finish_reasons': JSON.stringify([r.finishReason]),
      'gen_ai.request.top_p': 0.95,
      'gen_ai.request.max_tokens': 512,
      'gen_ai.request.temperature': 0.7,
      'gen_ai.request.n': 1,
    });
    span.end(hr(scheduled + r.prefill + r.decode));
  }
  // Spans that are not requests: vLLM's scheduler steps (INTERNAL), an HTTP client span.
  for (let i = 0; i < (options.noise ?? 0); i++) {
    const step = tracer.startSpan(i % 2 === 0 ? 'vllm.scheduler.step' : 'llm_request', { kind: i % 2 === 0 ? SpanKind.INTERNAL : SpanKind.CLIENT, startTime: hr(1_767_225_600 + i) });
    step.setAttributes({ 'vllm.batch_size': 8, 'vllm.step_id': i });
    step.end(hr(1_767_225_600 + i + 0.01));
  }
  return memory.getFinishedSpans();
}
