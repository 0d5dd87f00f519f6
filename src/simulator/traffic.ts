import { clamp, deriveSeed, Rng, WeightedPicker } from './random.js';
import { jsonOutput, malformedJsonOutput, outputText, promptText } from './text.js';

/**
 * The traffic model: the ground truth of one simulated inference request at a time. Everything is
 * drawn from a seeded Rng, so the same seed and the same sequence of `next(nowMs)` calls give the
 * same requests, which is what lets tests compare decoded metrics against exact expectations.
 */

export const SIMULATED_STATUSES = ['success', 'error', 'timeout', 'cancelled', 'rejected'] as const;
export type SimulatedStatus = (typeof SIMULATED_STATUSES)[number];

export interface ModelProfile {
  name: string;
  /** Relative share of requests. */
  weight: number;
  /** Decode time per output token at no load, seconds; default from the size in the name (20–35 ms). */
  decodeSecondsPerToken?: number;
  /** Prefill throughput, prompt tokens per second; default 8000 for a 7B model, scaled by size. */
  prefillTokensPerSecond?: number;
}

export const DEFAULT_MODELS: readonly ModelProfile[] = [
  { name: 'Qwen/Qwen2.5-7B-Instruct', weight: 0.6 },
  { name: 'Qwen/Qwen2.5-14B-Instruct', weight: 0.3 },
  { name: 'Qwen/Qwen2.5-Coder-7B-Instruct', weight: 0.1 },
];

export interface TrafficOptions {
  seed?: number;
  models?: readonly ModelProfile[];
  /** Request rate the traffic represents; with capacityPerSecond it sets the load. Default 10. */
  ratePerSecond?: number;
  /** Rate at which the server would be fully loaded. Default 40. */
  capacityPerSecond?: number;
  /** Devices requests are spread over: cuda:0 … cuda:(gpus-1). Default 2. */
  gpus?: number;
  /** Server-side request timeout. Default 60 s. */
  timeoutSeconds?: number;
  /** Failure probability outside bursts. Default 0.005. */
  baselineErrorRate?: number;
  /** A burst of failures roughly this often; 0 disables scheduled bursts. Default 120. */
  burstEverySeconds?: number;
  /** Burst length range, seconds. Default [10, 20]. */
  burstSeconds?: readonly [number, number];
  /** Failure probability range during a burst (one value drawn per burst). Default [0.3, 0.6]. */
  burstErrorRate?: readonly [number, number];
  /** Successful responses with empty text. Default 0.003. */
  emptyOutputRate?: number;
  /** Requests in JSON mode. Default 0.15. */
  jsonModeRate?: number;
  /** JSON-mode responses that do not parse. Default 0.01. */
  malformedJsonRate?: number;
  /** Start of the burst schedule; default the first `next()` time. */
  originMs?: number;
}

/** Ground truth of one request. Durations are whole microseconds (see `micros`). */
export interface SimulatedRequest {
  requestId: string;
  /** When the request finished and its line was logged, epoch seconds (µs resolution). */
  timestamp: number;
  model: string;
  endpoint: '/v1/chat/completions' | '/v1/completions';
  status: SimulatedStatus;
  /** HTTP status a gateway would log: 200, 500, 504, 499, 429 or 503. */
  httpStatus: number;
  /** Only on failures: oom, engine_error, validation_error, timeout, client_disconnected, queue_full, rate_limited. */
  errorType?: string;
  errorMessage?: string;
  promptTokens: number;
  /** Tokens generated; partial for cancelled and timed-out requests, 0 when none. */
  completionTokens: number;
  maxTokens: number;
  queueSeconds: number;
  /** Queue + prefill; absent when the request ended before its first token. */
  ttftSeconds?: number;
  inferenceSeconds: number;
  /** queueSeconds + inferenceSeconds (exactly, in microseconds). */
  e2eSeconds: number;
  /** (e2e − TTFT) / (completion tokens − 1), as the sidecar derives it; absent below 2 tokens. */
  tpotSeconds?: number;
  gpuMemoryMiB: number;
  gpuMemoryBytes: number;
  device: string;
  prompt: string;
  /** Response text; '' for failures and for the rare empty success. */
  output: string;
  finishReason?: 'stop' | 'length';
  jsonMode: boolean;
  /** JSON mode and the output does not parse as JSON. */
  malformedJson: boolean;
  temperature: number;
  functionCalling: boolean;
  /** Whether the request fell inside an error burst. */
  inBurst: boolean;
}

export interface Burst {
  startMs: number;
  endMs: number;
  errorRate: number;
  forced: boolean;
}

