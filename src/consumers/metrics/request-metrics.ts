import type { InferenceEvent } from '../../events/event.js';
import type { EventConsumer } from '../consumer.js';
import { LABEL_SOURCES, REQUEST_HISTOGRAMS, type HistogramKey, type LabelName } from './definitions.js';
import { Histogram, toBounds } from './histogram.js';
import { LabelLimiter } from './label-limiter.js';

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

const KEY_SEP = '\u0001';
/** The extra label on the error counter, capped like the allowlisted ones. */
const ERROR_TYPE_LABEL = 'error_type';

/**
 * Aggregates request events into label-keyed counters and typed-array histograms. This is the
 * per-line hot path, so it does no formatting and touches no metrics library; exposition reads
 * these structures at scrape time.
 */
export class RequestMetrics implements EventConsumer {
  readonly series = new Map<string, RequestSeries>();
  readonly errors = new Map<string, ErrorSeries>();
  readonly gpuMemory = new Map<string, DeviceMemory>();
  /** Newest event time seen (the log's own timestamp, or the time it was read when it has none). */
  lastEventTimestamp: number | undefined;
  readonly limiter: LabelLimiter;
  private readonly labelSources: ((e: InferenceEvent) => string | undefined)[];
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
    const values = this.labelValues(event);
    const key = values.join(KEY_SEP);
    let series = this.series.get(key);
    if (series === undefined) {
      series = new RequestSeries(this.labelObject(values));
      this.series.set(key, series);
    }
    series.requests++;

    for (let i = 0; i < REQUEST_HISTOGRAMS.length; i++) {
      const def = REQUEST_HISTOGRAMS[i] as (typeof REQUEST_HISTOGRAMS)[number];
      const v = def.value(event);
      if (v === undefined) continue;
      let h = series.histograms[i];
      if (h === undefined) {
        h = new Histogram(this.bounds[i] as Float64Array, this.options.exemplars && def.exemplars);
        series.histograms[i] = h;
      }
      h.observe(v, def.exemplars ? event.requestId : undefined);
    }

    if (event.status !== 'success' && event.status !== 'unknown') this.countError(key, values, event);

    if (event.gpuMemoryBytes !== undefined) {
      const device = this.limiter.value(this.deviceLabel, event.device ?? '');
      const entry = this.gpuMemory.get(device);
      if (entry === undefined) this.gpuMemory.set(device, { device, bytes: event.gpuMemoryBytes });
      else entry.bytes = event.gpuMemoryBytes;
    }

    const ts = event.timestamp ?? Date.now() / 1000;
    if (this.lastEventTimestamp === undefined || ts > this.lastEventTimestamp) this.lastEventTimestamp = ts;
  }

  private labelValues(event: InferenceEvent): string[] {
    const n = this.labelSources.length;
    const values = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      values[i] = this.limiter.value(i, (this.labelSources[i] as (e: InferenceEvent) => string | undefined)(event) ?? '');
    }
    return values;
  }

  private labelObject(values: readonly string[], extra?: [string, string]): Record<string, string> {
    const labels: Record<string, string> = {};
    this.options.labels.forEach((name, i) => (labels[name] = values[i] as string));
    if (extra !== undefined) labels[extra[0]] = extra[1];
    return labels;
  }

  private countError(seriesKey: string, values: readonly string[], event: InferenceEvent): void {
    const type = this.limiter.value(this.errorTypeLabel, event.errorType ?? event.status);
    const key = seriesKey + KEY_SEP + type;
    const entry = this.errors.get(key);
    if (entry === undefined) this.errors.set(key, { labels: this.labelObject(values, [ERROR_TYPE_LABEL, type]), count: 1 });
    else entry.count++;
  }
}
