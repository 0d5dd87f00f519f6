import { z } from 'zod';
import { Histogram, toBounds } from '../consumers/metrics/histogram.js';
import { single, type Collector, type Sample } from '../exposition/registry.js';

/**
 * The summarizer's counters. They exist (at 0) whether or not an endpoint is configured, so
 * dashboards and alerts can rely on the series.
 */

/**
 * Outcome of each model call: ok; invalid (the answer failed validation); error (connection, HTTP
 * error, shutdown); timeout; rate_limited (the endpoint's 429, or our own token bucket — then no
 * call was made); skipped (no call: cooldown after failures, the failing server itself unhealthy,
 * queue full, shutdown).
 */
export const CALL_STATUSES = ['ok', 'invalid', 'error', 'timeout', 'rate_limited', 'skipped'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];
export const TOKEN_TYPES = ['prompt', 'completion'] as const;

export const LATENCY_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 60, 120];

export const summarizerPart = z.object({
  calls: z.array(z.number()),
  tokens: z.array(z.number()),
  cacheHits: z.number(),
  latency: z.object({ counts: z.array(z.number()), sum: z.number(), count: z.number() }),
});
export type SummarizerCheckpoint = z.output<typeof summarizerPart>;

export class SummarizerMetrics {
  readonly calls = new Float64Array(CALL_STATUSES.length);
  readonly tokens = new Float64Array(TOKEN_TYPES.length);
  cacheHits = 0;
  readonly latency = new Histogram(toBounds(LATENCY_BUCKETS), false);

  call(status: CallStatus): void {
    this.calls[CALL_STATUSES.indexOf(status)]!++;
  }

  snapshot(): SummarizerCheckpoint {
    return { calls: [...this.calls], tokens: [...this.tokens], cacheHits: this.cacheHits, latency: this.latency.snapshot() };
  }

  restore(s: SummarizerCheckpoint): void {
    if (s.calls.length === this.calls.length) this.calls.set(s.calls);
    if (s.tokens.length === this.tokens.length) this.tokens.set(s.tokens);
    this.cacheHits = s.cacheHits;
    if (s.latency.counts.length === this.latency.counts.length) this.latency.restore(s.latency);
  }

  collectors(): Collector[] {
    const le = [...LATENCY_BUCKETS.map((b) => ({ le: String(b) })), { le: '+Inf' }];
    return [
      {
        name: 'llmtail_summarizer_calls_total',
        help: 'Burst summaries asked of the model endpoint, by outcome (ok, invalid, error, timeout, rate_limited, skipped). Cached answers are in llmtail_summarizer_cache_hits_total.',
        type: 'counter',
        collect: () => CALL_STATUSES.map((status, i) => ({ value: this.calls[i] as number, labels: { status } })),
      },
      {
        name: 'llmtail_summarizer_latency_seconds',
        help: 'Duration of model calls for burst summaries (retries included).',
        type: 'histogram',
        collect: () => {
          const out: Sample[] = [];
          let cumulative = 0;
          const h = this.latency;
          for (let i = 0; i < h.counts.length; i++) {
            cumulative += h.counts[i] as number;
            out.push({ value: cumulative, labels: le[i] as { le: string }, metricName: 'llmtail_summarizer_latency_seconds_bucket' });
          }
          out.push({ value: h.sum, labels: {}, metricName: 'llmtail_summarizer_latency_seconds_sum' });
          out.push({ value: h.count, labels: {}, metricName: 'llmtail_summarizer_latency_seconds_count' });
          return out;
        },
      },
      {
        name: 'llmtail_summarizer_tokens_total',
        help: 'Tokens used by burst summaries, as the endpoint reported them, by type (prompt, completion).',
        type: 'counter',
        collect: () => TOKEN_TYPES.map((type, i) => ({ value: this.tokens[i] as number, labels: { type } })),
      },
      {
        name: 'llmtail_summarizer_cache_hits_total',
        help: 'Burst summaries answered from the cache (same models, prompt version and template set): no call made.',
        type: 'counter',
        collect: () => single(this.cacheHits),
      },
    ];
  }
}
