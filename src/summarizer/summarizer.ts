import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Incident, SummarizerState, SummaryStatus } from '../consumers/anomaly/incidents.js';
import { loadedSdk, OpenAICompletionClient, type CompletionClient } from './client.js';
import type { SummarizerConfig } from './config.js';
import type { CallStatus, SummarizerMetrics } from './metrics.js';
import { buildPrompt, factsOf, PROMPT_VERSION, type Prompt } from './prompt.js';
import { TokenBucket } from './rate-limit.js';
import { isHealthy, isSameServer } from './same-server.js';
import { parseSummary, type Summary } from './schema.js';

/**
 * Asks the model to explain bursts, with cost control and failing open:
 * - one call in flight: bursts queue (at most 16; beyond that the oldest is skipped);
 * - a cache keyed by both model names, the prompt version and the set of templates shown —
 *   a burst like an earlier one costs nothing;
 * - a token bucket (summarizer.rate_per_minute, 3 back to back);
 * - after 3 failed calls in a row, a cooldown (summarizer.cooldown_ms);
 * - no call while the endpoint is the failing server itself and its /health is not OK;
 * - one retry when an answer fails validation, then the summary is recorded as invalid, and the
 *   answer is dropped (it never reaches /api/incidents, alerts or the log).
 * Whatever happens — endpoint down, slow, garbage, 429 — is counted, logged once and settles the
 * incident's summary state; the burst and its template summary go out regardless. Nothing here
 * is awaited on the per-line path: `request` only queues.
 */

const MAX_QUEUE = 16;
const CACHE_SIZE = 64;
const FAILURES_BEFORE_COOLDOWN = 3;
const BUCKET_CAPACITY = 3;

export interface SummarizerOptions {
  config: SummarizerConfig;
  log: Logger;
  metrics: SummarizerMetrics;
  /** The model client; by default the OpenAI SDK against config.base_url. */
  client?: CompletionClient;
  clock?: () => number;
  /** Health of the endpoint when it is the failing server; by default GET /health. */
  healthy?: (baseUrl: string, signal: AbortSignal) => Promise<boolean>;
}

interface CacheEntry {
  summary: Summary;
  discarded: number;
}

interface Settlement {
  status: SummaryStatus;
  reason?: string;
  latencySeconds?: number;
  promptTokens?: number;
  completionTokens?: number;
  discarded?: number;
  summary?: Summary;
}

export class Summarizer {
  private readonly client: CompletionClient;
  private readonly clock: () => number;
  private readonly healthy: (baseUrl: string, signal: AbortSignal) => Promise<boolean>;
  private readonly queue: Incident[] = [];
  private running: Promise<void> | undefined;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly bucket: TokenBucket;
  private failures = 0;
  private cooldownUntil = 0;
  private readonly abort = new AbortController();
  private stopped = false;

  constructor(private readonly o: SummarizerOptions) {
    const c = o.config;
    this.client =
      o.client ?? new OpenAICompletionClient({ baseURL: c.base_url, apiKey: c.api_key, model: c.model, timeoutMs: c.timeout_ms, maxRetries: c.max_retries });
    this.clock = o.clock ?? Date.now;
    this.healthy = o.healthy ?? ((url, signal) => isHealthy(url, 1000, signal));
    this.bucket = new TokenBucket(c.rate_per_minute, Math.max(1, Math.min(BUCKET_CAPACITY, Math.floor(c.rate_per_minute))), this.clock());
  }

  /** Queue a summary of this incident; returns at once and never throws. */
  request(incident: Incident): void {
    if (this.stopped) {
      this.settle(incident, { status: 'skipped', reason: 'shutting down' });
      return;
    }
    if (this.queue.length >= MAX_QUEUE) this.settle(this.queue.shift() as Incident, { status: 'skipped', reason: 'too many bursts waiting for a summary' });
    this.queue.push(incident);
    this.running ??= this.processQueue();
  }

