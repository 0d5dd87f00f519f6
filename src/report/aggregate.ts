import { AnomalyConsumer, fallbackMessage } from '../consumers/anomaly/anomaly-consumer.js';
import type { AnomalyConfig } from '../consumers/anomaly/config.js';
import { Drain } from '../consumers/anomaly/drain.js';
import { countFindings, QUALITY_CHECKS, QualityChecker } from '../consumers/anomaly/quality-checks.js';
import type { EventConsumer } from '../consumers/consumer.js';
import { CappedStates, cutLabelValue, LabelLimiter, OTHER_VALUE } from '../consumers/metrics/label-limiter.js';
import { REQUEST_STATUSES, type InferenceEvent, type RequestStatus } from '../events/event.js';
import { isServerFailure } from '../events/status.js';
import { Distribution, ExactValueBudget } from './distribution.js';
import { Timeline } from './timeline.js';

/** Distinct (status, error type) pairs kept per model; later ones are counted under __other__. */
export const MAX_ERROR_TYPES = 200;

const STATUS_INDEX = Object.fromEntries(REQUEST_STATUSES.map((s, i) => [s, i])) as Record<RequestStatus, number>;
/** Per status index: 1 for a server-side failure (the failed series, as on the live page and the dashboards). */
const SERVER_FAILURE = Uint8Array.from(REQUEST_STATUSES, (s) => (isServerFailure(s) ? 1 : 0));

export interface ErrorTypeCount {
  status: RequestStatus;
  errorType: string;
  count: number;
}

/** Everything the report keeps about one model. */
export class ModelAggregate {
  requests = 0;
  readonly statuses = new Float64Array(REQUEST_STATUSES.length);
  readonly e2e: Distribution;
  readonly ttft: Distribution;
  readonly tpot: Distribution;
  readonly promptTokens: Distribution;
  readonly completionTokens: Distribution;
  /** Responses that carried text (so the quality checks ran), and what they found. */
  qualityChecked = 0;
  readonly quality = new Float64Array(QUALITY_CHECKS.length);
  readonly errors = new Map<string, ErrorTypeCount>();

  constructor(
    readonly model: string,
    budget: ExactValueBudget,
  ) {
    this.e2e = new Distribution(budget);
    this.ttft = new Distribution(budget);
    this.tpot = new Distribution(budget);
    this.promptTokens = new Distribution(budget);
    this.completionTokens = new Distribution(budget);
  }

  countError(status: RequestStatus, errorType: string | undefined): void {
    let type = errorType ?? '';
    let key = `${status}\u0000${type}`;
    let entry = this.errors.get(key);
    if (entry === undefined && this.errors.size >= MAX_ERROR_TYPES) {
      type = OTHER_VALUE;
      key = `${status}\u0000${type}`;
      entry = this.errors.get(key);
    }
    if (entry === undefined) this.errors.set(key, { status, errorType: type, count: 1 });
    else entry.count++;
  }
}

export interface ReportAggregateOptions {
  /** Values all exact distributions may hold together before switching to sketches. */
  exactValueLimit: number;
  /** Cap on distinct model names (labels.max_values) and their length, as for the metrics. */
  maxModels: number;
  maxModelNameLength: number;
  /** Quality checks, error templates and bursts; undefined when anomaly.enabled is false. */
  anomaly: AnomalyConfig | undefined;
}

/** Incidents a report lists at least (anomaly.max_incidents is sized for the live API). */
const REPORT_MAX_INCIDENTS = 1000;

/**
 * The report's consumer: per model, counts by status and the values of every latency and token
 * metric; across models, the time span, a timeline for the charts, response-quality findings and
 * Drain templates of error messages. Per event it does a map lookup for the model, a few typed-array
 * increments and one push per metric the line carries — nothing else is allocated.
 */
