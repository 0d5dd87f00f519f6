import type { MappingSpecInput } from './mapping-spec.js';

/**
 * The built-in log shapes, written in the same declarative form a user's custom mapping uses.
 * `detect` lists paths whose presence marks a line as this shape, for the `auto` preset; presets
 * are tried in the order of PRESET_NAMES, most specific first.
 */
export interface Preset {
  description: string;
  example: string;
  detect: string[];
  mapping: MappingSpecInput;
}

const ERROR_TYPE = 'error_type|error.type|error.code|error_code';
const ERROR_MESSAGE = 'error_message|error.message|error|message|msg';

export const PRESETS = {
  openai: {
    description: 'OpenAI-style gateway lines carrying a `usage` object (LiteLLM, custom proxies).',
    example:
      '{"id":"chatcmpl-9x","created":1735689234,"model":"qwen2.5-7b-instruct","usage":{"prompt_tokens":28,"completion_tokens":67,"total_tokens":95},"latency_ms":1150,"ttft_ms":320,"status_code":200,"choices":[{"finish_reason":"stop"}]}',
    detect: ['usage.prompt_tokens', 'usage.completion_tokens', 'usage.total_tokens'],
    mapping: {
      fields: {
        timestamp: { path: 'created|timestamp|end_time', format: 'auto' },
        request_id: 'request_id|id',
        model: 'model',
        status: 'status',
        http_status: 'status_code|http_status|response_code',
        level: 'level',
        error_type: ERROR_TYPE,
        error_message: 'error.message|error_message|error',
        endpoint: 'endpoint|path|route',
        finish_reason: 'choices[0].finish_reason|finish_reason',
        e2e_latency: { path: 'latency_ms|duration_ms|response_time_ms|elapsed_ms|total_time_ms', unit: 'ms' },
        time_to_first_token: { path: 'ttft_ms|time_to_first_token_ms|first_token_ms', unit: 'ms' },
        queue_time: { path: 'queue_time_ms|queue_ms', unit: 'ms' },
        prompt_tokens: 'usage.prompt_tokens|usage.input_tokens',
        completion_tokens: 'usage.completion_tokens|usage.output_tokens',
        output: 'choices[0].message.content|choices[0].text',
      },
    },
  },
  nested: {
    description: 'Request metadata nested under `metadata` (seed 001): epoch-seconds timestamp, level, output text.',
    example:
      '{"timestamp":1735689234,"level":"INFO","request_id":"req_abc123xyz","model":"qwen2.5-7b-instruct","input":"…","output":"{\\"code\\": \\"…\\"}","metadata":{"prompt_tokens":28,"completion_tokens":67,"total_tokens":95,"first_token_latency_ms":320,"total_latency_ms":1150,"device":"cuda:0","temperature":0.7,"function_calling":false,"json_mode":true}}',
    detect: ['metadata.total_latency_ms', 'metadata.prompt_tokens', 'metadata.first_token_latency_ms'],
    mapping: {
      fields: {
        timestamp: { path: 'timestamp', format: 'auto' },
        request_id: 'request_id',
        model: 'model|metadata.model',
        status: 'status|metadata.status',
        level: 'level',
        error_type: `${ERROR_TYPE}|metadata.error_type`,
        error_message: 'error.message|error|metadata.error',
        finish_reason: 'metadata.finish_reason',
        e2e_latency: { path: 'metadata.total_latency_ms', unit: 'ms' },
        time_to_first_token: { path: 'metadata.first_token_latency_ms', unit: 'ms' },
        queue_time: { path: 'metadata.queue_time_ms', unit: 'ms' },
        prompt_tokens: 'metadata.prompt_tokens',
        completion_tokens: 'metadata.completion_tokens',
        gpu_memory: { path: 'metadata.gpu_memory_mb', unit: 'MiB' },
        device: 'metadata.device',
        output: 'output',
        json_mode: 'metadata.json_mode',
      },
    },
  },
  tgi: {
    description:
      'Hugging Face TGI with `--json-output`: durations are strings ("357.867572ms", "49.382µs"); a request is a `Success` line or an ERROR line inside a request span.',
    example:
      '{"timestamp":"2024-01-22T14:12:48.556953Z","level":"INFO","message":"Success","target":"text_generation_router::server","filename":"router/src/server.rs","line_number":513,"span":{"inference_time":"2.317846917s","parameters":"GenerateParameters { … }","queue_time":"45.262µs","seed":"None","time_per_token":"23.178469ms","total_time":"2.318094406s","validation_time":"202.345µs","name":"generate"},"spans":[{"name":"HTTP request"},{"name":"generate"}]}',
    detect: ['span.name', 'spans', 'target'],
    mapping: {
      match: [{ 'message|fields.message': { equals: ['Success'] } }, { level: { equals: ['ERROR'] }, 'span.name': { present: true } }],
      fields: {
        timestamp: { path: 'timestamp', format: 'auto' },
        level: 'level',
        model: 'model_id|model',
        error_message: 'message|fields.message',
        endpoint: 'span.name',
        e2e_latency: { path: 'span.total_time', unit: 'duration' },
        queue_time: { path: 'span.queue_time', unit: 'duration' },
        inference_time: { path: 'span.inference_time', unit: 'duration' },
        time_per_output_token: { path: 'span.time_per_token', unit: 'duration' },
        completion_tokens: 'span.generated_tokens|generated_tokens',
        prompt_tokens: 'span.input_tokens|input_tokens',
      },
    },
  },
  flat: {
    description: 'Flat request records (seed 002): ISO timestamp, token counts and `*_ms` timings at top level.',
    example:
      '{"timestamp":"2025-04-05T10:23:45Z","request_id":"req_abc123xyz","method":"POST","path":"/v1/chat/completions","input_tokens":1240,"output_tokens":320,"total_time_ms":1876,"queue_time_ms":120,"inference_time_ms":1756,"gpu_memory_mb":18432,"status":"success"}',
    detect: ['total_time_ms', 'input_tokens', 'output_tokens', 'queue_time_ms'],
    mapping: {
      fields: {
        timestamp: { path: 'timestamp', format: 'auto' },
        request_id: 'request_id',
        model: 'model',
        status: 'status',
        http_status: 'status_code|http_status',
        level: 'level',
        error_type: ERROR_TYPE,
        error_message: ERROR_MESSAGE,
        endpoint: 'path|endpoint',
        finish_reason: 'finish_reason',
        e2e_latency: { path: 'total_time_ms', unit: 'ms' },
        time_to_first_token: { path: 'ttft_ms|first_token_time_ms|time_to_first_token_ms', unit: 'ms' },
        queue_time: { path: 'queue_time_ms', unit: 'ms' },
        inference_time: { path: 'inference_time_ms', unit: 'ms' },
        prompt_tokens: 'input_tokens',
        completion_tokens: 'output_tokens',
        gpu_memory: { path: 'gpu_memory_mb', unit: 'MiB' },
        device: 'device|gpu',
        output: 'output|response',
      },
    },
  },
  elk: {
    description:
      'ELK-shipped records (seed 003): `inference_time_ms` is the whole request as the app timed it, so it feeds both end-to-end and inference time; `response_length` is characters, not tokens, and is not used.',
    example:
      '{"timestamp":"2025-04-05T10:23:45Z","level":"INFO","request_id":"req_abc123xyz","prompt":"…","response_length":156,"inference_time_ms":892,"status":"success"}',
    detect: ['response_length', 'inference_time_ms'],
    mapping: {
      fields: {
        timestamp: { path: 'timestamp|@timestamp', format: 'auto' },
        request_id: 'request_id',
        model: 'model',
        status: 'status',
        level: 'level',
        error_type: ERROR_TYPE,
        error_message: ERROR_MESSAGE,
        e2e_latency: { path: 'inference_time_ms', unit: 'ms' },
        inference_time: { path: 'inference_time_ms', unit: 'ms' },
        output: 'response|output',
      },
    },
  },
} satisfies Record<string, Preset>;

export type PresetName = keyof typeof PRESETS;
/** Detection order for `auto`: the shapes with the most specific marker fields first. */
export const PRESET_NAMES = ['openai', 'nested', 'tgi', 'flat', 'elk'] as const satisfies readonly PresetName[];
