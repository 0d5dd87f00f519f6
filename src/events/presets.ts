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

/**
 * SGLang writes the same record at the top level (`--export-metrics-to-file`) and, from its request
 * logger, under `out.meta_info` of a `request.finished` event: each path is looked up in both.
 */
const sglang = (...paths: string[]): string => paths.flatMap((p) => [p, `out.meta_info.${p}`]).join('|');

/** Envoy's access-log keys contain dots ("gen_ai.usage.input_tokens" is one key): escape them for a path. */
const key = (...names: string[]): string => names.map((n) => n.replaceAll('.', '\\.')).join('|');

// The real examples, from the study of what each server writes (test/fixtures/servers/).
const SGLANG_EXAMPLE =
  "{\"request_parameters\": \"{\\\"rid\\\": \\\"b6a1f0c2d3e44f5a8b9c0d1e2f3a4b5c\\\", \\\"use_audio_in_video\\\": false, \\\"sampling_params\\\": {\\\"temperature\\\": 0.7, \\\"max_new_tokens\\\": 512, \\\"top_p\\\": 1.0, \\\"stop\\\": [], \\\"skip_special_tokens\\\": true}, \\\"return_logprob\\\": false, \\\"logprob_start_len\\\": -1, \\\"top_logprobs_num\\\": 0, \\\"return_text_in_logprobs\\\": true, \\\"stream\\\": true, \\\"log_metrics\\\": true, \\\"return_hidden_states\\\": false}\", \"id\": \"b6a1f0c2d3e44f5a8b9c0d1e2f3a4b5c\", \"finish_reason\": {\"type\": \"stop\", \"matched\": 151645}, \"prompt_tokens\": 1311, \"weight_version\": \"default\", \"num_retractions\": 0, \"forward_entry_time\": 1767608641.3533182, \"prefill_finished_time\": 1767608641.4364183, \"queue_time\": 0.029684219998307525, \"reasoning_tokens\": 0, \"completion_tokens\": 187, \"cached_tokens\": 1024, \"e2e_latency\": 2.4671903590019792, \"request_received_ts\": 1767608641.3121183, \"api_server_dispatch_finish_ts\": 1767608641.3164184, \"request_finished_ts\": 1767608643.7793086, \"decode_throughput\": 79.48717948717949, \"response_sent_to_client_ts\": 1767608643.7799182}";
const TGI_EXAMPLE =
  "{\"timestamp\":\"2026-01-05T10:23:47.186553Z\",\"level\":\"INFO\",\"message\":\"Success\",\"target\":\"text_generation_router::server\",\"filename\":\"router/src/server.rs\",\"line_number\":432,\"span\":{\"inference_time\":\"1.754210493s\",\"parameters\":\"GenerateParameters { best_of: None, temperature: None, repetition_penalty: None, frequency_penalty: None, top_k: None, top_p: None, typical_p: None, do_sample: false, max_new_tokens: Some(150), return_full_text: None, stop: [], truncate: None, watermark: false, details: false, decoder_input_details: false, seed: None, top_n_tokens: None, grammar: None, adapter_id: None }\",\"queue_time\":\"120.393\u00b5s\",\"seed\":\"None\",\"time_per_token\":\"11.694736ms\",\"total_time\":\"1.760978711s\",\"validation_time\":\"6.758318ms\",\"name\":\"generate\"},\"spans\":[{\"inference_time\":\"1.754210493s\",\"parameters\":\"GenerateParameters { best_of: None, temperature: None, repetition_penalty: None, frequency_penalty: None, top_k: None, top_p: None, typical_p: None, do_sample: false, max_new_tokens: Some(150), return_full_text: None, stop: [], truncate: None, watermark: false, details: false, decoder_input_details: false, seed: None, top_n_tokens: None, grammar: None, adapter_id: None }\",\"queue_time\":\"120.393\u00b5s\",\"seed\":\"None\",\"time_per_token\":\"11.694736ms\",\"total_time\":\"1.760978711s\",\"validation_time\":\"6.758318ms\",\"name\":\"generate\"}]}";