  /** Resolves once nothing is queued or in flight. */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  /** Abort the call in flight and skip the queue. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    for (const i of this.queue.splice(0)) this.settle(i, { status: 'skipped', reason: 'shutting down' });
    await this.idle();
  }

  private async processQueue(): Promise<void> {
    // Off the caller's stack: the burst was detected on the per-line path.
    await new Promise((r) => setImmediate(r));
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
        try {
          await this.summarize(next);
        } catch (err) {
          this.settle(next, { status: 'error', reason: `internal error: ${err instanceof Error ? err.message : String(err)}` });
        }
      }
    } finally {
      this.running = undefined;
    }
  }

  private async summarize(incident: Incident): Promise<void> {
    const c = this.o.config;
    const prompt = buildPrompt(factsOf(incident), c.prompt_token_budget);
    const key = cacheKey(c.model, incident.model, prompt);
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.o.metrics.cacheHits++;
      this.settle(incident, { status: 'cached', summary: cached.summary, discarded: cached.discarded });
      return;
    }
    if (this.stopped) return this.settle(incident, { status: 'skipped', reason: 'shutting down' });
    if (this.clock() < this.cooldownUntil) return this.skip(incident, 'skipped', 'cooling down after repeated failures');
    if (c.skip_when_same_server && isSameServer(c.base_url, c.model, c.monitored_url, incident.model) && !(await this.healthy(c.base_url, this.abort.signal))) {
      return this.skip(incident, 'skipped', 'the model endpoint is the failing server and is unhealthy');
    }
    if (!this.bucket.take(this.clock())) return this.skip(incident, 'rate_limited', 'summarizer.rate_per_minute reached');

    let promptTokens = 0;
    let completionTokens = 0;
    let latency = 0;
    let problem = '';
    // One retry when the answer does not validate; the token bucket paid for both.
    for (let attempt = 0; attempt < 2; attempt++) {
      const t0 = performance.now();
      let result;
      try {
        result = await this.client.complete({ system: prompt.system, user: prompt.user, maxTokens: c.max_completion_tokens, signal: this.abort.signal });
      } catch (err) {
        const seconds = (performance.now() - t0) / 1000;
        const { status, reason } = classify(err);
        this.o.metrics.call(status);
        this.o.metrics.latency.observe(seconds);
        if (!this.stopped) this.failed();
        return this.settle(incident, { status, reason, latencySeconds: latency + seconds, promptTokens, completionTokens });
      }
      const seconds = (performance.now() - t0) / 1000;
      latency += seconds;
      this.o.metrics.latency.observe(seconds);
      promptTokens += result.promptTokens ?? 0;
      completionTokens += result.completionTokens ?? 0;
      this.o.metrics.tokens[0]! += result.promptTokens ?? 0;
      this.o.metrics.tokens[1]! += result.completionTokens ?? 0;
      const parsed = parseSummary(result.content, prompt.templateIds);
      if (parsed.ok) {
        this.o.metrics.call('ok');
        this.failures = 0;
        this.remember(key, { summary: parsed.summary, discarded: parsed.discarded });
        return this.settle(incident, { status: 'ok', summary: parsed.summary, discarded: parsed.discarded, latencySeconds: latency, promptTokens, completionTokens });
      }
      this.o.metrics.call('invalid');
      problem = parsed.problem;
      if (this.stopped) break;
    }
    this.failed();
    this.settle(incident, { status: 'invalid', reason: problem, latencySeconds: latency, promptTokens, completionTokens });
  }

  /** No call made: counted under its status, and settled. */
  private skip(incident: Incident, status: CallStatus & SummaryStatus, reason: string): void {
    this.o.metrics.call(status);
    this.settle(incident, { status, reason });
  }

  private failed(): void {
    this.failures++;
    if (this.failures >= FAILURES_BEFORE_COOLDOWN && this.o.config.cooldown_ms > 0) {
      this.cooldownUntil = this.clock() + this.o.config.cooldown_ms;
      this.failures = 0;
      this.o.log.warn({ cooldown_ms: this.o.config.cooldown_ms }, 'summarizer failed repeatedly; no model calls during the cooldown');
    }
  }

  private remember(key: string, entry: CacheEntry): void {
    this.cache.delete(key);
    this.cache.set(key, entry);
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
  }

  /** Record the outcome on the incident and log it: one line per summary. */
  private settle(incident: Incident, s: Settlement): void {
    const state: SummarizerState = { status: s.status, model: this.o.config.model };
    if (s.reason !== undefined) state.reason = s.reason;
    if (s.latencySeconds !== undefined) state.latencySeconds = Math.round(s.latencySeconds * 1000) / 1000;
    if (s.promptTokens !== undefined && (s.promptTokens > 0 || (s.completionTokens ?? 0) > 0)) {
      state.promptTokens = s.promptTokens;
      state.completionTokens = s.completionTokens ?? 0;
    }
    if (s.discarded !== undefined) state.discardedAnomalies = s.discarded;
    incident.settleSummary(state, s.summary ?? null);
    const fields = { incident: incident.id, model: incident.model, summary_status: s.status, latency_seconds: state.latencySeconds, prompt_tokens: state.promptTokens, completion_tokens: state.completionTokens };
    if (s.summary !== undefined) {
      this.o.log.info(
        { ...fields, hypothesis: s.summary.root_cause.hypothesis, confidence: s.summary.root_cause.confidence, anomalies: s.summary.anomalies.length, discarded_anomalies: s.discarded },
        'burst summary',
      );
    } else {
      this.o.log.warn({ ...fields, reason: s.reason }, 'burst summary unavailable (the template summary stands)');
    }
  }
}

function cacheKey(summarizerModel: string, burstModel: string, prompt: Prompt): string {
  return createHash('sha256').update(JSON.stringify([PROMPT_VERSION, summarizerModel, burstModel, prompt.templateSet])).digest('hex');
}

/** A failed call's status and a short reason (never the response body). */
function classify(err: unknown): { status: CallStatus; reason: string } {
  const OpenAI = loadedSdk();
  if (OpenAI === undefined) return { status: 'error', reason: err instanceof Error ? err.message.slice(0, 200) : 'unknown error' };
  if (err instanceof OpenAI.APIUserAbortError) return { status: 'error', reason: 'aborted at shutdown' };
  if (err instanceof OpenAI.APIConnectionTimeoutError) return { status: 'timeout', reason: 'no answer within summarizer.timeout_ms' };
  if (err instanceof OpenAI.RateLimitError) return { status: 'rate_limited', reason: 'HTTP 429 from the endpoint' };
  if (err instanceof OpenAI.APIConnectionError) return { status: 'error', reason: 'cannot connect to the endpoint' };
  if (err instanceof OpenAI.APIError) return { status: 'error', reason: err.status === undefined ? 'API error' : `HTTP ${err.status} from the endpoint` };
  if (err instanceof Error && err.name === 'AbortError') return { status: 'error', reason: 'aborted at shutdown' };
  return { status: 'error', reason: err instanceof Error ? err.message.slice(0, 200) : 'unknown error' };
}
