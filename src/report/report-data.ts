import { templateId, type BurstReason, type Severity } from '../consumers/anomaly/incidents.js';
import { QUALITY_CHECKS, type QualityCheck } from '../consumers/anomaly/quality-checks.js';
import { REQUEST_STATUSES, type RequestStatus } from '../events/event.js';
import { INVALID_REASONS, LINE_RESULTS, LINE_WARNINGS, type InvalidReason, type LineStats, type LineWarning } from '../pipeline/line-stats.js';
import type { ModelAggregate, ReportAggregate } from './aggregate.js';
import { Distribution, type DistributionSummary, type DistributionView } from './distribution.js';
import { histogramBins, type HistogramBin } from './histogram-bins.js';
import { TIMELINE_RELATIVE_ERROR } from './timeline.js';

/**
 * The report as data: what `--format json` prints verbatim and what every other format renders.
 * snake_case, base units (seconds, tokens, bytes, Unix seconds), null where a value cannot be
 * computed (no data, zero span). Documented field by field in docs/report.md; bump
 * REPORT_SCHEMA_VERSION on any change that is not a pure addition.
 */
export const REPORT_SCHEMA_VERSION = 1;

/** Error templates listed in the report. */
export const TOP_TEMPLATES = 10;
/** Templates listed per incident. */
export const INCIDENT_TEMPLATES = 5;

export interface ReportInput {
  path: string;
  /** Bytes in the file as stored (compressed for .gz); null for stdin, a pipe or a FIFO. */
  bytes: number | null;
  gzip: boolean;
  /** Null when read to its end; else why not (a truncated or corrupt gzip stream: only the lines before it are in the report). */
  warning: string | null;
}

export interface ErrorTypeRow {
  status: RequestStatus;
  error_type: string;
  count: number;
}

export interface QualityReport {
  /** Responses that carried text, so the checks ran on them. */
  responses_checked: number;
  issues: Record<QualityCheck, number>;
}

export interface ScopeReport {
  requests: number;
  by_status: Record<RequestStatus, number>;
  success_rate: number | null;
  e2e_latency_seconds: DistributionSummary;
  time_to_first_token_seconds: DistributionSummary;
  time_per_output_token_seconds: DistributionSummary;
  decode_tokens_per_second_median: number | null;
  prompt_tokens: DistributionSummary;
  completion_tokens: DistributionSummary;
  requests_per_second: number | null;
  input_tokens_per_second: number | null;
  output_tokens_per_second: number | null;
  errors_by_type: ErrorTypeRow[];
  quality: QualityReport | null;
}

export interface ModelReport extends ScopeReport {
  model: string;
}

export interface TimelineBucketReport {
  start_unix_seconds: number;
  /** The bucket's part of the span (first to last event), at least half its width: what rates divide by. */
  seconds_covered: number;
  requests: number;
  errors: number;
  requests_per_second: number;
  output_tokens_per_second: number;
  input_tokens_per_second: number;
  e2e_latency_seconds: { p50: number; p95: number; p99: number } | null;
}

/** One error burst, found on the log's own clock by the sidecar's burst detector. */
export interface IncidentReport {
  id: string;
  model: string;
  reason: BurstReason;
  severity: Severity;
  /** RFC 3339: the line that started the burst, and when it was judged over (quiet_seconds after the window fell below the threshold). */
  started_at: string;
  ended_at: string;
  started_unix_seconds: number;
  ended_unix_seconds: number;
  duration_seconds: number;
  /** ERROR/WARN lines in the incident, the window that led up to it included. */
  lines: number;
  peak_window_lines: number;
  threshold_lines: number;
  baseline_lines_per_minute: number;
  error_types: Record<string, number>;
  top_templates: { id: string; template: string; count: number }[];
}

export interface Report {
  schema_version: number;
  generator: string;
  inputs: ReportInput[];
  percentiles: {
    method: 'nearest_rank';
    exact: boolean;
    /** Bound on the relative error of every percentile when not exact; null when exact. */
    relative_error: number | null;
    exact_value_limit: number;
    timeline_relative_error: number;
  };
  time: {
    first_event: string | null;
    last_event: string | null;
    first_event_unix_seconds: number | null;
    last_event_unix_seconds: number | null;
    span_seconds: number | null;
    requests_without_timestamp: number;
  };
  overall: ScopeReport;
  models: ModelReport[];
  /** Requests whose model name was past the cap of distinct names and counted as __other__. */
  model_names_folded: number;
  error_templates: {
    enabled: boolean;
    error_lines: number;
    distinct_templates: number;
    templates_evicted: number;
    top: { template: string; count: number; share_of_error_lines: number }[];
  };
  /** Error bursts, oldest first; empty when anomaly.enabled is false or none was found. */
  incidents: IncidentReport[];
  incident_detection: {
    enabled: boolean;
    /** Incidents beyond the report's cap (the oldest), not listed. */
    not_listed: number;
  };
  lines: {
    total: number;
    ok: number;
    invalid: number;
    unmapped: number;
    empty: number;
    invalid_by_reason: Record<InvalidReason, number>;
    warnings: Record<LineWarning, number>;
    field_problems: { field: string; problem: string; count: number }[];
    bytes_read: number;
  };
  timeline: { bucket_seconds: number; buckets: TimelineBucketReport[] };
  histograms: {
    e2e_latency_seconds: HistogramBin[];
    prompt_tokens: HistogramBin[];
    completion_tokens: HistogramBin[];
  };
}

