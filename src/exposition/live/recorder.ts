import { GAUGE_FIELDS } from '../../collectors/gpu/fields.js';
import { REQUEST_HISTOGRAMS, type HistogramKey } from '../../consumers/metrics/definitions.js';
import { OTHER_VALUE } from '../../consumers/metrics/label-limiter.js';
import { REQUEST_STATUSES } from '../../events/event.js';
import { SERVER_FAILURE_STATUSES } from '../../events/status.js';
import { bucketQuantile } from './bucket-quantile.js';
import { HistogramDelta } from './histogram-delta.js';
import type { LiveInputs } from './inputs.js';
import { RingColumns } from './ring.js';

/** GPUs beyond this many get no chart columns (counted in `dropped_gpus`): memory stays bounded. */
export const MAX_GPUS = 64;
export const QUANTILES = [
  ['p50', 0.5],
  ['p95', 0.95],
  ['p99', 0.99],
] as const;
/** Statuses that fail server-side: the dashboards' error ratio (client errors and cancellations are the client's). */
export const FAILED_STATUSES: readonly string[] = SERVER_FAILURE_STATUSES;
/** The one request-rate column when `status` is not an allowlisted label. */
export const ALL_STATUSES = 'all';

const histogram = (key: HistogramKey) => REQUEST_HISTOGRAMS.findIndex((h) => h.key === key);
const E2E = histogram('e2e_latency');
const TTFT = histogram('time_to_first_token');
const PROMPT_TOKENS = histogram('prompt_tokens');
const COMPLETION_TOKENS = histogram('completion_tokens');
const gauge = (field: string) => GAUGE_FIELDS.findIndex((f) => f.field === field);
const MEMORY_TOTAL = gauge('memory.total');
const MEMORY_USED = gauge('memory.used');
const UTILIZATION = gauge('utilization.gpu');

/** Six significant digits are plenty on a chart and keep the JSON short. */
const sixDigits = (v: number) => Number(v.toPrecision(6));

export interface LiveRecorderOptions {
  resolutionSeconds: number;
  windowSeconds: number;
  /** Epoch milliseconds (tests pass their own clock). */
  now?: () => number;
}

interface GpuColumns {
  gpu: string;
  uuid: string;
  name: string;
  used: number;
  total: number;
  utilization: number;
}

/** A histogram's change per row, and the ring columns of its P50/P95/P99. */
interface QuantileColumns {
  delta: HistogramDelta;
  columns: number[];
}

type Quantiles = Record<(typeof QUANTILES)[number][0], (number | null)[]>;

/** The JSON of GET /api/series (see docs/live-page.md). */
export interface LiveSeries {
  resolution_seconds: number;
  window_seconds: number;
  capacity: number;
  now: number;
  /** Every row the ring holds (no `since`, or a `since` after `now`): replace, do not append. */
  complete: boolean;
  timestamps: number[];
  requests_per_second: Record<string, (number | null)[]>;
  error_ratio: (number | null)[];
  e2e_latency_seconds: Quantiles;
  ttft_seconds: Quantiles;
  tokens_per_second: { input: (number | null)[]; output: (number | null)[] };
  lines_per_second: (number | null)[];
  invalid_lines_per_second: (number | null)[];
  files_followed: (number | null)[];
  max_lag_bytes: (number | null)[];
  gpus: { gpu: string; uuid: string; name: string; memory_used_bytes: (number | null)[]; memory_total_bytes: (number | null)[]; utilization_ratio: (number | null)[] }[];
  health: LiveHealth;
}

export interface LiveHealth {
  inputs: { kind: string; ready: boolean }[];
  lines_total: number;
  invalid_lines_total: number;
  files_followed: number | null;
  max_lag_bytes: number | null;
  /** off: no collector (no nvidia-smi, or gpu.enabled off); ok; waiting: no sample yet; else the failure reason. */
  gpu: string;
  dropped_gpus: number;
}

/**
 * Recent history for the live page: every `resolution` seconds, one row of rates, ratios and
 * bucket-interpolated quantiles computed from the difference between the aggregates now and at
 * the previous row — the same counters and histograms /metrics exposes, read once per row and
 * never per line. The rows live in a ring of ceil(window / resolution) + 1 slots; columns are
 * bounded (statuses are a fixed set, GPUs capped at MAX_GPUS), so memory is fixed whatever the
 * traffic.
 */
export class LiveRecorder {
  readonly ring: RingColumns;
  readonly resolutionSeconds: number;
  readonly windowSeconds: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;

  private readonly statusNames: readonly string[];
  private readonly statusIndex: Map<string, number>;
  private readonly statusColumns: number[];
  private readonly statusSeen: boolean[];
  private readonly statusTotals: Float64Array;
  private readonly previousStatusTotals: Float64Array;
  private readonly byStatus: boolean;

