import {
  BURN_WINDOWS,
  byTarget,
  FAILED_STATUS_MATCHER,
  JOB_MATCHER,
  leMatcher,
  onTarget,
  promql,
  RATIO_WINDOWS,
  runbookUrl,
  SLO,
  THRESHOLDS,
  type RatioWindow,
} from './common.js';

/**
 * The Prometheus rules, the one source of truth for prometheus/rules/*.yml and the Kubernetes
 * PrometheusRule. Recording rules carry the heavy work (rates over long windows, histogram bucket
 * rates) so the alerts and the dashboards read cheap precomputed series on a fleet.
 *
 * Naming follows level:metric:operations. Levels: `instance_model` (per scraped sidecar and model),
 * `instance_model_le` (plus the bucket), `instance` (per sidecar), `instance_gpu` (per GPU).
 */

export interface RecordingRule {
  record: string;
  expr: string;
}

export type Severity = 'page' | 'ticket';

export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: Severity };
  annotations: { summary: string; description: string; runbook_url: string };
}

export interface RuleGroup<R> {
  name: string;
  rules: R[];
}

export interface RuleFile<R> {
  groups: RuleGroup<R>[];
}

// ---- recorded series names, used by the alerts and the dashboards --------------------------

export const REC = {
  requestsRate5m: 'instance_model:llmtail_requests:rate5m',
  failedRate5m: 'instance_model:llmtail_requests_failed:rate5m',
  failedRatio: (w: RatioWindow) => `instance_model:llmtail_requests_failed:ratio_rate${w}`,
  slowRatio: (w: RatioWindow) => `instance_model:llmtail_requests_slow:ratio_rate${w}`,
  bucketRate5m: (histogram: string) => `instance_model_le:${histogram}_bucket:rate5m`,
  quantile5m: (histogram: string, q: 50 | 95 | 99) => `instance_model:${histogram}:p${q}_rate5m`,
  invalidLineRatio5m: 'instance:llmtail_lines_invalid:ratio_rate5m',
  lagBytes: 'instance:llmtail_file_lag_bytes:sum',
  gpuMemoryRatio: 'instance_gpu:llmtail_gpu_memory_used_bytes:ratio',
} as const;

/** Histograms whose bucket rates are recorded (successful requests) for quantiles. */
export const QUANTILE_HISTOGRAMS = [
  'llmtail_request_duration_seconds',
  'llmtail_time_to_first_token_seconds',
  'llmtail_request_queue_time_seconds',
  'llmtail_time_per_output_token_seconds',
] as const;

const T = byTarget('model');

function failedRatio(w: RatioWindow): RecordingRule {
  // `or … * 0`: a model with traffic and no failure records 0, not nothing.
  return {
    record: REC.failedRatio(w),
    expr: promql`
      (
          sum ${T} (rate(llmtail_requests_total{${FAILED_STATUS_MATCHER}}[${w}]))
        or
          0 * sum ${T} (rate(llmtail_requests_total[${w}]))
      )
      /
      sum ${T} (rate(llmtail_requests_total[${w}]))`,
  };
}

function slowRatio(w: RatioWindow): RecordingRule {
  const le = leMatcher(SLO.latency.thresholdSeconds);
  return {
    record: REC.slowRatio(w),
    expr: promql`
      1 - (
          sum ${T} (rate(llmtail_request_duration_seconds_bucket{status="success", ${le}}[${w}]))
        /
          sum ${T} (rate(llmtail_request_duration_seconds_count{status="success"}[${w}]))
      )`,
  };
}