/** Whole microseconds of a truth duration or timestamp (exact: they are stored as µs / 1e6). */
export function micros(seconds: number): number {
  return Math.round(seconds * 1e6);
}

type FailureKind = 'oom' | 'engine' | 'validation' | 'timeout' | 'cancelled' | 'queue_full' | 'rate_limited';

// Outside bursts failures are mostly the client's or the clock's doing; bursts are memory pressure.
const BASELINE_FAILURES = new WeightedPicker<FailureKind>([
  ['timeout', 0.2],
  ['cancelled', 0.35],
  ['validation', 0.2],
  ['rate_limited', 0.1],
  ['oom', 0.05],
  ['engine', 0.1],
]);
const BURST_FAILURES = new WeightedPicker<FailureKind>([
  ['oom', 0.5],
  ['timeout', 0.2],
  ['queue_full', 0.15],
  ['engine', 0.1],
  ['cancelled', 0.05],
]);
const MAX_TOKENS = new WeightedPicker<number>([
  [256, 0.2],
  [512, 0.35],
  [1024, 0.3],
  [2048, 0.15],
]);
const TEMPERATURES = [0, 0.2, 0.7, 0.7, 1] as const;
/** --max-model-len the simulated servers run with; validation errors quote it. */
const MAX_MODEL_LEN = 8192;

interface Profile {
  name: string;
  decode: number;
  prefillRate: number;
  code: boolean;
}

export class TrafficModel {
  private readonly rng: Rng;
  private readonly seed: number;
  private readonly models: WeightedPicker<Profile>;
  private readonly capacity: number;
  private rate: number;
  private readonly gpus: number;
  private readonly timeoutSeconds: number;
  private readonly baselineErrorRate: number;
  private readonly burstEveryMs: number;
  private readonly burstSeconds: readonly [number, number];
  private readonly burstErrorRate: readonly [number, number];
  private readonly emptyOutputRate: number;
  private readonly jsonModeRate: number;
  private readonly malformedJsonRate: number;
  private originMs: number | undefined;
  private lastNowMs: number | undefined;
  private forced: Burst | undefined;
  private pendingForceMs: number | undefined;
  // The scheduled burst of the last period looked up: requests arrive in time order, so one entry
  // avoids re-deriving a burst per request.
  private cachedPeriod = Number.NaN;
  private cachedBurst: Burst | undefined;

  constructor(options: TrafficOptions = {}) {
    this.seed = options.seed ?? 1;
    this.rng = new Rng(this.seed);
    const models = options.models ?? DEFAULT_MODELS;
    this.models = new WeightedPicker(models.map((m) => [profileOf(m), m.weight] as const));
    this.capacity = options.capacityPerSecond ?? 40;
    this.rate = options.ratePerSecond ?? 10;
    this.gpus = Math.max(1, Math.floor(options.gpus ?? 2));
    this.timeoutSeconds = options.timeoutSeconds ?? 60;
    this.baselineErrorRate = options.baselineErrorRate ?? 0.005;
    this.burstEveryMs = (options.burstEverySeconds ?? 120) * 1000;
    this.burstSeconds = options.burstSeconds ?? [10, 20];
    this.burstErrorRate = options.burstErrorRate ?? [0.3, 0.6];
    this.emptyOutputRate = options.emptyOutputRate ?? 0.003;
    this.jsonModeRate = options.jsonModeRate ?? 0.15;
    this.malformedJsonRate = options.malformedJsonRate ?? 0.01;
    this.originMs = options.originMs;
  }

  /** Change the represented request rate (and so the load) from now on. */
  setRate(ratePerSecond: number): void {
    this.rate = ratePerSecond;
  }

  /**
   * Start a burst of failures now (the last `next()` time, or `fromMs`), lasting `durationMs`.
   * Before any `next()` call it starts with the first request.
   */
  forceBurst(durationMs: number, fromMs?: number): void {
    const start = fromMs ?? this.lastNowMs;
    if (start === undefined) {
      this.pendingForceMs = durationMs;
      return;
    }
    this.forced = { startMs: start, endMs: start + durationMs, errorRate: 0.45, forced: true };
  }

  /** The burst covering `nowMs`, forced or scheduled, if any. */
  burstAt(nowMs: number): Burst | undefined {
    if (this.forced !== undefined && nowMs >= this.forced.startMs && nowMs < this.forced.endMs) return this.forced;
    if (this.burstEveryMs <= 0 || this.originMs === undefined) return undefined;
    const period = Math.floor((nowMs - this.originMs) / this.burstEveryMs);
    // A burst starts inside its period and may run into the next one.
    for (const k of [period, period - 1]) {
      const b = this.scheduledBurst(k);
      if (b !== undefined && nowMs >= b.startMs && nowMs < b.endMs) return b;
    }
    return undefined;
  }