export class ReportAggregate implements EventConsumer {
  readonly budget: ExactValueBudget;
  readonly models: CappedStates<ModelAggregate>;
  readonly timeline = new Timeline();
  readonly drain: Drain | undefined;
  /** Error bursts on the log's own clock, exactly as the sidecar finds them (its consumer, in replay timing). */
  readonly bursts: AnomalyConsumer | undefined;
  firstTimestamp = Infinity;
  lastTimestamp = -Infinity;
  withoutTimestamp = 0;
  private readonly limiter: LabelLimiter;
  private readonly maxNameLength: number;
  private readonly checker: QualityChecker | undefined;

  constructor(options: ReportAggregateOptions) {
    this.budget = new ExactValueBudget(options.exactValueLimit);
    this.limiter = new LabelLimiter(['model'], options.maxModels, options.maxModelNameLength);
    this.maxNameLength = options.maxModelNameLength;
    this.models = new CappedStates(this.limiter, 0, (name) => new ModelAggregate(name, this.budget));
    if (options.anomaly !== undefined) {
      this.checker = new QualityChecker(options.anomaly);
      this.drain = new Drain({ similarity: options.anomaly.template_similarity, maxClusters: options.anomaly.max_templates });
      this.bursts = new AnomalyConsumer({
        config: { ...options.anomaly, max_incidents: Math.max(options.anomaly.max_incidents, REPORT_MAX_INCIDENTS) },
        maxModels: options.maxModels,
        maxLabelLength: options.maxModelNameLength,
        timing: 'replay',
        qualityChecks: false,
      });
    }
  }

  /** The log has ended: bursts still open end as they would have with nothing more logged. */
  finish(): void {
    this.bursts?.finish();
  }

  /** Events whose model name was folded into __other__ by the cap. */
  get modelsFolded(): number {
    return this.limiter.folded[0] as number;
  }

  get qualityEnabled(): boolean {
    return this.checker !== undefined;
  }

  consume(event: InferenceEvent): void {
    const m = this.models.for(event.model ?? '');
    const status = event.status;
    const statusIndex = STATUS_INDEX[status];
    m.requests++;
    m.statuses[statusIndex]!++;
    if (event.e2eSeconds !== undefined) m.e2e.add(event.e2eSeconds);
    if (event.ttftSeconds !== undefined) m.ttft.add(event.ttftSeconds);
    if (event.tpotSeconds !== undefined) m.tpot.add(event.tpotSeconds);
    if (event.promptTokens !== undefined) m.promptTokens.add(event.promptTokens);
    if (event.completionTokens !== undefined) m.completionTokens.add(event.completionTokens);

    // Not a success: counted by error type and clustered into templates (client errors and
    // cancellations included). Only server-side failures count in the failed-requests series.
    const failed = status !== 'success' && status !== 'unknown';
    const t = event.timestamp;
    if (t !== undefined && Number.isFinite(t)) {
      if (t < this.firstTimestamp) this.firstTimestamp = t;
      if (t > this.lastTimestamp) this.lastTimestamp = t;
      const bucket = this.timeline.bucketAt(t);
      bucket.requests++;
      bucket.errors += SERVER_FAILURE[statusIndex]!;
      if (event.promptTokens !== undefined) bucket.promptTokens += event.promptTokens;
      if (event.completionTokens !== undefined) bucket.completionTokens += event.completionTokens;
      if (event.e2eSeconds !== undefined) bucket.e2e.add(event.e2eSeconds);
    } else {
      this.withoutTimestamp++;
    }

    // Cut like the metrics' error_type label: a 10,000-character type must not fill the report.
    if (failed) m.countError(status, cutLabelValue(event.errorType ?? '', this.maxNameLength));
    this.bursts?.consume(event);
    const checker = this.checker;
    if (checker === undefined) return;
    if (event.output !== undefined) {
      m.qualityChecked++;
      const found = checker.check(event.output, status === 'success', event.jsonMode === true);
      if (found !== 0) countFindings(m.quality, found);
    }
    if (failed || event.level === 'ERROR' || event.level === 'FATAL') {
      (this.drain as Drain).add(event.errorMessage ?? fallbackMessage(event), t !== undefined ? t * 1000 : 0);
    }
  }
}