export function recordingRules(): RuleFile<RecordingRule> {
  return {
    groups: [
      {
        name: 'llmtail.requests',
        rules: [
          { record: REC.requestsRate5m, expr: `sum ${T} (rate(llmtail_requests_total[5m]))` },
          {
            record: REC.failedRate5m,
            expr: promql`
              sum ${T} (rate(llmtail_requests_total{${FAILED_STATUS_MATCHER}}[5m]))
              or
              0 * sum ${T} (rate(llmtail_requests_total[5m]))`,
          },
          // Availability SLI: share of requests that failed server-side, over each burn-rate window.
          ...RATIO_WINDOWS.map(failedRatio),
          // Latency SLI: share of successful requests slower than the SLO threshold (a bucket boundary).
          ...RATIO_WINDOWS.map(slowRatio),
        ],
      },
      {
        name: 'llmtail.latency',
        rules: [
          ...QUANTILE_HISTOGRAMS.map((h) => ({
            record: REC.bucketRate5m(h),
            expr: `sum ${byTarget('model', 'le')} (rate(${h}_bucket{status="success"}[5m]))`,
          })),
          { record: REC.quantile5m('llmtail_request_duration_seconds', 99), expr: `histogram_quantile(0.99, ${REC.bucketRate5m('llmtail_request_duration_seconds')})` },
          { record: REC.quantile5m('llmtail_time_to_first_token_seconds', 95), expr: `histogram_quantile(0.95, ${REC.bucketRate5m('llmtail_time_to_first_token_seconds')})` },
          { record: REC.quantile5m('llmtail_request_queue_time_seconds', 95), expr: `histogram_quantile(0.95, ${REC.bucketRate5m('llmtail_request_queue_time_seconds')})` },
        ],
      },
      {
        name: 'llmtail.sidecar',
        rules: [
          {
            record: REC.invalidLineRatio5m,
            expr: promql`
              sum ${byTarget()} (rate(llmtail_lines_total{result="invalid"}[5m]))
              /
              sum ${byTarget()} (rate(llmtail_lines_total[5m]))`,
          },
          { record: REC.lagBytes, expr: `sum ${byTarget()} (llmtail_file_lag_bytes)` },
          { record: REC.gpuMemoryRatio, expr: 'llmtail_gpu_memory_used_bytes / llmtail_gpu_memory_total_bytes' },
        ],
      },
    ],
  };
}

// ---- alerts --------------------------------------------------------------------------------

function alert(rule: Omit<AlertingRule, 'annotations'> & { summary: string; description: string }): AlertingRule {
  const { summary, description, ...rest } = rule;
  return { ...rest, annotations: { summary, description, runbook_url: runbookUrl(rule.alert) } };
}

/** `(a > x and b > x) or (…)`: each long window with its short window, as burn rates. */
function burnRateExpr(series: (w: RatioWindow) => string, budget: number, windows: readonly { long: RatioWindow; short: RatioWindow; factor: number }[]): string {
  return windows
    .map((w) => `(\n  ${series(w.long)} / ${budget} > ${w.factor}\nand\n  ${series(w.short)} / ${budget} > ${w.factor}\n)`)
    .join('\nor\n');
}

const AVAILABILITY_BUDGET = Number((1 - SLO.availability.objective).toFixed(6));
const LATENCY_BUDGET = Number((1 - SLO.latency.objective).toFixed(6));
const pct = (ratio: number) => `${Number((ratio * 100).toFixed(3))}%`;
const windowsText = (windows: readonly { long: string; short: string; factor: number }[]) =>
  windows.map((w) => `${w.factor}x over ${w.long} and ${w.short}`).join(', or ');

/** `on <instance>`, model `<model>`: the subject of a per-model alert. */
const MODEL_ON = '{{ $labels.model }} on {{ $labels.instance }}';

/** A Go-template query for the failed-request ratio of the alert's instance and model. */
const FAILED_RATIO_QUERY =
  `{{ with printf "${REC.failedRatio('5m')}{instance=%q,model=%q}" $labels.instance $labels.model | query }}` +
  '{{ . | first | value | humanizePercentage }}{{ else }}unknown{{ end }}';

