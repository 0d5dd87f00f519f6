import type { InferenceEvent } from '../events/event.js';
import type { PresetName } from '../events/presets.js';
import { micros, type SimulatedRequest } from './traffic.js';

/**
 * One SimulatedRequest rendered as a log line in the shape of each built-in preset. The presets
 * are the contract: each line is written so that its preset's mapping reads back the truth, and
 * `expectedEvent` says exactly what that is, field by field, for the test suite and for anyone
 * computing expected metrics.
 *
 * What each shape carries (everything else decodes as absent, or `defaultModel` for the model):
 * - flat:   all timings (e2e, queue, inference, TTFT), tokens, model, request id, status, error
 *           type and message, GPU memory and device, endpoint. No output text, level or JSON mode.
 * - nested: e2e, queue, TTFT, tokens, model, request id, status, level, error type and message,
 *           GPU memory, device, output text, JSON mode, finish reason. No inference time or endpoint.
 * - elk:    e2e only (its `inference_time_ms` is the whole request, so it decodes as both e2e and
 *           inference time), request id, status, level, error type and message. No tokens, TTFT,
 *           queue, model or output (`response_length` is characters and is not read).
 * - tgi:    success lines: e2e, queue, inference, TPOT, level, endpoint `generate`. Failures are
 *           ERROR lines with the message only, so every failure decodes as status `error`, error
 *           type `error`. No tokens, TTFT, model or request id.
 * - openai: e2e, TTFT, tokens, model, status (from the HTTP code), error type and message, finish
 *           reason, output text. The id reads `chatcmpl-…`/`cmpl-…` (see openaiId) and the
 *           timestamp is whole seconds (`created`). No queue/inference time, GPU or JSON mode.
 */

export const SHAPES = ['flat', 'nested', 'elk', 'tgi', 'openai'] as const satisfies readonly PresetName[];
export type Shape = (typeof SHAPES)[number];

/** Render one request as a JSON line (no newline). */
export function formatLine(req: SimulatedRequest, shape: Shape): string {
  switch (shape) {
    case 'flat':
      return flatLine(req);
    case 'nested':
      return nestedLine(req);
    case 'elk':
      return elkLine(req);
    case 'tgi':
      return tgiLine(req);
    case 'openai':
      return openaiLine(req);
  }
}

const failed = (req: SimulatedRequest): boolean => req.status !== 'success';

function flatLine(req: SimulatedRequest): string {
  return JSON.stringify({
    timestamp: isoMicros(req.timestamp),
    request_id: req.requestId,
    method: 'POST',
    path: req.endpoint,
    model: req.model,
    input_tokens: req.promptTokens,
    output_tokens: req.completionTokens,
    total_time_ms: ms(req.e2eSeconds),
    queue_time_ms: ms(req.queueSeconds),
    inference_time_ms: ms(req.inferenceSeconds),
    ttft_ms: optionalMs(req.ttftSeconds),
    gpu_memory_mb: req.gpuMemoryMiB,
    device: req.device,
    status: req.status,
    error_type: req.errorType,
    error: req.errorMessage,
  });
}

function nestedLine(req: SimulatedRequest): string {
  return JSON.stringify({
    timestamp: req.timestamp,
    level: levelOf(req),
    request_id: req.requestId,
    model: req.model,
    input: req.prompt,
    output: failed(req) ? undefined : req.output,
    status: failed(req) ? req.status : undefined,
    error: failed(req) ? { type: req.errorType, message: req.errorMessage } : undefined,
    metadata: {
      prompt_tokens: req.promptTokens,
      completion_tokens: req.completionTokens,
      total_tokens: req.promptTokens + req.completionTokens,
      first_token_latency_ms: optionalMs(req.ttftSeconds),
      total_latency_ms: ms(req.e2eSeconds),
      queue_time_ms: ms(req.queueSeconds),
      gpu_memory_mb: req.gpuMemoryMiB,
      device: req.device,
      temperature: req.temperature,
      function_calling: req.functionCalling,
      json_mode: req.jsonMode,
      finish_reason: req.finishReason,
    },
  });
}

function elkLine(req: SimulatedRequest): string {
  return JSON.stringify({
    timestamp: isoMicros(req.timestamp),
    level: levelOf(req),
    request_id: req.requestId,
    prompt: req.prompt,
    response_length: req.output.length,
    inference_time_ms: ms(req.e2eSeconds),
    status: req.status,
    error_type: req.errorType,
    error: req.errorMessage,
  });
}