const LITELLM_EXAMPLE =
  "{\"id\": \"chatcmpl-8c0f1e2ab3c94d5e9f7a6b5c4d3e2f10\", \"trace_id\": \"6a2c1b9e-3f4d-4e8a-9b7c-0d1e2f3a4b5c\", \"call_type\": \"acompletion\", \"cache_hit\": false, \"stream\": true, \"status\": \"success\", \"status_fields\": {\"llm_api_status\": \"success\", \"guardrail_status\": \"not_run\"}, \"custom_llm_provider\": \"hosted_vllm\", \"saved_cache_cost\": 0.0, \"startTime\": 1767608641.301544, \"endTime\": 1767608643.7908309, \"completionStartTime\": 1767608641.487657, \"response_time\": 0.1861131191253662, \"model\": \"Qwen/Qwen2.5-7B-Instruct\", \"metadata\": {\"user_api_key_hash\": \"88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b\", \"user_api_key_alias\": \"team-search-prod\", \"user_api_key_spend\": 12.408, \"user_api_key_max_budget\": null, \"user_api_key_budget_reset_at\": null, \"user_api_key_team_id\": \"f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b\", \"user_api_key_org_id\": null, \"user_api_key_project_id\": null, \"user_api_key_user_id\": \"svc-search\", \"user_api_key_user_email\": null, \"user_api_key_team_alias\": \"search\", \"spend_logs_metadata\": null, \"requester_ip_address\": \"10.0.3.17\", \"user_agent\": \"OpenAI/Python 1.58.1\", \"requester_metadata\": {}, \"user_api_key_end_user_id\": null, \"prompt_management_metadata\": null, \"applied_guardrails\": [], \"mcp_tool_call_metadata\": null, \"vector_store_request_metadata\": null, \"usage_object\": {\"completion_tokens\": 187, \"prompt_tokens\": 1311, \"total_tokens\": 1498, \"completion_tokens_details\": null, \"prompt_tokens_details\": {\"audio_tokens\": null, \"cached_tokens\": 1024}}, \"requester_custom_headers\": {}, \"user_api_key_request_route\": \"/v1/chat/completions\", \"cold_storage_object_key\": null, \"user_api_key_auth_metadata\": {}, \"team_alias\": null, \"team_id\": null}, \"cache_key\": null, \"response_cost\": 0.0, \"cost_breakdown\": null, \"total_tokens\": 1498, \"prompt_tokens\": 1311, \"completion_tokens\": 187, \"request_tags\": [\"User-Agent: OpenAI\", \"User-Agent: OpenAI/Python 1.58.1\"], \"end_user\": \"\", \"api_base\": \"http://vllm-qwen:8000/v1\", \"model_group\": \"qwen2.5-7b\", \"model_id\": \"b9c2f07e4d1a8c3b6e5f4a2d1c0b9e8f7a6d5c4b3e2f1a0b9c8d7e6f5a4b3c2d\", \"requester_ip_address\": \"10.0.3.17\", \"user_agent\": \"OpenAI/Python 1.58.1\", \"messages\": [{\"role\": \"user\", \"content\": \"Summarise the attached incident report in five bullet points.\"}], \"response\": {\"id\": \"chatcmpl-8c0f1e2ab3c94d5e9f7a6b5c4d3e2f10\", \"created\": 1767608641, \"model\": \"Qwen/Qwen2.5-7B-Instruct\", \"object\": \"chat.completion\", \"system_fingerprint\": null, \"choices\": [{\"finish_reason\": \"stop\", \"index\": 0, \"message\": {\"content\": \"- The outage began at 09:12 UTC ...\", \"role\": \"assistant\", \"tool_calls\": null, \"function_call\": null}}], \"usage\": {\"completion_tokens\": 187, \"prompt_tokens\": 1311, \"total_tokens\": 1498, \"completion_tokens_details\": null, \"prompt_tokens_details\": {\"audio_tokens\": null, \"cached_tokens\": 1024}}}, \"model_parameters\": {\"temperature\": 0.7, \"max_tokens\": 512, \"stream\": true}, \"hidden_params\": {\"model_id\": \"b9c2f07e4d1a8c3b6e5f4a2d1c0b9e8f7a6d5c4b3e2f1a0b9c8d7e6f5a4b3c2d\", \"cache_key\": null, \"api_base\": \"http://vllm-qwen:8000/v1\", \"response_cost\": null, \"additional_headers\": {}, \"litellm_overhead_time_ms\": 3.84, \"batch_models\": null, \"litellm_model_name\": \"hosted_vllm/Qwen/Qwen2.5-7B-Instruct\", \"usage_object\": {\"completion_tokens\": 187, \"prompt_tokens\": 1311, \"total_tokens\": 1498, \"completion_tokens_details\": null, \"prompt_tokens_details\": {\"audio_tokens\": null, \"cached_tokens\": 1024}}}, \"model_map_information\": {\"model_map_key\": \"Qwen/Qwen2.5-7B-Instruct\", \"model_map_value\": null}, \"error_str\": null, \"error_information\": {\"error_code\": \"\", \"error_class\": \"\", \"llm_provider\": \"\", \"traceback\": \"\", \"error_message\": \"\"}, \"response_cost_failure_debug_info\": null, \"guardrail_information\": null, \"standard_built_in_tools_params\": null}";