export function alertingRules(): RuleFile<AlertingRule> {
  const lagMiB = THRESHOLDS.tailLagBytes / 1024 / 1024;
  return {
    groups: [
      {
        name: 'llmtail.requests.alerts',
        rules: [
          alert({
            alert: 'LlmtailErrorRatioHigh',
            expr: `${REC.failedRatio('5m')} > ${THRESHOLDS.errorRatio}`,
            for: '5m',
            labels: { severity: 'page' },
            summary: `{{ $value | humanizePercentage }} of requests to ${MODEL_ON} are failing`,
            description:
              `Server-side failures (status error, timeout or rejected) were {{ $value | humanizePercentage }} of the requests to model {{ $labels.model }} ` +
              `on {{ $labels.instance }} over the last 5 minutes, above ${pct(THRESHOLDS.errorRatio)} for 5 minutes.`,
          }),
          alert({
            alert: 'LlmtailAvailabilityBudgetBurn',
            expr: burnRateExpr(REC.failedRatio, AVAILABILITY_BUDGET, BURN_WINDOWS.page),
            for: '2m',
            labels: { severity: 'page' },
            summary: `${MODEL_ON} is burning its availability error budget {{ $value | humanize }}x too fast`,
            description:
              `The failed-request ratio of model {{ $labels.model }} on {{ $labels.instance }} spends the ${pct(AVAILABILITY_BUDGET)} error budget ` +
              `of the ${pct(SLO.availability.objective)} availability SLO at {{ $value | humanize }}x the sustainable rate ` +
              `(threshold: ${windowsText(BURN_WINDOWS.page)}). At 14.4x a 30-day budget lasts about 2 days.`,
          }),
          alert({
            alert: 'LlmtailAvailabilityBudgetBurnSlow',
            expr: burnRateExpr(REC.failedRatio, AVAILABILITY_BUDGET, BURN_WINDOWS.ticket),
            for: '15m',
            labels: { severity: 'ticket' },
            summary: `${MODEL_ON} is spending its availability error budget faster than it is earned ({{ $value | humanize }}x)`,
            description:
              `Over the last 3 days, {{ $labels.model }} on {{ $labels.instance }} failed requests at {{ $value | humanize }}x the rate the ` +
              `${pct(SLO.availability.objective)} availability SLO allows (${windowsText(BURN_WINDOWS.ticket)}).`,
          }),
          alert({
            alert: 'LlmtailLatencyP99High',
            expr: `${REC.quantile5m('llmtail_request_duration_seconds', 99)} > ${THRESHOLDS.latencyP99Seconds}`,
            for: '10m',
            labels: { severity: 'ticket' },
            summary: `P99 end-to-end latency of ${MODEL_ON} is {{ $value | humanizeDuration }}`,
            description:
              `The 99th percentile end-to-end latency of successful requests to {{ $labels.model }} on {{ $labels.instance }} has been ` +
              `{{ $value | humanizeDuration }} over 5 minutes, above ${THRESHOLDS.latencyP99Seconds}s for 10 minutes: more than 1% of requests took longer.`,
          }),
          alert({
            alert: 'LlmtailLatencyBudgetBurn',
            expr: burnRateExpr(REC.slowRatio, LATENCY_BUDGET, BURN_WINDOWS.page),
            for: '2m',
            labels: { severity: 'page' },
            summary: `${MODEL_ON} is burning its latency error budget {{ $value | humanize }}x too fast`,
            description:
              `The share of successful requests to {{ $labels.model }} on {{ $labels.instance }} slower than ${SLO.latency.thresholdSeconds}s spends the ` +
              `${pct(LATENCY_BUDGET)} budget of the latency SLO (${pct(SLO.latency.objective)} within ${SLO.latency.thresholdSeconds}s) at ` +
              `{{ $value | humanize }}x the sustainable rate (threshold: ${windowsText(BURN_WINDOWS.page)}).`,
          }),
          alert({
            alert: 'LlmtailLatencyBudgetBurnSlow',
            expr: burnRateExpr(REC.slowRatio, LATENCY_BUDGET, BURN_WINDOWS.ticket),
            for: '15m',
            labels: { severity: 'ticket' },
            summary: `${MODEL_ON} is spending its latency error budget faster than it is earned ({{ $value | humanize }}x)`,
            description:
              `Over the last 3 days, successful requests to {{ $labels.model }} on {{ $labels.instance }} took longer than ${SLO.latency.thresholdSeconds}s ` +
              `at {{ $value | humanize }}x the rate the latency SLO (${pct(SLO.latency.objective)} within ${SLO.latency.thresholdSeconds}s) allows ` +
              `(${windowsText(BURN_WINDOWS.ticket)}).`,
          }),
          alert({
            alert: 'LlmtailTTFTP95High',
            expr: `${REC.quantile5m('llmtail_time_to_first_token_seconds', 95)} > ${THRESHOLDS.ttftP95Seconds}`,
            for: '15m',
            labels: { severity: 'ticket' },
            summary: `P95 time to first token of ${MODEL_ON} is {{ $value | humanizeDuration }}`,
            description:
              `The 95th percentile time to first token of successful requests to {{ $labels.model }} on {{ $labels.instance }} has been ` +
              `{{ $value | humanizeDuration }} over 5 minutes, above ${THRESHOLDS.ttftP95Seconds}s for 15 minutes.`,
          }),
          alert({
            alert: 'LlmtailQueueTimeGrowing',
            expr: promql`
              ${REC.quantile5m('llmtail_request_queue_time_seconds', 95)} > ${THRESHOLDS.queueP95Seconds}
              and
              deriv(${REC.quantile5m('llmtail_request_queue_time_seconds', 95)}[30m]) > 0`,
            for: '10m',
            labels: { severity: 'ticket' },
            summary: `Requests to ${MODEL_ON} queue longer and longer (P95 {{ $value | humanizeDuration }})`,
            description:
              `The 95th percentile queue time of requests to {{ $labels.model }} on {{ $labels.instance }} is {{ $value | humanizeDuration }}, ` +
              `above ${THRESHOLDS.queueP95Seconds}s, and has been rising over the last 30 minutes: the server receives more than it can serve.`,
          }),
        ],
      },
      {
        name: 'llmtail.gpu.alerts',
        rules: [
          alert({
            alert: 'LlmtailGPUMemoryHigh',
            expr: `${REC.gpuMemoryRatio} > ${THRESHOLDS.gpuMemoryRatio}`,
            for: '10m',
            labels: { severity: 'ticket' },
            summary: 'GPU {{ $labels.gpu }} on {{ $labels.instance }} is {{ $value | humanizePercentage }} full',
            description:
              'GPU {{ $labels.gpu }} ({{ $labels.uuid }}) on {{ $labels.instance }} has had {{ $value | humanizePercentage }} of its memory ' +
              `allocated for 10 minutes (threshold ${pct(THRESHOLDS.gpuMemoryRatio)}); the next large batch may fail with out-of-memory errors.`,
          }),
          alert({
            alert: 'LlmtailGPUCollectorDown',
            expr: promql`
              sum ${byTarget()} (increase(llmtail_gpu_collector_failures_total[15m]))
              and ${onTarget()}
              (max ${byTarget()} (llmtail_gpu_collector_up) == 0)`,
            for: '5m',
            labels: { severity: 'ticket' },
            summary: 'GPU metrics from {{ $labels.instance }} are missing ({{ $value | humanize }} failed nvidia-smi collections in 15 minutes)',
            description:
              'llmtail on {{ $labels.instance }} has had no current nvidia-smi sample for 5 minutes ({{ $value | humanize }} failed collections ' +
              'in the last 15 minutes; llmtail_gpu_collector_failures_total tells the reason). GPU alerts for this instance are inhibited meanwhile.',
          }),
          alert({
            alert: 'LlmtailGPUTemperatureHigh',
            expr: `llmtail_gpu_temperature_celsius > ${THRESHOLDS.gpuTemperatureCelsius}`,
            for: '10m',
            labels: { severity: 'ticket' },
            summary: 'GPU {{ $labels.gpu }} on {{ $labels.instance }} is at {{ $value }}°C',
            description:
              'GPU {{ $labels.gpu }} ({{ $labels.uuid }}) on {{ $labels.instance }} has been at {{ $value }}°C, above ' +
              `${THRESHOLDS.gpuTemperatureCelsius}°C, for 10 minutes; it is close to thermal slowdown.`,
          }),
        ],
      },
      {
        name: 'llmtail.sidecar.alerts',
        rules: [
          alert({
            alert: 'LlmtailSidecarDown',
            expr: `up{${JOB_MATCHER}} == 0`,
            for: '5m',
            labels: { severity: 'page' },
            summary: 'llmtail on {{ $labels.instance }} cannot be scraped (up = {{ $value }})',
            description:
              'Prometheus has failed to scrape llmtail at {{ $labels.instance }} (job {{ $labels.job }}) for 5 minutes (up = {{ $value }}). ' +
              'The inference server behind it is unmonitored, and the other llmtail alerts for this instance are inhibited.',
          }),
          alert({
            // A page, like LlmtailSidecarDown: monitoring of the server is blind and nothing else says so
            // (the Kubernetes sidecar's readiness probes /healthz, not /readyz, so as not to stop inference).
            // LlmtailLogQuiet is only a ticket because a quiet log is usually a quiet server; this is not.
            alert: 'LlmtailInputDown',
            expr: `min ${byTarget('input')} (llmtail_input_up) == 0`,
            for: '5m',
            labels: { severity: 'page' },
            summary: 'llmtail on {{ $labels.instance }} cannot read its {{ $labels.input }} input (llmtail_input_up = {{ $value }})',
            description:
              'The {{ $labels.input }} input of llmtail on {{ $labels.instance }} has not been open and delivering lines for 5 minutes ' +
              '(llmtail_input_up = {{ $value }})' +
              `{{ with printf "max(llmtail_files_unreadable{instance=%q}) > 0" $labels.instance | query }}; ` +
              '{{ . | first | value }} input paths exist but cannot be read (permission denied){{ end }}. ' +
              'Requests it does not read are in no metric and no alert.',
          }),
          alert({
            alert: 'LlmtailLogQuiet',
            expr: promql`
              sum ${byTarget()} (increase(llmtail_lines_total[15m])) == 0
              and ${onTarget()}
              up{${JOB_MATCHER}} == 1`,
            for: '5m',
            labels: { severity: 'ticket' },
            summary: 'llmtail on {{ $labels.instance }} has read {{ $value }} log lines in 15 minutes',
            description:
              'llmtail on {{ $labels.instance }} is up but has read {{ $value }} lines from its request logs in the last 15 minutes; ' +
              `{{ with printf "time() - max(llmtail_last_event_timestamp_seconds{instance=%q})" $labels.instance | query }}` +
              'the newest request it saw was logged {{ . | first | value | humanizeDuration }} ago{{ else }}it has seen no request since it started{{ end }}.',
          }),
          alert({
            alert: 'LlmtailInvalidLinesHigh',
            expr: `${REC.invalidLineRatio5m} > ${THRESHOLDS.invalidLineRatio}`,
            for: '15m',
            labels: { severity: 'ticket' },
            summary: '{{ $value | humanizePercentage }} of the log lines read by {{ $labels.instance }} are invalid',
            description:
              '{{ $value | humanizePercentage }} of the lines llmtail on {{ $labels.instance }} read over 5 minutes were discarded as invalid ' +
              `(above ${pct(THRESHOLDS.invalidLineRatio)} for 15 minutes); llmtail_lines_invalid_total tells the reason.`,
          }),
          alert({
            alert: 'LlmtailTailLagGrowing',
            expr: promql`
              ${REC.lagBytes} > ${THRESHOLDS.tailLagBytes}
              and
              deriv(${REC.lagBytes}[10m]) > 0`,
            for: '10m',
            labels: { severity: 'ticket' },
            summary: 'llmtail on {{ $labels.instance }} is {{ $value | humanize1024 }}B behind its logs and falling further behind',
            description:
              'llmtail on {{ $labels.instance }} has {{ $value | humanize1024 }}B written to its logs but not yet counted (above ' +
              `${lagMiB} MiB), and the backlog has grown for 10 minutes: the metrics lag behind the traffic.`,
          }),
        ],
      },
      {
        // Fed by the anomaly detector (response-quality checks and burst detection).
        name: 'llmtail.anomaly.alerts',
        rules: [
          alert({
            alert: 'LlmtailConsecutiveEmptyResponses',
            expr: `max ${T} (llmtail_consecutive_empty_responses) >= ${THRESHOLDS.consecutiveEmptyResponses}`,
            for: '2m',
            labels: { severity: 'page' },
            summary: `The last {{ $value }} responses of ${MODEL_ON} were empty`,
            description:
              `{{ $labels.model }} on {{ $labels.instance }} has returned {{ $value }} empty responses in a row ` +
              `(threshold ${THRESHOLDS.consecutiveEmptyResponses}) for 2 minutes: requests succeed but produce no text.`,
          }),
          alert({
            alert: 'LlmtailErrorBurst',
            expr: `max ${T} (llmtail_error_burst_in_progress) == 1`,
            labels: { severity: 'ticket' },
            summary: `Error burst in progress for ${MODEL_ON} (${FAILED_RATIO_QUERY} of requests failing)`,
            description:
              `llmtail's burst detector reports a burst of error lines for {{ $labels.model }} on {{ $labels.instance }} ` +
              `(llmtail_error_burst_in_progress = {{ $value }}); failed-request ratio over 5 minutes: ${FAILED_RATIO_QUERY}.`,
          }),
        ],
      },
    ],
  };
}

/** The alert names, in file order. */
export function alertNames(): string[] {
  return alertingRules().groups.flatMap((g) => g.rules.map((r) => r.alert));
}

/** The same rules with every `for:` replaced (the end-to-end test uses `0s`; shipped rules keep theirs). */
export function withFor(file: RuleFile<AlertingRule>, duration: string): RuleFile<AlertingRule> {
  return { groups: file.groups.map((g) => ({ ...g, rules: g.rules.map((r) => ({ ...r, for: duration })) })) };
}