  private readonly errorRatio: number;
  private readonly latency: QuantileColumns;
  private readonly ttft: QuantileColumns;
  private readonly tokenDeltas: HistogramDelta[];
  private readonly tokenColumns: number[];
  private readonly linesColumn: number;
  private readonly invalidColumn: number;
  private readonly filesColumn: number;
  private readonly lagColumn: number;
  private readonly gpus = new Map<string, GpuColumns>();
  private droppedGpus = new Set<string>();

  private previousAt: number | undefined;
  private previousLines = 0;
  private previousInvalid = 0;

  constructor(
    private readonly inputs: LiveInputs,
    options: LiveRecorderOptions,
  ) {
    this.resolutionSeconds = options.resolutionSeconds;
    this.windowSeconds = options.windowSeconds;
    this.now = options.now ?? Date.now;
    this.ring = new RingColumns(Math.ceil(options.windowSeconds / options.resolutionSeconds) + 1);

    this.byStatus = inputs.requests.labelNames.includes('status');
    this.statusNames = this.byStatus ? [...REQUEST_STATUSES, OTHER_VALUE] : [ALL_STATUSES];
    this.statusIndex = new Map(this.statusNames.map((s, i) => [s, i]));
    this.statusColumns = this.statusNames.map(() => this.ring.addColumn());
    this.statusSeen = this.statusNames.map(() => false);
    this.statusTotals = new Float64Array(this.statusNames.length);
    this.previousStatusTotals = new Float64Array(this.statusNames.length);

    this.errorRatio = this.ring.addColumn();
    this.latency = { delta: new HistogramDelta(E2E), columns: QUANTILES.map(() => this.ring.addColumn()) };
    this.ttft = { delta: new HistogramDelta(TTFT), columns: QUANTILES.map(() => this.ring.addColumn()) };
    this.tokenDeltas = [PROMPT_TOKENS, COMPLETION_TOKENS].map((index) => new HistogramDelta(index));
    this.tokenColumns = this.tokenDeltas.map(() => this.ring.addColumn());
    this.linesColumn = this.ring.addColumn();
    this.invalidColumn = this.ring.addColumn();
    this.filesColumn = this.ring.addColumn();
    this.lagColumn = this.ring.addColumn();
  }

