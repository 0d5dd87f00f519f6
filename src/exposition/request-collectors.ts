import { REQUEST_HISTOGRAMS } from '../consumers/metrics/definitions.js';
import type { Histogram } from '../consumers/metrics/histogram.js';
import { cutLabelValue } from '../consumers/metrics/label-limiter.js';
import type { RequestMetrics } from '../consumers/metrics/request-metrics.js';
import { single, type Collector, type Sample } from './registry.js';

/** OpenMetrics allows at most 128 characters of exemplar labels (an id is cut without splitting a pair). */
const EXEMPLAR_ID_MAX = 100;

/** Collectors for the request metrics: counters and histograms per allowlisted label set. */
export function requestCollectors(metrics: RequestMetrics): Collector[] {
  const collectors: Collector[] = [
    {
      name: 'llmtail_requests_total',
      help: 'Inference requests logged, by outcome.',
      type: 'counter',
      collect: () => metrics.series.map((s) => ({ value: s.requests, labels: s.labels })),
    },
    {
      name: 'llmtail_request_errors_total',
      help: 'Requests that did not succeed, by error type (timeouts, rejections and cancellations included).',
      type: 'counter',
      collect: () => metrics.errors.map((e) => ({ value: e.count, labels: e.labels })),
    },
  ];

  REQUEST_HISTOGRAMS.forEach((def, index) => {
    const leLabels = [...def.buckets.map((b) => ({ le: String(b) })), { le: '+Inf' }];
    const bucketLabels = (h: Histogram) =>
      h.bounds.length === def.buckets.length && h.bounds.every((b, i) => b === def.buckets[i]) ? leLabels : [...Array.from(h.bounds, (b) => ({ le: String(b) })), { le: '+Inf' }];
    collectors.push({
      name: def.name,
      help: def.help,
      type: 'histogram',
      collect: () => {
        const out: Sample[] = [];
        for (const s of metrics.series) {
          const h = s.histograms[index];
          if (h !== undefined) pushHistogram(out, def.name, h, s.labels, bucketLabels(h));
        }
        return out;
      },
    });
    if ('totalName' in def) {
      collectors.push({
        name: def.totalName,
        help: def.totalHelp,
        type: 'counter',
        collect: () => {
          const out: Sample[] = [];
          for (const s of metrics.series) {
            const h = s.histograms[index];
            if (h !== undefined) out.push({ value: h.sum, labels: s.labels });
          }
          return out;
        },
      });
    }
  });

  collectors.push(
    {
      name: 'llmtail_log_gpu_memory_used_bytes',
      help: 'GPU memory in use as last reported in the request log (not measured by llmtail), by device.',
      type: 'gauge',
      collect: () => [...metrics.gpuMemory.values()].map((d) => ({ value: d.bytes, labels: { device: d.device } })),
    },
    {
      name: 'llmtail_last_event_timestamp_seconds',
      help: 'Newest request time seen: the log line\'s own timestamp, or the time it was read when it has none.',
      type: 'gauge',
      collect: () => single(metrics.lastEventTimestamp),
    },
    {
      name: 'llmtail_label_values_folded_total',
      help: 'Events whose label value was replaced by __other__ because the label reached its cap of distinct values.',
      type: 'counter',
      collect: () => metrics.limiter.names.map((label, i) => ({ value: metrics.limiter.folded[i] as number, labels: { label } })),
    },
    {
      name: 'llmtail_label_values',
      help: 'Distinct values admitted per label (at most labels.max_values).',
      type: 'gauge',
      collect: () => metrics.limiter.names.map((label, i) => ({ value: metrics.limiter.distinct(i), labels: { label } })),
    },
  );
  return collectors;
}

function pushHistogram(out: Sample[], name: string, h: Histogram, labels: Readonly<Record<string, string>>, le: readonly { le: string }[]): void {
  let cumulative = 0;
  const bucketName = `${name}_bucket`;
  for (let i = 0; i < h.counts.length; i++) {
    cumulative += h.counts[i] as number;
    const sample: Sample = { value: cumulative, labels: le[i] as { le: string }, sharedLabels: labels, metricName: bucketName };
    const ex = h.exemplar(i);
    if (ex !== undefined) sample.exemplar = { labelSet: { request_id: cutLabelValue(ex.id, EXEMPLAR_ID_MAX) }, value: ex.value, timestamp: ex.timestamp };
    out.push(sample);
  }
  out.push({ value: h.sum, labels, metricName: `${name}_sum` });
  out.push({ value: h.count, labels, metricName: `${name}_count` });
}