function tgiLine(req: SimulatedRequest): string {
  const parameters = `GenerateParameters { temperature: Some(${req.temperature}), top_p: None, do_sample: ${req.temperature > 0}, max_new_tokens: Some(${req.maxTokens}), stop: [], details: false, seed: None }`;
  if (failed(req)) {
    // TGI records the timing fields on the span only when a request succeeds.
    return JSON.stringify({
      timestamp: isoMicros(req.timestamp),
      level: 'ERROR',
      message: req.errorMessage,
      target: 'text_generation_router::infer',
      filename: 'router/src/infer/mod.rs',
      line_number: 132,
      span: { parameters, name: 'generate' },
      spans: [{ name: 'HTTP request' }, { name: 'generate' }],
    });
  }
  return JSON.stringify({
    timestamp: isoMicros(req.timestamp),
    level: 'INFO',
    message: 'Success',
    target: 'text_generation_router::server',
    filename: 'router/src/server.rs',
    line_number: 513,
    span: {
      inference_time: rustDuration(micros(req.inferenceSeconds) * 1000),
      parameters,
      queue_time: rustDuration(micros(req.queueSeconds) * 1000),
      seed: 'None',
      time_per_token: tgiTimePerTokenNanos(req) === undefined ? undefined : rustDuration(tgiTimePerTokenNanos(req) as number),
      total_time: rustDuration(micros(req.e2eSeconds) * 1000),
      validation_time: rustDuration(validationNanos(req.requestId)),
      name: 'generate',
    },
    spans: [{ name: 'HTTP request' }, { name: 'generate' }],
  });
}

/** As TGI computes it: inference time / generated tokens, in integer nanoseconds; none without tokens. */
function tgiTimePerTokenNanos(req: SimulatedRequest): number | undefined {
  if (req.completionTokens <= 0) return undefined;
  return Math.floor((micros(req.inferenceSeconds) * 1000) / req.completionTokens);
}

function openaiLine(req: SimulatedRequest): string {
  const chat = req.endpoint === '/v1/chat/completions';
  return JSON.stringify({
    id: openaiId(req),
    object: chat ? 'chat.completion' : 'text_completion',
    created: Math.floor(req.timestamp),
    model: req.model,
    usage: {
      prompt_tokens: req.promptTokens,
      completion_tokens: req.completionTokens,
      total_tokens: req.promptTokens + req.completionTokens,
    },
    latency_ms: ms(req.e2eSeconds),
    ttft_ms: optionalMs(req.ttftSeconds),
    status_code: req.httpStatus,
    error: failed(req) ? { type: req.errorType, message: req.errorMessage } : undefined,
    choices: failed(req)
      ? undefined
      : [chat ? { index: 0, message: { role: 'assistant', content: req.output }, finish_reason: req.finishReason } : { index: 0, text: req.output, finish_reason: req.finishReason }],
  });
}

/** The id an OpenAI-style gateway logs for the request: the same random part, its own prefix. */
export function openaiId(req: SimulatedRequest): string {
  return `${req.endpoint === '/v1/chat/completions' ? 'chatcmpl-' : 'cmpl-'}${req.requestId.replace(/^req_/, '')}`;
}

/**
 * The event the shape's preset should decode from `formatLine(req, shape)`. Durations are what the
 * line encodes exactly (whole µs; TPOT in TGI to the ns); a reader's float arithmetic may differ
 * in the last bits, so compare durations and timestamps with a tolerance (1e-9 s, 1e-6 s).
 */
