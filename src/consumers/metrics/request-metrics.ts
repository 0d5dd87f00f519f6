import type { InferenceEvent } from '../../events/event.js';
import type { EventConsumer } from '../consumer.js';
import { LABEL_SOURCES, REQUEST_HISTOGRAMS, type HistogramKey, type LabelName } from './definitions.js';
import { Histogram, toBounds, type HistogramState } from './histogram.js';
import { LabelLimiter, OTHER_VALUE, type LabelLimiterState } from './label-limiter.js';

export interface RequestMetricsOptions {
  /** Allowlisted labels, in order. */
  labels: readonly LabelName[];
  maxValuesPerLabel: number;
  maxLabelValueLength: number;
  /** Bucket overrides by histogram key. */
  buckets: Partial<Record<HistogramKey, readonly number[]>>;
  exemplars: boolean;
}

/** One label set's request counter and histograms. */
export class RequestSeries {
  requests = 0;
  readonly histograms: (Histogram | undefined)[] = new Array(REQUEST_HISTOGRAMS.length).fill(undefined);
  constructor(
    /** Stable per series, so exposition can cache its formatted form. */
    readonly labels: Readonly<Record<string, string>>,
  ) {}
}

export interface ErrorSeries {
  labels: Readonly<Record<string, string>>;
  count: number;
}

export interface DeviceMemory {
  device: string;
  bytes: number;
}

export interface RequestMetricsState {
  labels: string[];
  buckets: number[][];
  series: { values: string[]; requests: number; histograms: (HistogramState | null)[] }[];
  errors: { values: string[]; type: string; count: number }[];
  gpuMemory: [string, number][];
  lastEventTimestamp: number | null;
  limiter: LabelLimiterState;
}

type LabelSource = (e: InferenceEvent) => string | undefined;
type Trie = Map<string, Trie | RequestSeries>;
/** The extra label on the error counter, capped like the allowlisted ones. */
const ERROR_TYPE_LABEL = 'error_type';

/**
 * Aggregates request events into label-keyed counters and typed-array histograms. This is the
 * per-line hot path, so it does no formatting and touches no metrics library; exposition reads
 * these structures at scrape time.
 */
export class RequestMetrics implements EventConsumer {
  /** Every series, in creation order (lookups go through the trie). */
  readonly series: RequestSeries[] = [];
  readonly errors: ErrorSeries[] = [];
  private readonly errorsBySeries = new Map<RequestSeries, Map<string, ErrorSeries>>();
  private readonly trie: Trie = new Map();
  /** Label values of the event being consumed (reused: no allocation per line). */
  private readonly scratch: string[] = [];
  readonly gpuMemory = new Map<string, DeviceMemory>();
  /** Newest event time seen (the log's own timestamp, or the time it was read when it has none). */
  lastEventTimestamp: number | undefined;
  readonly limiter: LabelLimiter;
  private readonly labelSources: LabelSource[];
  private readonly bounds: Float64Array[];
  private readonly deviceLabel: number;
  private readonly errorTypeLabel: number;

  constructor(private readonly options: RequestMetricsOptions) {
    this.labelSources = options.labels.map((l) => LABEL_SOURCES[l]);
    // error_type and the log's GPU device are capped too; device shares its cap when allowlisted.
    const limited: string[] = [...options.labels, ERROR_TYPE_LABEL];
    if (!limited.includes('device')) limited.push('device');
    this.errorTypeLabel = limited.indexOf(ERROR_TYPE_LABEL);
    this.deviceLabel = limited.indexOf('device');
    this.limiter = new LabelLimiter(limited, options.maxValuesPerLabel, options.maxLabelValueLength);
    this.bounds = REQUEST_HISTOGRAMS.map((h) => toBounds(options.buckets[h.key] ?? h.buckets));
  }

  get labelNames(): readonly string[] {
    return this.options.labels;
  }