const NGINX_EXAMPLE =
  "{\"time\":\"2026-01-05T10:23:58+00:00\",\"msec\":\"1767608638.221\",\"request_id\":\"0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c\",\"method\":\"POST\",\"uri\":\"/generate\",\"status\":\"200\",\"request_time\":\"1.763\",\"upstream_addr\":\"10.0.3.11:80\",\"upstream_status\":\"200\",\"upstream_connect_time\":\"0.001\",\"upstream_header_time\":\"1.762\",\"upstream_response_time\":\"1.762\",\"request_length\":\"402\",\"body_bytes_sent\":\"913\",\"x_prompt_tokens\":\"57\",\"x_generated_tokens\":\"150\",\"x_total_time\":\"1761\",\"x_queue_time\":\"0\",\"x_inference_time\":\"1754\"}";
const ENVOY_EXAMPLE =
  "{\":authority\":\"llm.internal.example\",\"bytes_received\":431,\"bytes_sent\":21877,\"connection_termination_details\":null,\"downstream_local_address\":\"10.0.1.5:10080\",\"downstream_remote_address\":\"10.0.3.17:51560\",\"duration\":3421,\"gen_ai.provider.name\":\"default/vllm-qwen/route/llm-route/rule/0/ref/0\",\"gen_ai.request.model\":\"Qwen/Qwen2.5-7B-Instruct\",\"gen_ai.request.model_override\":\"Qwen/Qwen2.5-7B-Instruct\",\"gen_ai.response.model\":\"Qwen/Qwen2.5-7B-Instruct\",\"gen_ai.server.inter_token_latency_ms\":11.3,\"gen_ai.server.time_to_first_token_ms\":184.5,\"gen_ai.usage.input_tokens\":1702,\"gen_ai.usage.output_tokens\":287,\"gen_ai.usage.total_tokens\":1989,\"method\":\"POST\",\"protocol\":\"HTTP/1.1\",\"requested_server_name\":null,\"response_code\":200,\"response_code_details\":\"via_upstream\",\"response_flags\":\"-\",\"route_name\":\"httproute/default/llm-route/rule/0/match/0/*\",\"start_time\":\"2026-01-05T10:23:49.481Z\",\"upstream_cluster\":\"httproute/default/llm-route/rule/0\",\"upstream_host\":\"10.0.3.9:8000\",\"upstream_local_address\":\"10.0.1.5:40130\",\"upstream_transport_failure_reason\":null,\"user-agent\":\"OpenAI/Python 1.58.1\",\"x-envoy-origin-path\":\"/v1/chat/completions\",\"x-envoy-upstream-service-time\":\"6\",\"x-forwarded-for\":\"10.0.3.17\",\"x-request-id\":\"7c6b5a49-3e2d-4c1b-9a08-f7e6d5c4b3a2\"}";
const ERROR_MESSAGE = 'error_message|error.message|error|message|msg';