  inBurst(nowMs: number): boolean {
    return this.burstAt(nowMs) !== undefined;
  }

  /** The next request, finishing at `nowMs`. `load` (0..1) overrides the load derived from the rate. */
  next(nowMs: number, load?: number): SimulatedRequest {
    const rng = this.rng;
    if (this.originMs === undefined) this.originMs = nowMs;
    this.lastNowMs = nowMs;
    if (this.pendingForceMs !== undefined) {
      this.forceBurst(this.pendingForceMs, nowMs);
      this.pendingForceMs = undefined;
    }
    const burst = this.burstAt(nowMs);
    let rho = clamp(load ?? this.rate / this.capacity, 0, 0.97);
    // Bursts come with a load spike: that is what pushes the server into OOM and timeouts.
    if (burst !== undefined) rho = Math.min(0.97, rho + 0.35);

    const profile = this.models.pick(rng);
    const requestId = `req_${rng.id(16)}`;
    const endpoint = rng.chance(0.9) ? '/v1/chat/completions' : '/v1/completions';
    const jsonMode = rng.chance(this.jsonModeRate);
    const functionCalling = rng.chance(0.05);
    const temperature = rng.pick(TEMPERATURES);
    const maxTokens = MAX_TOKENS.pick(rng);
    let promptTokens = Math.round(clamp(rng.lognormal(600, 1.0), 8, 16000));
    const wanted = Math.round(rng.lognormal(180, 0.8));
    const planned = clamp(wanted, 1, maxTokens);
    const gpuIndex = rng.int(this.gpus);
    const gpuMemoryMiB = Math.round(clamp(68000 + 6000 * rho + (promptTokens / 16000) * 3000 + 400 * rng.normal(), 20000, 81000));

    // M/M/1-like wait: with probability ρ the request waits, longer as ρ → 1; else it is scheduled at once.
    const queue = rng.chance(rho) ? rng.exponential((0.04 * rho) / (1 - rho)) : rng.range(20e-6, 90e-6);
    const prefill = 0.012 + (promptTokens / profile.prefillRate) * rng.lognormal(1, 0.15);
    const decode = profile.decode * (1 + 0.4 * rho) * rng.lognormal(1, 0.1);

    const t = new Timeline(micros(queue), Math.max(1, micros(prefill)), Math.max(1, micros(decode)), planned);

    let kind: FailureKind | undefined;
    if (rng.chance(burst !== undefined ? burst.errorRate : this.baselineErrorRate)) {
      kind = (burst !== undefined ? BURST_FAILURES : BASELINE_FAILURES).pick(rng);
    } else if (t.plannedE2e() > micros(this.timeoutSeconds)) {
      kind = 'timeout';
    }

    let errorMessage: string | undefined;
    const timeoutUs = micros(this.timeoutSeconds) + rng.intBetween(0, 40_000);
    switch (kind) {
      case 'oom':
        t.stopAt(t.queueUs + Math.round(t.prefillUs * rng.range(0.3, 1)) + (rng.chance(0.5) ? Math.round(t.decodeUs * rng.range(0, 0.3) * planned) : 0));
        errorMessage = oomMessage(rng, gpuIndex);
        break;
      case 'engine':
        t.stopAt(t.queueUs + Math.round(rng.float() * (t.plannedE2e() - t.queueUs)));
        errorMessage = rng.pick(ENGINE_ERRORS);
        break;
      case 'validation': {
        // Validation runs before the queue: it fails in well under a millisecond.
        promptTokens = MAX_MODEL_LEN - maxTokens + rng.intBetween(1, 3000);
        t.reject(rng.intBetween(150, 900));
        errorMessage = validationMessage(rng, promptTokens, maxTokens);
        break;
      }
      case 'queue_full':
      case 'rate_limited':
        t.reject(rng.intBetween(100, 600));
        errorMessage = kind === 'queue_full' ? `Server overloaded: waiting queue is full (${rng.pick([128, 256, 512])} requests)` : rng.pick(RATE_LIMIT_ERRORS);
        break;
      case 'timeout':
        // A stalled queue or a slow generation; the server gives up at its timeout.
        if (t.plannedE2e() <= timeoutUs) t.queueUs = Math.round(timeoutUs * rng.range(0.4, 1.1));
        t.stopAt(timeoutUs);
        errorMessage = timeoutMessage(rng, requestId, this.timeoutSeconds);
        break;
      case 'cancelled':
        t.stopAt(t.queueUs + Math.round(rng.range(0.05, 0.9) * (t.plannedE2e() - t.queueUs)));
        errorMessage = rng.chance(0.5) ? `Aborted request ${requestId}.` : `Client disconnected: request ${requestId} aborted after ${t.tokens} tokens`;
        break;
      case undefined:
        break;
    }
    const status = kind === undefined ? 'success' : STATUS_OF[kind];

    let output = '';
    let finishReason: SimulatedRequest['finishReason'];
    if (status === 'success') {
      finishReason = wanted >= maxTokens ? 'length' : 'stop';
      if (rng.chance(this.emptyOutputRate)) output = '';
      else if (jsonMode) output = rng.chance(this.malformedJsonRate) ? malformedJsonOutput(rng) : jsonOutput(rng);
      else output = outputText(rng, profile.code, t.tokens);
    }

    const e2eUs = t.queueUs + t.inferenceUs;
    const ttftSeconds = t.ttftUs === undefined ? undefined : t.ttftUs / 1e6;
    const e2eSeconds = e2eUs / 1e6;
    const request: SimulatedRequest = {
      requestId,
      timestamp: Math.round(nowMs * 1000) / 1e6,
      model: profile.name,
      endpoint,
      status,
      httpStatus: kind === undefined ? 200 : HTTP_OF[kind],
      promptTokens,
      completionTokens: t.tokens,
      maxTokens,
      queueSeconds: t.queueUs / 1e6,
      inferenceSeconds: t.inferenceUs / 1e6,
      e2eSeconds,
      gpuMemoryMiB,
      gpuMemoryBytes: gpuMemoryMiB * 1024 * 1024,
      device: `cuda:${gpuIndex}`,
      prompt: promptText(rng, profile.code, jsonMode),
      output,
      jsonMode,
      malformedJson: jsonMode && status === 'success' && !parsesAsJson(output),
      temperature,
      functionCalling,
      inBurst: burst !== undefined,
    };
    if (kind !== undefined) {
      request.errorType = ERROR_TYPE_OF[kind];
      request.errorMessage = errorMessage;
    }
    if (ttftSeconds !== undefined) request.ttftSeconds = ttftSeconds;
    // The same arithmetic the sidecar uses to derive TPOT, so readers can compare exactly.
    if (ttftSeconds !== undefined && t.tokens >= 2) request.tpotSeconds = (e2eSeconds - ttftSeconds) / (t.tokens - 1);
    if (finishReason !== undefined) request.finishReason = finishReason;
    return request;
  }