  /** Samples now and then every resolution; the timer never keeps the process alive. */
  start(): void {
    if (this.timer !== undefined) return;
    this.sample();
    this.timer = setInterval(() => this.sample(), this.resolutionSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Records one row. Rates need a previous row: the first has gaps where rates go. */
  sample(atMs: number = this.now()): void {
    const at = atMs / 1000;
    const previous = this.previousAt;
    const elapsed = previous === undefined ? NaN : at - previous;
    // A late timer (suspended process, blocked loop) leaves a hole: a gap row breaks the lines there.
    if (previous !== undefined && elapsed > 3 * this.resolutionSeconds) this.ring.push(previous + this.resolutionSeconds);
    // The clock stepped back: rows stamped in its future would break the time order charts need.
    const newest = this.ring.lastTimestamp();
    if (newest !== undefined && at <= newest) this.ring.clear();
    const row = this.ring.push(at);
    // A clock that went back has no meaningful interval: this row only sets the new baseline.
    const rates = elapsed > 0;
    const perSecond = (delta: number) => (rates && delta >= 0 ? delta / elapsed : NaN);

    this.recordRequests(row, rates, perSecond);
    for (const { delta, columns } of [this.latency, this.ttft]) {
      const ok = delta.update(this.inputs.requests.series) && rates;
      QUANTILES.forEach(([, q], i) => this.ring.set(row, columns[i] as number, ok ? bucketQuantile(q, delta.bounds ?? new Float64Array(0), delta.counts, delta.count) : NaN));
    }
    this.tokenDeltas.forEach((delta, i) => {
      const ok = delta.update(this.inputs.requests.series);
      this.ring.set(row, this.tokenColumns[i] as number, ok ? perSecond(delta.sum) : NaN);
    });

    const results = this.inputs.lines.results;
    const lines = results.reduce((a, b) => a + b, 0);
    const invalid = results[1] as number;
    if (previous !== undefined) {
      this.ring.set(row, this.linesColumn, perSecond(lines - this.previousLines));
      this.ring.set(row, this.invalidColumn, perSecond(invalid - this.previousInvalid));
    }
    this.previousLines = lines;
    this.previousInvalid = invalid;
    const files = this.inputs.files;
    if (files !== undefined) {
      this.ring.set(row, this.filesColumn, files.fileCount);
      this.ring.set(row, this.lagColumn, maxLag(files.lag()));
    }
    this.recordGpus(row);
    this.previousAt = at;
  }

  private recordRequests(row: number, rates: boolean, perSecond: (delta: number) => number): void {
    const totals = this.statusTotals;
    totals.fill(0);
    const other = this.statusIndex.get(OTHER_VALUE) ?? 0;
    for (const s of this.inputs.requests.series) {
      const slot = this.byStatus ? (this.statusIndex.get(s.labels.status ?? '') ?? other) : 0;
      totals[slot]! += s.requests;
    }
    let all = 0;
    let failed = 0;
    let comparable = this.previousAt !== undefined && rates;
    for (let i = 0; i < totals.length; i++) {
      const delta = (totals[i] as number) - (this.previousStatusTotals[i] as number);
      if (delta < 0) comparable = false;
      if ((totals[i] as number) > 0) this.statusSeen[i] = true;
      all += delta;
      if (FAILED_STATUSES.includes(this.statusNames[i] as string)) failed += delta;
    }
    if (comparable) {
      for (let i = 0; i < totals.length; i++) this.ring.set(row, this.statusColumns[i] as number, perSecond((totals[i] as number) - (this.previousStatusTotals[i] as number)));
      // No requests in the interval: no ratio (a gap, not 0 %). Without a status label there is none to take.
      if (this.byStatus && all > 0) this.ring.set(row, this.errorRatio, failed / all);
    }
    this.previousStatusTotals.set(totals);
  }

  private recordGpus(row: number): void {
    const readings = this.inputs.gpu?.fresh();
    if (readings === undefined) return;
    for (const r of readings) {
      let g = this.gpus.get(r.uuid);
      if (g === undefined) {
        if (this.gpus.size >= MAX_GPUS) {
          if (this.droppedGpus.size < MAX_GPUS) this.droppedGpus.add(r.uuid);
          continue;
        }
        g = { gpu: r.index, uuid: r.uuid, name: r.info.name ?? '', used: this.ring.addColumn(), total: this.ring.addColumn(), utilization: this.ring.addColumn() };
        this.gpus.set(r.uuid, g);
      }
      const value = (i: number) => r.values[i] ?? NaN;
      this.ring.set(row, g.used, value(MEMORY_USED));
      this.ring.set(row, g.total, value(MEMORY_TOTAL));
      this.ring.set(row, g.utilization, value(UTILIZATION));
    }
  }

  /** The rows newer than `since` (epoch seconds; all of them without it) as columns for uPlot. */
  series(since?: number): LiveSeries {
    const ring = this.ring;
    // A `since` from before a backward clock step lies in the future: answer with every row.
    const complete = since === undefined || since > this.now() / 1000;
    const slots = ring.slotsSince(complete ? undefined : since);
    const col = (c: number, round: (v: number) => number = sixDigits) => ring.read(c, slots, round);
    const quantiles = (columns: number[]) => Object.fromEntries(QUANTILES.map(([name], i) => [name, col(columns[i] as number)])) as Quantiles;
    const requests: Record<string, (number | null)[]> = {};
    this.statusNames.forEach((name, i) => {
      if (this.statusSeen[i]) requests[name] = col(this.statusColumns[i] as number);
    });
    return {
      resolution_seconds: this.resolutionSeconds,
      window_seconds: this.windowSeconds,
      capacity: ring.capacity,
      now: Math.round(this.now()) / 1000,
      complete,
      timestamps: slots.map((s) => Math.round((ring.timestamps[s] as number) * 1000) / 1000),
      requests_per_second: requests,
      error_ratio: col(this.errorRatio),
      e2e_latency_seconds: quantiles(this.latency.columns),
      ttft_seconds: quantiles(this.ttft.columns),
      tokens_per_second: { input: col(this.tokenColumns[0] as number), output: col(this.tokenColumns[1] as number) },
      lines_per_second: col(this.linesColumn),
      invalid_lines_per_second: col(this.invalidColumn),
      files_followed: col(this.filesColumn, Math.round),
      max_lag_bytes: col(this.lagColumn, Math.round),
      gpus: [...this.gpus.values()]
        .sort((a, b) => Number(a.gpu) - Number(b.gpu) || (a.uuid < b.uuid ? -1 : 1))
        .map((g) => ({
          gpu: g.gpu,
          uuid: g.uuid,
          name: g.name,
          memory_used_bytes: col(g.used, Math.round),
          memory_total_bytes: col(g.total, Math.round),
          utilization_ratio: col(g.utilization),
        })),
      health: this.health(),
    };
  }

  /** The sidecar's state now (not a history): inputs, line totals, files, lag, GPU collector. */
  health(): LiveHealth {
    const results = this.inputs.lines.results;
    const files = this.inputs.files;
    const gpu = this.inputs.gpu;
    return {
      inputs: this.inputs.sources().map((s) => {
        const { kind, ready } = s.status();
        return { kind, ready };
      }),
      lines_total: results.reduce((a, b) => a + b, 0),
      invalid_lines_total: results[1] as number,
      files_followed: files === undefined ? null : files.fileCount,
      max_lag_bytes: files === undefined ? null : maxLag(files.lag()),
      gpu: gpu === undefined ? 'off' : (gpu.error ?? (gpu.fresh() === undefined ? 'waiting' : 'ok')),
      dropped_gpus: this.droppedGpus.size,
    };
  }
}

function maxLag(lag: readonly { bytes: number }[]): number {
  let max = 0;
  for (const l of lag) if (l.bytes > max) max = l.bytes;
  return max;
}
