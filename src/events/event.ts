/**
 * The one normalized record every consumer sees: a single inference request, whatever log shape it
 * came from. Optional fields are absent when the log did not carry them (or carried garbage) —
 * never 0 — so a histogram only ever observes values that were really logged.
 */
export interface InferenceEvent {
  /** Time the request finished, epoch seconds, from the log line. */
  timestamp?: number;
  requestId?: string;
  model?: string;
  status: RequestStatus;
  /** Short machine-friendly error class ("oom", "timeout", "http_503"); only on non-success events. */
  errorType?: string;
  /** Free-text error message, for template clustering. Never used as a label. */
  errorMessage?: string;
  /** Log level as written (upper-cased), when the line has one. */
  level?: string;
  endpoint?: string;
  finishReason?: string;

  e2eSeconds?: number;
  ttftSeconds?: number;
  queueSeconds?: number;
  inferenceSeconds?: number;
  tpotSeconds?: number;

  promptTokens?: number;
  completionTokens?: number;
  /** Prompt tokens served from the server's prefix cache (part of promptTokens). Not exported yet. */
  cachedTokens?: number;

  /** GPU memory the server reported in the line, bytes, and the device it names. */
  gpuMemoryBytes?: number;
  device?: string;

  /** Response text and JSON mode, for response-quality checks. Never exported. */
  output?: string;
  jsonMode?: boolean;
}

export const REQUEST_STATUSES = [
  'success',
  'error',
  'timeout',
  'cancelled',
  'rejected',
  'client_error',
  'unknown',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/**
 * Event fields a mapping can fill: the name a mapping uses (snake_case, as in the config file),
 * the event property it sets, and the kind of value it expects.
 */
export const MAPPABLE_FIELDS = {
  timestamp: { prop: 'timestamp', kind: 'timestamp' },
  request_id: { prop: 'requestId', kind: 'string' },
  model: { prop: 'model', kind: 'string' },
  status: { prop: 'status', kind: 'status' },
  http_status: { prop: 'status', kind: 'http_status' },
  level: { prop: 'level', kind: 'level' },
  error_type: { prop: 'errorType', kind: 'string' },
  error_message: { prop: 'errorMessage', kind: 'text' },
  endpoint: { prop: 'endpoint', kind: 'string' },
  finish_reason: { prop: 'finishReason', kind: 'string' },
  e2e_latency: { prop: 'e2eSeconds', kind: 'duration' },
  time_to_first_token: { prop: 'ttftSeconds', kind: 'duration' },
  queue_time: { prop: 'queueSeconds', kind: 'duration' },
  inference_time: { prop: 'inferenceSeconds', kind: 'duration' },
  time_per_output_token: { prop: 'tpotSeconds', kind: 'duration' },
  prompt_tokens: { prop: 'promptTokens', kind: 'count' },
  completion_tokens: { prop: 'completionTokens', kind: 'count' },
  gpu_memory: { prop: 'gpuMemoryBytes', kind: 'bytes' },
  device: { prop: 'device', kind: 'string' },
  output: { prop: 'output', kind: 'text' },
  json_mode: { prop: 'jsonMode', kind: 'boolean' },
  // Last, so a checkpoint's per-field problem counts written before it stay a prefix of today's.
  cached_tokens: { prop: 'cachedTokens', kind: 'count' },
} as const satisfies Record<string, { prop: keyof InferenceEvent; kind: string }>;
export type MappableField = keyof typeof MAPPABLE_FIELDS;
export type FieldKind = (typeof MAPPABLE_FIELDS)[MappableField]['kind'];