  consume(event: InferenceEvent): void {
    const series = this.seriesFor(event);
    series.requests++;

    // One branch per histogram, in REQUEST_HISTOGRAMS order (checked by a test): a loop calling
    // each definition's accessor would be a megamorphic call per histogram per line.
    const exemplarId = this.options.exemplars ? event.requestId : undefined;
    const now = exemplarId !== undefined ? Date.now() / 1000 : 0;
    if (event.e2eSeconds !== undefined) this.observe(series, 0, event.e2eSeconds, exemplarId, now);
    if (event.ttftSeconds !== undefined) this.observe(series, 1, event.ttftSeconds, exemplarId, now);
    if (event.queueSeconds !== undefined) this.observe(series, 2, event.queueSeconds, exemplarId, now);
    if (event.inferenceSeconds !== undefined) this.observe(series, 3, event.inferenceSeconds, exemplarId, now);
    if (event.tpotSeconds !== undefined) this.observe(series, 4, event.tpotSeconds, exemplarId, now);
    if (event.promptTokens !== undefined) this.observe(series, 5, event.promptTokens, undefined, 0);
    if (event.completionTokens !== undefined) this.observe(series, 6, event.completionTokens, undefined, 0);

    if (event.status !== 'success' && event.status !== 'unknown') this.countError(series, event);

    if (event.gpuMemoryBytes !== undefined) {
      const device = this.limiter.value(this.deviceLabel, event.device ?? '');
      const entry = this.gpuMemory.get(device);
      if (entry === undefined) this.gpuMemory.set(device, { device, bytes: event.gpuMemoryBytes });
      else entry.bytes = event.gpuMemoryBytes;
    }

    const ts = event.timestamp ?? Date.now() / 1000;
    if (this.lastEventTimestamp === undefined || ts > this.lastEventTimestamp) this.lastEventTimestamp = ts;
  }

  private observe(series: RequestSeries, index: number, value: number, exemplarId: string | undefined, now: number): void {
    let h = series.histograms[index];
    if (h === undefined) {
      h = new Histogram(this.bounds[index] as Float64Array, this.options.exemplars && REQUEST_HISTOGRAMS[index]!.exemplars);
      series.histograms[index] = h;
    }
    h.observe(value, exemplarId, now);
  }

  /**
   * The series for the event's label values, through a trie of Maps keyed by the raw values (one
   * level per label). A value seen before costs one Map lookup per label and no allocation; the
   * label limiter is asked only about values the trie does not know yet. Values folded into
   * __other__ are not remembered under their own name (that would grow without bound), so they
   * always take the slower path — and are counted as folded each time, as they should be.
   * A cut value is also kept under its raw form (an alias), so the values on the path may be raw:
   * a new series takes its labels through the limiter, never from the path.
   */
  private seriesFor(event: InferenceEvent): RequestSeries {
    const n = this.labelSources.length;
    const values = this.scratch;
    let node = this.trie;
    for (let i = 0; i < n; i++) {
      const raw = (this.labelSources[i] as LabelSource)(event) ?? '';
      let child = node.get(raw);
      if (child === undefined) {
        const admitted = this.limiter.value(i, raw);
        values[i] = admitted;
        child = node.get(admitted);
        if (child === undefined) {
          child = i === n - 1 ? this.newSeries(values, n) : new Map();
          node.set(admitted, child);
        }
        if (admitted !== raw && admitted !== OTHER_VALUE) node.set(raw, child);
      } else {
        values[i] = raw;
      }
      node = child as Trie;
    }
    return node as unknown as RequestSeries;
  }

  /** A series for values that may be raw aliases of admitted ones (only here, off the hot path, resolved). */
  private newSeries(values: string[], n: number): RequestSeries {
    for (let i = 0; i < n; i++) values[i] = this.limiter.admittedOf(i, values[i] as string);
    const series = new RequestSeries(this.labelObject(values));
    this.series.push(series);
    return series;
  }

  /**
   * Everything this aggregate has counted, as plain data for a checkpoint. Together with the input
   * offsets taken at the same moment, it lets a restart continue counting where it stopped.
   */
  snapshot(): RequestMetricsState {
    const names = this.options.labels;
    return {
      labels: [...names],
      buckets: this.bounds.map((b) => [...b]),
      series: this.series.map((s) => ({
        values: names.map((n) => s.labels[n] as string),
        requests: s.requests,
        histograms: s.histograms.map((h) => h?.snapshot() ?? null),
      })),
      errors: this.errors.map((e) => ({ values: names.map((n) => e.labels[n] as string), type: e.labels[ERROR_TYPE_LABEL] as string, count: e.count })),
      gpuMemory: [...this.gpuMemory.values()].map((d) => [d.device, d.bytes]),
      lastEventTimestamp: this.lastEventTimestamp ?? null,
      limiter: this.limiter.snapshot(),
    };
  }