export interface BuildReportOptions {
  generator: string;
  inputs: ReportInput[];
  exactValueLimit: number;
}

/** Turn what the aggregate and the line stats counted into the report. */
export function buildReport(agg: ReportAggregate, stats: LineStats, options: BuildReportOptions): Report {
  const haveTime = agg.firstTimestamp <= agg.lastTimestamp;
  const span = haveTime ? agg.lastTimestamp - agg.firstTimestamp : null;
  const models = [...agg.models.values()].sort((a, b) => b.requests - a.requests || (a.model < b.model ? -1 : 1));
  const quality = agg.qualityEnabled;
  const exact = !agg.budget.exceeded;
  const all = combineModels(models);
  return {
    schema_version: REPORT_SCHEMA_VERSION,
    generator: options.generator,
    inputs: options.inputs,
    percentiles: {
      method: 'nearest_rank',
      exact,
      relative_error: exact ? null : agg.budget.relativeError,
      exact_value_limit: options.exactValueLimit,
      timeline_relative_error: TIMELINE_RELATIVE_ERROR,
    },
    time: {
      first_event: haveTime ? isoTime(agg.firstTimestamp) : null,
      last_event: haveTime ? isoTime(agg.lastTimestamp) : null,
      first_event_unix_seconds: haveTime ? agg.firstTimestamp : null,
      last_event_unix_seconds: haveTime ? agg.lastTimestamp : null,
      span_seconds: span,
      requests_without_timestamp: agg.withoutTimestamp,
    },
    overall: scopeReport(all, span, quality),
    models: models.map((m) => ({ model: m.model, ...scopeReport(m, span, quality) })),
    model_names_folded: agg.modelsFolded,
    error_templates: templates(agg),
    incidents: incidents(agg),
    incident_detection: { enabled: agg.bursts !== undefined, not_listed: agg.bursts?.incidents.dropped ?? 0 },
    lines: lineReport(stats),
    timeline: timeline(agg),
    histograms: { e2e_latency_seconds: histogramBins(all.e2e), prompt_tokens: histogramBins(all.promptTokens), completion_tokens: histogramBins(all.completionTokens) },
  };
}

/** The metrics of one scope, a model or all of them together. */
interface Scope {
  requests: number;
  statuses: Float64Array;
  e2e: DistributionView;
  ttft: DistributionView;
  tpot: DistributionView;
  promptTokens: DistributionView;
  completionTokens: DistributionView;
  qualityChecked: number;
  quality: Float64Array;
  errors: Map<string, { status: RequestStatus; errorType: string; count: number }>;
}

function combineModels(models: readonly ModelAggregate[]): Scope {
  const statuses = new Float64Array(REQUEST_STATUSES.length);
  const quality = new Float64Array(QUALITY_CHECKS.length);
  const errors = new Map<string, { status: RequestStatus; errorType: string; count: number }>();
  let requests = 0;
  let qualityChecked = 0;
  for (const m of models) {
    requests += m.requests;
    qualityChecked += m.qualityChecked;
    m.statuses.forEach((n, i) => (statuses[i]! += n));
    m.quality.forEach((n, i) => (quality[i]! += n));
    for (const [key, e] of m.errors) {
      const into = errors.get(key);
      if (into === undefined) errors.set(key, { ...e });
      else into.count += e.count;
    }
  }
  // No value is copied: one model's distributions are the overall ones, several are read in place.
  const all = (pick: (m: ModelAggregate) => Distribution) => Distribution.combine(models.map(pick));
  return {
    requests,
    statuses,
    e2e: all((m) => m.e2e),
    ttft: all((m) => m.ttft),
    tpot: all((m) => m.tpot),
    promptTokens: all((m) => m.promptTokens),
    completionTokens: all((m) => m.completionTokens),
    qualityChecked,
    quality,
    errors,
  };
}