export function expectedEvent(req: SimulatedRequest, shape: Shape, defaultModel = 'unknown'): InferenceEvent {
  const failure = failed(req);
  const base: InferenceEvent = { timestamp: req.timestamp, status: req.status, model: defaultModel };
  if (failure) {
    base.errorType = req.errorType;
    base.errorMessage = req.errorMessage;
  }
  const derived = { ttftSeconds: req.ttftSeconds, tpotSeconds: req.tpotSeconds };
  switch (shape) {
    case 'flat':
      return {
        ...base,
        ...derived,
        requestId: req.requestId,
        model: req.model,
        endpoint: req.endpoint,
        e2eSeconds: req.e2eSeconds,
        queueSeconds: req.queueSeconds,
        inferenceSeconds: req.inferenceSeconds,
        promptTokens: req.promptTokens,
        completionTokens: req.completionTokens,
        gpuMemoryBytes: req.gpuMemoryBytes,
        device: req.device,
      };
    case 'nested':
      return {
        ...base,
        ...derived,
        requestId: req.requestId,
        model: req.model,
        level: levelOf(req),
        finishReason: req.finishReason,
        e2eSeconds: req.e2eSeconds,
        queueSeconds: req.queueSeconds,
        promptTokens: req.promptTokens,
        completionTokens: req.completionTokens,
        gpuMemoryBytes: req.gpuMemoryBytes,
        device: req.device,
        output: failure ? undefined : req.output,
        jsonMode: req.jsonMode,
      };
    case 'elk':
      return { ...base, requestId: req.requestId, level: levelOf(req), e2eSeconds: req.e2eSeconds, inferenceSeconds: req.e2eSeconds };
    case 'tgi':
      if (failure) return { ...base, status: 'error', errorType: 'error', level: 'ERROR', endpoint: 'generate' };
      return {
        ...base,
        level: 'INFO',
        endpoint: 'generate',
        e2eSeconds: req.e2eSeconds,
        queueSeconds: req.queueSeconds,
        inferenceSeconds: req.inferenceSeconds,
        tpotSeconds: tgiTimePerTokenNanos(req) === undefined ? undefined : (tgiTimePerTokenNanos(req) as number) / 1e9,
        // The preset derives them as inference_time / time_per_token.
        completionTokens: req.completionTokens > 0 ? req.completionTokens : undefined,
      };
    case 'openai':
      return {
        ...base,
        ...derived,
        timestamp: Math.floor(req.timestamp),
        requestId: openaiId(req),
        model: req.model,
        finishReason: req.finishReason,
        e2eSeconds: req.e2eSeconds,
        promptTokens: req.promptTokens,
        completionTokens: req.completionTokens,
        output: failure ? undefined : req.output,
      };
  }
}

function levelOf(req: SimulatedRequest): string {
  switch (req.status) {
    case 'success':
      return 'INFO';
    case 'cancelled':
    case 'rejected':
      return 'WARN';
    default:
      return 'ERROR';
  }
}

/** Milliseconds with at most 3 decimals: exact, because truth durations are whole microseconds. */
function ms(seconds: number): number {
  return micros(seconds) / 1000;
}
function optionalMs(seconds: number | undefined): number | undefined {
  return seconds === undefined ? undefined : ms(seconds);
}

/** ISO 8601 with microseconds, as TGI and most structured loggers write it. */
export function isoMicros(epochSeconds: number): string {
  const us = micros(epochSeconds);
  const iso = new Date(Math.floor(us / 1000)).toISOString();
  return `${iso.slice(0, -1)}${String(us % 1000).padStart(3, '0')}Z`;
}

/**
 * A duration as Rust's `Debug` for `std::time::Duration` prints it (what TGI logs): the largest
 * unit the value reaches (s, ms, µs, else ns), nanosecond precision, trailing zeros trimmed.
 */
export function rustDuration(nanos: number): string {
  const ns = Math.max(0, Math.round(nanos));
  if (ns >= 1e9) return decimal(ns, 1e9, 's');
  if (ns >= 1e6) return decimal(ns, 1e6, 'ms');
  if (ns >= 1e3) return decimal(ns, 1e3, 'µs');
  return `${ns}ns`;
}

function decimal(ns: number, unitNs: number, suffix: string): string {
  const whole = Math.floor(ns / unitNs);
  const frac = ns - whole * unitNs;
  if (frac === 0) return `${whole}${suffix}`;
  const digits = String(frac).padStart(String(unitNs).length - 1, '0').replace(/0+$/, '');
  return `${whole}.${digits}${suffix}`;
}

/** TGI's validation time, which no mapping reads: a stable 120–480 µs from the request id. */
function validationNanos(requestId: string): number {
  let h = 0;
  for (let i = 0; i < requestId.length; i++) h = (Math.imul(h, 31) + requestId.charCodeAt(i)) >>> 0;
  return 120_000 + (h % 360_000);
}
