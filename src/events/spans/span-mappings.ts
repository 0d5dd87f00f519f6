import type { MappingSpecInput } from '../mapping-spec.js';

/**
 * Built-in span mappings: which spans are inference requests and where each event field is, in
 * the same declarative form as the log presets, with paths into a SpanRecord (see span-record.ts).
 * A server that names things differently needs a `span_mapping` in the config, not code.
 */
export interface SpanMappingPreset {
  description: string;
  mapping: MappingSpecInput;
}

const A = 'attributes.gen_ai';

export const SPAN_MAPPINGS = {
  vllm: {
    description:
      "vLLM's `llm_request` SERVER span (vllm/v1/engine/output_processor.py, `do_tracing`); SGLang and TensorRT-LLM use the same `gen_ai.*` attribute names.",
    mapping: {
      // vLLM's span by name; any other SERVER span carrying the e2e latency (TensorRT-LLM copies
      // vLLM's attribute names; its span name is not verified) is a request too.
      match: [
        { name: { equals: ['llm_request'] }, kind: { equals: ['SERVER'] } },
        { kind: { equals: ['SERVER'] }, [`${A}.latency.e2e`]: { present: true } },
      ],
      fields: {
        timestamp: { path: 'end_time_unix_nano', format: 'epoch_ns' },
        request_id: `${A}.request.id`,
        // vLLM's v1 span names no model (one model per server): a resource attribute can, e.g.
        // OTEL_RESOURCE_ATTRIBUTES=gen_ai.request.model=NAME; else default_model.
        model: `${A}.response.model|${A}.request.model|resource.gen_ai.response.model|resource.gen_ai.request.model`,
        // An ERROR span status wins; vLLM sets none, so the finish reason decides: stop and length
        // are successes, abort is a cancellation.
        status: `status.code|${A}.response.finish_reasons[0]|${A}.response.finish_reason`,
        error_type: 'attributes.error.type',
        error_message: 'status.message',
        finish_reason: `${A}.response.finish_reasons[0]|${A}.response.finish_reason`,
        e2e_latency: { path: `${A}.latency.e2e|duration_seconds`, unit: 's' },
        time_to_first_token: { path: `${A}.latency.time_to_first_token`, unit: 's' },
        queue_time: { path: `${A}.latency.time_in_queue`, unit: 's' },
        inference_time: { path: `${A}.latency.time_in_model_inference`, unit: 's' },
        prompt_tokens: `${A}.usage.prompt_tokens|${A}.usage.input_tokens`,
        completion_tokens: `${A}.usage.completion_tokens|${A}.usage.output_tokens`,
      },
    },
  },
} satisfies Record<string, SpanMappingPreset>;
