import { SPAN_RESULTS, type SpanStats } from '../events/spans/span-stats.js';
import { OTLP_REQUEST_RESULTS, type OtlpReceiver } from '../sources/otlp/otlp-receiver.js';
import type { Collector } from './registry.js';

/** OpenTelemetry input health: what happened to every span, and to every export request. */
export function otlpCollectors(spans: SpanStats, receiver: OtlpReceiver | undefined): Collector[] {
  const collectors: Collector[] = [
    {
      name: 'llmtail_otlp_spans_total',
      help: 'OpenTelemetry spans received, by result: request (one request event), not_request (valid, but not matched by span_mapping), rejected (malformed, reported back in partial_success).',
      type: 'counter',
      collect: () => SPAN_RESULTS.map((result, i) => ({ value: spans.results[i] as number, labels: { result } })),
    },
  ];
  if (receiver !== undefined) {
    collectors.push({
      name: 'llmtail_otlp_requests_total',
      help: 'POST /v1/traces export requests, by result: ok, partial (some spans rejected), bad_request (400), too_large (413), unsupported_media_type (415), rate_limited (429).',
      type: 'counter',
      collect: () => OTLP_REQUEST_RESULTS.map((result, i) => ({ value: receiver.results[i] as number, labels: { result } })),
    });
  }
  return collectors;
}