  private scheduledBurst(k: number): Burst | undefined {
    if (k < 1 || this.originMs === undefined) return undefined;
    if (k === this.cachedPeriod) return this.cachedBurst;
    // Its own Rng per period: the schedule does not depend on how many requests were drawn.
    const r = new Rng(deriveSeed(this.seed, 0xb0057 + k));
    const durationMs = Math.min(r.range(this.burstSeconds[0], this.burstSeconds[1]) * 1000, this.burstEveryMs * 0.5);
    const startMs = this.originMs + k * this.burstEveryMs + r.range(0, 0.25) * this.burstEveryMs;
    const burst = { startMs, endMs: startMs + durationMs, errorRate: r.range(this.burstErrorRate[0], this.burstErrorRate[1]), forced: false };
    this.cachedPeriod = k;
    this.cachedBurst = burst;
    return burst;
  }
}

/** A request's phases in whole microseconds, and how a failure cuts them short. */
class Timeline {
  inferenceUs: number;
  ttftUs: number | undefined;
  tokens: number;

  constructor(
    public queueUs: number,
    readonly prefillUs: number,
    readonly decodeUs: number,
    planned: number,
  ) {
    this.tokens = planned;
    this.inferenceUs = prefillUs + (planned - 1) * decodeUs;
    this.ttftUs = queueUs + prefillUs;
  }

  plannedE2e(): number {
    return this.queueUs + this.prefillUs + (this.tokens - 1) * this.decodeUs;
  }

  /** The request ends at `endUs` after arrival, keeping the tokens produced by then. */
  stopAt(endUs: number): void {
    const planned = this.tokens;
    if (endUs <= this.queueUs) {
      this.queueUs = endUs;
      this.inferenceUs = 0;
      this.ttftUs = undefined;
      this.tokens = 0;
    } else if (endUs < this.queueUs + this.prefillUs) {
      this.inferenceUs = endUs - this.queueUs;
      this.ttftUs = undefined;
      this.tokens = 0;
    } else {
      this.ttftUs = this.queueUs + this.prefillUs;
      this.tokens = Math.min(planned, 1 + Math.floor((endUs - this.ttftUs) / this.decodeUs));
      this.inferenceUs = endUs - this.queueUs;
    }
  }