function scopeReport(s: Scope, span: number | null, withQuality: boolean): ScopeReport {
  const byStatus = Object.fromEntries(REQUEST_STATUSES.map((st, i) => [st, s.statuses[i] as number])) as Record<RequestStatus, number>;
  const known = s.requests - byStatus.unknown;
  const tpot = s.tpot.summary();
  const perSecond = (n: number) => (span !== null && span > 0 ? n / span : null);
  return {
    requests: s.requests,
    by_status: byStatus,
    success_rate: known > 0 ? byStatus.success / known : null,
    e2e_latency_seconds: s.e2e.summary(),
    time_to_first_token_seconds: s.ttft.summary(),
    time_per_output_token_seconds: tpot,
    decode_tokens_per_second_median: tpot.p50 !== null && tpot.p50 > 0 ? 1 / tpot.p50 : null,
    prompt_tokens: s.promptTokens.summary(),
    completion_tokens: s.completionTokens.summary(),
    requests_per_second: perSecond(s.requests),
    // No token counts in the log is not zero tokens per second.
    input_tokens_per_second: s.promptTokens.count > 0 ? perSecond(s.promptTokens.sum) : null,
    output_tokens_per_second: s.completionTokens.count > 0 ? perSecond(s.completionTokens.sum) : null,
    errors_by_type: [...s.errors.values()]
      .map((e) => ({ status: e.status, error_type: e.errorType, count: e.count }))
      .sort((a, b) => b.count - a.count || compare(a.status, b.status) || compare(a.error_type, b.error_type)),
    quality: withQuality
      ? { responses_checked: s.qualityChecked, issues: Object.fromEntries(QUALITY_CHECKS.map((c, i) => [c, s.quality[i] as number])) as Record<QualityCheck, number> }
      : null,
  };
}

function incidents(agg: ReportAggregate): IncidentReport[] {
  if (agg.bursts === undefined) return [];
  return agg.bursts.incidents
    .list()
    .reverse()
    .map((i) => {
      const end = i.endedAt ?? i.lastLineAt;
      return {
        id: i.id,
        model: i.model,
        reason: i.reason,
        severity: i.severity,
        started_at: new Date(i.startedAt).toISOString(),
        ended_at: new Date(end).toISOString(),
        started_unix_seconds: i.startedAt / 1000,
        ended_unix_seconds: end / 1000,
        duration_seconds: (end - i.startedAt) / 1000,
        lines: i.tally.lines,
        peak_window_lines: i.peakWindowLines,
        threshold_lines: i.thresholdLines,
        baseline_lines_per_minute: Math.round(i.baselinePerMinute * 100) / 100,
        error_types: Object.fromEntries([...i.tally.errorTypes].sort((a, b) => b[1] - a[1])),
        top_templates: i.tally
          .top()
          .slice(0, INCIDENT_TEMPLATES)
          .map((t) => ({ id: templateId(t.cluster.id), template: t.cluster.template, count: t.count })),
      };
    });
}

function templates(agg: ReportAggregate): Report['error_templates'] {
  const drain = agg.drain;
  if (drain === undefined) return { enabled: false, error_lines: 0, distinct_templates: 0, templates_evicted: 0, top: [] };
  const clusters = [...drain.clusters()];
  const errorLines = clusters.reduce((n, c) => n + c.count, 0);
  return {
    enabled: true,
    error_lines: errorLines,
    distinct_templates: clusters.length,
    templates_evicted: drain.evicted,
    top: clusters
      .sort((a, b) => b.count - a.count || a.id - b.id)
      .slice(0, TOP_TEMPLATES)
      .map((c) => ({ template: c.template, count: c.count, share_of_error_lines: errorLines > 0 ? c.count / errorLines : 0 })),
  };
}

function lineReport(stats: LineStats): Report['lines'] {
  const result = (r: (typeof LINE_RESULTS)[number]) => stats.results[LINE_RESULTS.indexOf(r)] as number;
  return {
    total: stats.total(),
    ok: result('ok'),
    invalid: result('invalid'),
    unmapped: result('unmapped'),
    empty: result('empty'),
    invalid_by_reason: Object.fromEntries(INVALID_REASONS.map((r, i) => [r, stats.invalid[i] as number])) as Record<InvalidReason, number>,
    warnings: Object.fromEntries(LINE_WARNINGS.map((w, i) => [w, stats.warnings[i] as number])) as Record<LineWarning, number>,
    field_problems: [...stats.fieldProblemEntries()].map(([field, problem, count]) => ({ field, problem, count })),
    bytes_read: stats.bytesRead,
  };
}

function timeline(agg: ReportAggregate): Report['timeline'] {
  const width = agg.timeline.width;
  return {
    bucket_seconds: width,
    buckets: agg.timeline.series().map(({ start, bucket }) => {
      const e2e = bucket?.e2e;
      // The first and last buckets stick out of the span; dividing by their whole width would draw
      // a drop in throughput at both ends that never happened.
      const covered = Math.max(width / 2, Math.min(start + width, agg.lastTimestamp) - Math.max(start, agg.firstTimestamp));
      const seconds = Math.min(width, covered);
      return {
        start_unix_seconds: start,
        seconds_covered: seconds,
        requests: bucket?.requests ?? 0,
        errors: bucket?.errors ?? 0,
        requests_per_second: (bucket?.requests ?? 0) / seconds,
        output_tokens_per_second: (bucket?.completionTokens ?? 0) / seconds,
        input_tokens_per_second: (bucket?.promptTokens ?? 0) / seconds,
        e2e_latency_seconds:
          e2e === undefined || e2e.count === 0 ? null : { p50: e2e.percentile(50) as number, p95: e2e.percentile(95) as number, p99: e2e.percentile(99) as number },
      };
    }),
  };
}

function isoTime(unixSeconds: number): string | null {
  const d = new Date(unixSeconds * 1000);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