export const PRESETS = {
  sglang: {
    description:
      'SGLang\'s request-metrics exporter (`--export-metrics-to-file`, hourly files `sglang-request-metrics-YYYYMMDD_HH.log`), current and older key sets, and `request.finished` events of its JSON request logger (`--log-requests-format json`, the same keys under `out.meta_info`; `request.received` events are unmapped). `finish_reason` is an object: `stop`/`length` succeed; `abort` with a `status_code` takes its HTTP status (400 → client_error, 5xx → error, 503 → rejected) and `err_type` as the error type, without one it is cancelled. `e2e_latency` and `queue_time` are seconds. TTFT only with `--enable-metrics`: `prefill_finished_time` (current) or `prefill_finished_ts` (older) − `request_received_ts`, server side (excludes transport). No model in the record: use `--default-model`. `request_parameters` (the prompt) is never read.',
    example: SGLANG_EXAMPLE,
    detect: ['request_parameters', 'out.meta_info'],
    mapping: {
      match: [{ request_parameters: { present: true } }, { event: { equals: ['request.finished'] } }],
      fields: {
        timestamp: { path: sglang('response_sent_to_client_ts', 'request_finished_ts'), format: 'epoch_s' },
        request_id: sglang('id'),
        finish_reason: sglang('finish_reason.type'),
        // A numeric status_code is an HTTP status; when it is null the type word ("abort") decides.
        status: sglang('finish_reason.status_code', 'finish_reason.type'),
        error_type: sglang('finish_reason.err_type'),
        error_message: sglang('finish_reason.message'),
        e2e_latency: { path: sglang('e2e_latency'), unit: 's' },
        time_to_first_token: { path: sglang('prefill_finished_time', 'prefill_finished_ts'), minus: sglang('request_received_ts'), unit: 's' },
        queue_time: { path: sglang('queue_time'), unit: 's' },
        inference_time: { path: sglang('inference_time'), unit: 's' },
        prompt_tokens: sglang('prompt_tokens'),
        completion_tokens: sglang('completion_tokens'),
        cached_tokens: sglang('cached_tokens'),
      },
    },
  },
  litellm: {
    description:
      'LiteLLM proxy\'s `StandardLoggingPayload`, one JSON object per line, as a ten-line custom callback writes it (docs/servers.md; `LITELLM_PRINT_STANDARD_LOGGING_PAYLOAD` prints indented multi-line JSON that no line reader can use). e2e = `endTime − startTime`; TTFT = `completionStartTime − startTime` only when `stream` is true (otherwise LiteLLM sets it to `endTime`); `response_time` is not used (it is TTFT when streaming, e2e otherwise). `status` success/failure, the HTTP status from `error_information.error_code`, the error type from `error_information.error_class`. Model: `model_group` (the proxy\'s public name), else `model`. No queue time (a gateway\'s view). `messages` and `response` are never read.',
    example: LITELLM_EXAMPLE,
    detect: ['completionStartTime'],
    mapping: {
      null_values: [''],
      fields: {
        timestamp: { path: 'endTime', format: 'epoch_s' },
        request_id: 'id',
        model: 'model_group|model',
        status: 'status',
        http_status: 'error_information.error_code',
        error_type: 'error_information.error_class',
        error_message: 'error_str|error_information.error_message',
        finish_reason: 'response.choices[0].finish_reason',
        e2e_latency: { path: 'endTime', minus: 'startTime', unit: 's' },
        time_to_first_token: { path: 'completionStartTime', minus: 'startTime', unit: 's', when: { stream: { equals: [true] } } },
        prompt_tokens: 'prompt_tokens',
        completion_tokens: 'completion_tokens',
        cached_tokens: 'metadata.usage_object.prompt_tokens_details.cached_tokens|hidden_params.usage_object.prompt_tokens_details.cached_tokens',
      },
    },
  },
  'envoy-ai-gateway': {
    description:
      'Envoy AI Gateway\'s JSON access log with the field names of its docs (`gen_ai.*` keys, dots inside the key) and `llmRequestCosts` token metadata. `duration` is ms; TTFT and inter-token latency only from the two `gen_ai.server.*_ms` keys we suggest adding (streaming only). Token and model fields are null on failures; `response_flags` is the error type. Only POST lines are requests (health checks are GETs).',
    example: ENVOY_EXAMPLE,
    detect: [key('gen_ai.request.model'), key('gen_ai.usage.input_tokens'), key('gen_ai.response.model')],
    mapping: {
      match: [{ method: { equals: ['POST'] } }],
      null_values: ['-'],
      fields: {
        timestamp: { path: 'start_time', format: 'auto' },
        request_id: 'x-request-id',
        model: key('gen_ai.response.model', 'gen_ai.request.model'),
        http_status: 'response_code',
        error_type: 'response_flags',
        error_message: 'upstream_transport_failure_reason|response_code_details',
        endpoint: 'x-envoy-origin-path',
        e2e_latency: { path: 'duration', unit: 'ms' },
        time_to_first_token: { path: key('gen_ai.server.time_to_first_token_ms'), unit: 'ms' },
        time_per_output_token: { path: key('gen_ai.server.inter_token_latency_ms'), unit: 'ms' },
        prompt_tokens: key('gen_ai.usage.input_tokens'),
        completion_tokens: key('gen_ai.usage.output_tokens'),
      },
    },
  },
  openai: {
    description: "OpenAI-style gateway lines carrying a `usage` object (custom proxies; the `litellm` preset reads LiteLLM's own payload).",
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
      'Hugging Face TGI with `--json-output`: the router\'s `Success` line per request, timings as Rust `Duration` strings ("1.754210493s", "11.694736ms", "120.393µs", "512ns"; `us` and the Greek μ too). An ERROR line inside a request span (`span.name`) is a failed request; startup, launcher and shard lines and ERROR lines outside a span are unmapped. TGI logs no token counts, model or request id: use `--default-model`. Completion tokens are derived as round(`inference_time` / `time_per_token`): TGI computes `time_per_token` as `inference_time` divided by the generated tokens (integer nanoseconds), so the ratio is that count exactly. Prompt tokens are not available.',
    example: TGI_EXAMPLE,
    detect: ['span.name', 'spans', 'target'],
    mapping: {
      match: [{ 'message|fields.message': { equals: ['Success'] } }, { level: { equals: ['ERROR'] }, 'span.name': { present: true } }],
      fields: {
        timestamp: { path: 'timestamp', format: 'auto' },
        level: 'level',
        error_message: 'message|fields.message',
        // On a Success line the handler's span (generate, chat_completions); on an ERROR line the
        // innermost span (generate_stream, send_error). Not spans[0]: at LOG_LEVEL=trace that is "HTTP request".
        endpoint: 'span.name',
        e2e_latency: { path: 'span.total_time', unit: 'duration' },
        queue_time: { path: 'span.queue_time', unit: 'duration' },
        inference_time: { path: 'span.inference_time', unit: 'duration' },
        time_per_output_token: { path: 'span.time_per_token', unit: 'duration' },
        completion_tokens: { path: 'span.inference_time', over: 'span.time_per_token', unit: 'duration' },
      },
    },
  },
  nginx: {
    description:
      'nginx in front of any OpenAI-compatible server, with the `llm_json` log format in docs/nginx-llm-json.conf: every value a string, `-` and "" for none. e2e is `$request_time` (first client byte to the last byte sent: the whole stream); inference time is `$upstream_response_time` of the attempt that answered (the last of "0.001, 2.609"). `$upstream_header_time` is not TTFT (servers send headers before the first token) and is not used. Tokens and queue time only when the upstream is TGI (its `x-*` headers, non-streaming). No model: use `--default-model`. Only POST lines are requests (health checks and `/metrics` scrapes are GETs).',
    example: NGINX_EXAMPLE,
    detect: ['upstream_response_time', 'request_time'],
    mapping: {
      match: [{ method: { equals: ['POST'] } }],
      null_values: ['-', ''],
      fields: {
        timestamp: { path: 'msec|time', format: 'auto' },
        request_id: 'request_id',
        http_status: 'status',
        endpoint: 'uri',
        e2e_latency: { path: 'request_time', unit: 's' },
        inference_time: { path: 'upstream_response_time', unit: 's', list: 'last' },
        queue_time: { path: 'x_queue_time', unit: 'ms' },
        prompt_tokens: 'x_prompt_tokens',
        completion_tokens: 'x_generated_tokens',
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
    // Not inference_time_ms: flat lines carry it too, and elk would read them wrongly.
    detect: ['response_length'],
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
export const PRESET_NAMES = ['sglang', 'litellm', 'envoy-ai-gateway', 'openai', 'nested', 'tgi', 'nginx', 'flat', 'elk'] as const satisfies readonly PresetName[];