  /** Refused before queueing: `us` of validation, nothing generated. */
  reject(us: number): void {
    this.queueUs = us;
    this.inferenceUs = 0;
    this.ttftUs = undefined;
    this.tokens = 0;
  }
}

const STATUS_OF: Record<FailureKind, SimulatedStatus> = {
  oom: 'error',
  engine: 'error',
  validation: 'error',
  timeout: 'timeout',
  cancelled: 'cancelled',
  queue_full: 'rejected',
  rate_limited: 'rejected',
};
const HTTP_OF: Record<FailureKind, number> = {
  oom: 500,
  engine: 500,
  validation: 500,
  timeout: 504,
  cancelled: 499,
  queue_full: 503,
  rate_limited: 429,
};
const ERROR_TYPE_OF: Record<FailureKind, string> = {
  oom: 'oom',
  engine: 'engine_error',
  validation: 'validation_error',
  timeout: 'timeout',
  cancelled: 'client_disconnected',
  queue_full: 'queue_full',
  rate_limited: 'rate_limited',
};

const ENGINE_ERRORS = [
  'AsyncEngineDeadError: Background loop has errored already.',
  'RuntimeError: CUDA error: an illegal memory access was encountered',
  'Request failed during generation: Server error: transport error',
  'RuntimeError: NCCL error in: ../torch/csrc/distributed/c10d/ProcessGroupNCCL.cpp:1970, unhandled cuda error',
] as const;
const RATE_LIMIT_ERRORS = ['Model is overloaded', 'Rate limit exceeded: 120 requests per minute', 'Too many concurrent requests (limit 64)'] as const;

function oomMessage(rng: Rng, gpu: number): string {
  const allocate = rng.range(0.25, 4).toFixed(2);
  const allocated = rng.range(70, 77.5);
  const freeMiB = rng.range(20, 900).toFixed(2);
  if (rng.chance(0.5)) {
    return `CUDA out of memory. Tried to allocate ${allocate} GiB (GPU ${gpu}; 79.15 GiB total capacity; ${allocated.toFixed(2)} GiB already allocated; ${freeMiB} MiB free; ${(allocated + rng.range(0.5, 2)).toFixed(2)} GiB reserved in total by PyTorch)`;
  }
  return `CUDA out of memory. Tried to allocate ${allocate} GiB. GPU ${gpu} has a total capacity of 79.15 GiB of which ${freeMiB} MiB is free. Of the allocated memory ${allocated.toFixed(2)} GiB is allocated by PyTorch, and ${rng.range(0.5, 3).toFixed(2)} GiB is reserved by PyTorch but unallocated.`;
}

function validationMessage(rng: Rng, promptTokens: number, maxTokens: number): string {
  if (rng.chance(0.5)) {
    return `Input validation error: \`inputs\` tokens + \`max_new_tokens\` must be <= ${MAX_MODEL_LEN}. Given: ${promptTokens} \`inputs\` tokens and ${maxTokens} \`max_new_tokens\``;
  }
  return `This model's maximum context length is ${MAX_MODEL_LEN} tokens. However, you requested ${promptTokens + maxTokens} tokens (${promptTokens} in the messages, ${maxTokens} in the completion). Please reduce the length of the messages or completion.`;
}

function timeoutMessage(rng: Rng, requestId: string, timeoutSeconds: number): string {
  return rng.chance(0.5)
    ? `Request ${requestId} timed out after ${timeoutSeconds.toFixed(1)}s`
    : `Timed out waiting for generation (request_id=${requestId}, waited ${Math.round(timeoutSeconds * 1000)} ms)`;
}

function parsesAsJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

/** Speed from the parameter count in the name ("…-14B-…"): bigger models decode and prefill slower. */
function profileOf(m: ModelProfile): Profile {
  const size = Number(/(\d+(?:\.\d+)?)B(?![a-z])/i.exec(m.name)?.[1] ?? 7);
  return {
    name: m.name,
    decode: m.decodeSecondsPerToken ?? clamp(16 + size, 20, 35) / 1000,
    prefillRate: m.prefillTokensPerSecond ?? clamp((8000 * 7) / size, 2000, 12000),
    code: /coder/i.test(m.name),
  };
}
