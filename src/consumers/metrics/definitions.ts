import type { InferenceEvent } from '../../events/event.js';

/**
 * The request histograms: what each observes, its metric name, and its default buckets. Duration
 * buckets put the SLO thresholds people alert on (0.5, 1, 2, 3, 5 s …) on exact boundaries,
 * starting from vLLM's buckets so dashboards built for vLLM read the same.
 */
export const REQUEST_HISTOGRAMS = [
  {
    key: 'e2e_latency',
    name: 'llmtail_request_duration_seconds',
    help: 'End-to-end request latency as logged by the inference server.',
    value: (e: InferenceEvent) => e.e2eSeconds,
    buckets: [0.1, 0.25, 0.3, 0.5, 0.75, 0.8, 1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960],
    exemplars: true,
  },
  {
    key: 'time_to_first_token',
    name: 'llmtail_time_to_first_token_seconds',
    help: 'Time from request arrival to the first output token.',
    value: (e: InferenceEvent) => e.ttftSeconds,
    buckets: [0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.25, 0.3, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 5, 7.5, 10, 20, 40, 80],
    exemplars: true,
  },
  {
    key: 'queue_time',
    name: 'llmtail_request_queue_time_seconds',
    help: 'Time the request waited in the server queue before inference.',
    value: (e: InferenceEvent) => e.queueSeconds,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120],
    exemplars: true,
  },
  {
    key: 'inference_time',
    name: 'llmtail_request_inference_time_seconds',
    help: 'Time the request spent in inference (prefill and decode), without queueing.',
    value: (e: InferenceEvent) => e.inferenceSeconds,
    buckets: [0.1, 0.25, 0.3, 0.5, 0.75, 0.8, 1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960],
    exemplars: true,
  },
  {
    key: 'time_per_output_token',
    name: 'llmtail_time_per_output_token_seconds',
    help: 'Decode time per output token after the first; derived as (e2e - TTFT) / (completion tokens - 1) when not logged.',
    value: (e: InferenceEvent) => e.tpotSeconds,
    buckets: [0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5],
    exemplars: true,
  },
  {
    key: 'prompt_tokens',
    name: 'llmtail_request_prompt_tokens',
    help: 'Prompt (input) tokens per request.',
    value: (e: InferenceEvent) => e.promptTokens,
    buckets: [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072],
    exemplars: false,
    totalName: 'llmtail_prompt_tokens_total',
    totalHelp: 'Prompt (input) tokens processed, for tokens/s (equals the sum of llmtail_request_prompt_tokens).',
  },
  {
    key: 'completion_tokens',
    name: 'llmtail_request_completion_tokens',
    help: 'Completion (output) tokens per request.',
    value: (e: InferenceEvent) => e.completionTokens,
    buckets: [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768],
    exemplars: false,
    totalName: 'llmtail_completion_tokens_total',
    totalHelp: 'Completion (output) tokens generated, for tokens/s (equals the sum of llmtail_request_completion_tokens).',
  },
] as const;

export type HistogramKey = (typeof REQUEST_HISTOGRAMS)[number]['key'];
export const HISTOGRAM_KEYS = REQUEST_HISTOGRAMS.map((h) => h.key) as HistogramKey[];

/** Event fields that may become labels on the request metrics (allowlisted in the config). */
export const LABEL_SOURCES = {
  model: (e: InferenceEvent) => e.model,
  status: (e: InferenceEvent) => e.status,
  endpoint: (e: InferenceEvent) => e.endpoint,
  finish_reason: (e: InferenceEvent) => e.finishReason,
  device: (e: InferenceEvent) => e.device,
} as const;
export type LabelName = keyof typeof LABEL_SOURCES;
export const LABEL_NAMES = Object.keys(LABEL_SOURCES) as LabelName[];