  /** Why a snapshot cannot be continued from with this configuration, or undefined if it can. */
  incompatibility(state: RequestMetricsState): string | undefined {
    if (state.labels.join() !== this.options.labels.join()) return `the label allowlist changed (${state.labels.join(',')} → ${this.options.labels.join(',')})`;
    if (state.limiter.names.join() !== this.limiter.names.join()) return 'the capped labels changed';
    const buckets = this.bounds.map((b) => [...b].join());
    if (state.buckets.length !== buckets.length || state.buckets.some((b, i) => b.join() !== buckets[i])) return 'histogram buckets changed';
    if (state.limiter.admitted.length !== state.limiter.names.length || state.limiter.folded.length !== state.limiter.names.length) return 'the label caps have the wrong shape';
    if (state.errors.some((e) => e.values.length !== state.labels.length)) return 'an error series has the wrong shape';
    for (const s of state.series) {
      if (s.values.length !== state.labels.length || s.histograms.length !== this.bounds.length) return 'a series has the wrong shape';
      for (const [i, h] of s.histograms.entries()) if (h !== null && h.counts.length !== (this.bounds[i] as Float64Array).length + 1) return 'a histogram has the wrong number of buckets';
    }
    return undefined;
  }

  /** Continue from a snapshot; call incompatibility() first (this throws on a mismatch). */
  restore(state: RequestMetricsState): void {
    const problem = this.incompatibility(state);
    if (problem !== undefined) throw new Error(problem);
    this.limiter.restore(state.limiter);
    // Values are cut again to this configuration's length; series that become one are added up.
    for (const s of state.series) {
      const series = this.seriesForValues(s.values);
      series.requests += s.requests;
      s.histograms.forEach((h, i) => {
        if (h === null) return;
        let histogram = series.histograms[i];
        if (histogram === undefined) {
          histogram = new Histogram(this.bounds[i] as Float64Array, this.options.exemplars && REQUEST_HISTOGRAMS[i]!.exemplars);
          series.histograms[i] = histogram;
        }
        histogram.add(h);
      });
    }
    for (const e of state.errors) {
      const series = this.seriesForValues(e.values);
      const type = this.limiter.readmit(e.type);
      let byType = this.errorsBySeries.get(series);
      if (byType === undefined) {
        byType = new Map();
        this.errorsBySeries.set(series, byType);
      }
      const known = byType.get(type);
      if (known !== undefined) {
        known.count += e.count;
        continue;
      }
      const created = { labels: { ...series.labels, [ERROR_TYPE_LABEL]: type }, count: e.count };
      byType.set(type, created);
      this.errors.push(created);
    }
    for (const [raw, bytes] of state.gpuMemory) {
      const device = this.limiter.readmit(raw);
      this.gpuMemory.set(device, { device, bytes });
    }
    this.lastEventTimestamp = state.lastEventTimestamp ?? undefined;
  }

  /** The series for label values admitted before (restore), created when missing. */
  private seriesForValues(saved: readonly string[]): RequestSeries {
    const values = saved.map((v) => this.limiter.readmit(v));
    let node = this.trie;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as string;
      let child = node.get(v);
      if (child === undefined) {
        child = i === values.length - 1 ? this.newSeries(values, values.length) : new Map();
        node.set(v, child);
      }
      node = child as Trie;
    }
    return node as unknown as RequestSeries;
  }

  private labelObject(values: readonly string[]): Record<string, string> {
    const labels: Record<string, string> = {};
    this.options.labels.forEach((name, i) => (labels[name] = values[i] as string));
    return labels;
  }

  private countError(series: RequestSeries, event: InferenceEvent): void {
    const type = this.limiter.value(this.errorTypeLabel, event.errorType ?? event.status);
    let byType = this.errorsBySeries.get(series);
    if (byType === undefined) {
      byType = new Map();
      this.errorsBySeries.set(series, byType);
    }
    const entry = byType.get(type);
    if (entry === undefined) {
      const created = { labels: { ...series.labels, [ERROR_TYPE_LABEL]: type }, count: 1 };
      byType.set(type, created);
      this.errors.push(created);
    } else entry.count++;
  }
}
