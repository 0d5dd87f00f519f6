import { z } from 'zod';
import type { InferenceEvent } from '../../events/event.js';
import { REQUEST_STATUSES } from '../../events/event.js';
import { single, type Collector, type Sample } from '../../exposition/registry.js';
import type { EventConsumer } from '../consumer.js';
import { CappedStates, LabelLimiter } from '../metrics/label-limiter.js';
import { BurstDetector, burstOptions, type BurstOptions } from './burst-detector.js';
import type { AnomalyConfig } from './config.js';
import { Drain } from './drain.js';
import { EventClock, RETIME_REASONS } from './event-clock.js';
import { Incident, IncidentStore, LEVEL_KIND_OFFSET, TemplateTally } from './incidents.js';
import { countFindings, QUALITY_CHECKS, QualityChecker } from './quality-checks.js';

/**
 * The anomaly consumer: response-quality counters, per-model error-burst detection, and Drain
 * templates of error messages, tied together into incidents.
 *
 * Per line (synchronous, on the hot path): a success line without output text costs two
 * comparisons; one with output runs the quality checks on the text; only ERROR/WARN lines
 * (status other than success/unknown, or level WARN/ERROR/FATAL) are clustered and counted for
 * bursts. Nothing of the event is kept: the model name (a short string) and, for incidents, a
 * redacted copy of at most two messages per template.
 */

export interface AnomalyConsumerOptions {
  config: AnomalyConfig;
  /** Cap on distinct model label values (labels.max_values) and their length. */
  maxModels: number;
  maxLabelLength: number;
  /** Whether incidents start with their summary pending (an endpoint is configured). */
  summarizerEnabled?: boolean;
  /** Wall clock, epoch ms (read time); injectable for tests. */
  clock?: () => number;
  /**
   * live (run, demo): read time guards the log's clock and ticks move it while the log is quiet.
   * replay (replay, report, backfill): the log's timestamps alone, so a file gives the same bursts
   * however fast and in however many chunks it is read.
   */
  timing?: 'live' | 'replay';
  /** Run the response-quality checks (the report runs its own). */
  qualityChecks?: boolean;
  onBurstStart?: (incident: Incident) => void;
  onBurstEnd?: (incident: Incident) => void;
}

/** Templates tracked per model between bursts (the lines that led up to one) and in one incident. */
const TEMPLATES_PER_TALLY = 50;

class ModelState {
  readonly quality = new Float64Array(QUALITY_CHECKS.length);
  consecutiveEmpty = 0;
  bursts = 0;
  detector: BurstDetector | undefined;
  /** Templates of the current and the previous window: what an incident starts with. */
  current: TemplateTally;
  previous: TemplateTally;
  currentSince = 0;
  incident: Incident | undefined;
  constructor(readonly model: string) {
    this.current = new TemplateTally(TEMPLATES_PER_TALLY);
    this.previous = new TemplateTally(TEMPLATES_PER_TALLY);
  }
}

export const anomalyPart = z.object({
  limiter: z.object({ names: z.array(z.string()), admitted: z.array(z.array(z.tuple([z.string(), z.string()]))), folded: z.array(z.number()) }),
  models: z.array(z.object({ model: z.string(), quality: z.array(z.number()), consecutiveEmpty: z.number(), bursts: z.number() })),
  /** Event-clock counters (absent in checkpoints from before event time). */
  retimed: z.array(z.number()).optional(),
  jumps: z.array(z.number()).optional(),
});
export type AnomalyCheckpoint = z.output<typeof anomalyPart>;

/** WARN/ERROR/FATAL (levels arrive normalized) as an offset into the level kinds; -1 for others. */
function levelKind(level: string | undefined): number {
  switch (level) {
    case 'WARN':
      return 0;
    case 'ERROR':
      return 1;
    case 'FATAL':
      return 2;
    default:
      return -1;
  }
}

export class AnomalyConsumer implements EventConsumer {
  readonly limiter: LabelLimiter;
  readonly drain: Drain;
  readonly incidents: IncidentStore;
  private readonly checker: QualityChecker;
  /** Per model, under the label cap. */
  private readonly states: CappedStates<ModelState>;
  private readonly burst: BurstOptions;
  private readonly windowMs: number;
  private readonly newTemplateRepeats: number;
  /** The log's clock: every line's time, and now. */
  readonly clock: EventClock;
  private readonly checkQuality: boolean;
  /** Errors thrown inside the anomaly path (a bug): counted, never allowed to stop a line. */
  internalErrors = 0;

  constructor(private readonly options: AnomalyConsumerOptions) {
    const c = options.config;
    this.limiter = new LabelLimiter(['model'], options.maxModels, options.maxLabelLength);
    this.states = new CappedStates(this.limiter, 0, (model) => new ModelState(model));
    this.drain = new Drain({ similarity: c.template_similarity, maxClusters: c.max_templates });
    this.incidents = new IncidentStore(c.max_incidents);
    this.checker = new QualityChecker(c);
    const t = c.event_time;
    this.burst = burstOptions(c.burst, t.late_seconds * 1000);
    this.windowMs = c.burst.window_seconds * 1000;
    this.newTemplateRepeats = c.burst.new_template_repeats;
    this.checkQuality = options.qualityChecks ?? true;
    this.clock = new EventClock({
      mode: options.timing ?? 'live',
      maxFutureMs: t.max_future_seconds * 1000,
      jumpMs: t.jump_seconds * 1000,
      wall: options.clock ?? Date.now,
    });
  }

  consume(event: InferenceEvent): void {
    // Every line moves the log's clock, errors or not: quiet stretches are part of each baseline.
    const at = this.clock.place(event.timestamp, this.onBackwardJump);
    const status = event.status;
    const statusError = status !== 'success' && status !== 'unknown';
    const levelErr = levelKind(event.level);
    const output = this.checkQuality ? event.output : undefined;
    if (output === undefined && !statusError && levelErr < 0) return;

    const m = this.states.for(event.model ?? '');
    if (output !== undefined) {
      const found = this.checker.check(output, status === 'success', event.jsonMode === true);
      if (found !== 0) this.countQuality(m, found);
      else if (status === 'success') m.consecutiveEmpty = 0;
    }
    if (statusError || levelErr >= 0) {
      try {
        this.onErrorLine(m, event, statusError ? REQUEST_STATUSES.indexOf(status) : LEVEL_KIND_OFFSET + levelErr, at);
      } catch {
        this.internalErrors++;
      }
    }
  }

  private countQuality(m: ModelState, found: number): void {
    if (countFindings(m.quality, found)) m.consecutiveEmpty++;
    else m.consecutiveEmpty = 0;
  }

  /** One ERROR/WARN line of model `m`, logged at `at` (epoch ms, at most the clock's now). */
  private onErrorLine(m: ModelState, event: InferenceEvent, kind: number, at: number): void {
    const now = this.clock.now;
    const message = event.errorMessage ?? fallbackMessage(event);
    const cluster = this.drain.add(message, at);
    this.rotate(m, now);

    const detector = (m.detector ??= new BurstDetector(this.burst, now, this.clock.origin));
    // Time first: a burst that went quiet ends before this line is counted (it may start the next).
    if (detector.advance(now)) this.end(m, now);
    const started = detector.record(at);
    if (m.incident !== undefined) {
      m.incident.tally.add(cluster, kind, event.errorType, message, at);
      if (at > m.incident.lastLineAt) m.incident.lastLineAt = at;
      if (detector.peakWindow > m.incident.peakWindowLines) m.incident.peakWindowLines = detector.peakWindow;
      return;
    }
    m.current.add(cluster, kind, event.errorType, message, at);
    // A template first seen after the first window (before, every template is new) that keeps
    // repeating starts a burst by itself.
    if (
      !started &&
      this.newTemplateRepeats > 0 &&
      cluster.createdAt >= this.clock.origin + this.windowMs &&
      now - cluster.createdAt <= this.windowMs &&
      m.current.countOf(cluster.id) + m.previous.countOf(cluster.id) >= this.newTemplateRepeats &&
      detector.force()
    ) {
      this.begin(m, detector, at, 'new_template');
      return;
    }
    if (started) this.begin(m, detector, at, 'rate');
  }

  /**
   * The log's clock was set back (confirmed by two lines): what was open on the old timeline is
   * over — a burst ends at its last line — and every model starts a new timeline there.
   */
  private readonly onBackwardJump = (_from: number, to: number): void => {
    for (const m of this.states.values()) {
      if (m.detector === undefined) continue;
      if (m.incident !== undefined) this.end(m, m.incident.lastLineAt);
      m.detector.rebase(to);
      m.previous = new TemplateTally(TEMPLATES_PER_TALLY);
      m.current = new TemplateTally(TEMPLATES_PER_TALLY);
      m.currentSince = to;
    }
  };

  private begin(m: ModelState, detector: BurstDetector, now: number, reason: 'rate' | 'new_template'): void {
    const c = this.options.config;
    const incident = new Incident(
      this.incidents.nextId(now),
      m.model,
      reason,
      now,
      detector.threshold(),
      detector.baselinePerMinute(),
      c.burst.window_seconds,
      TEMPLATES_PER_TALLY,
      this.options.summarizerEnabled ?? false,
    );
    // The lines that led up to the burst belong to it.
    incident.tally.mergeFrom(m.previous);
    incident.tally.mergeFrom(m.current);
    incident.peakWindowLines = detector.peakWindow;
    m.previous = new TemplateTally(TEMPLATES_PER_TALLY);
    m.current = new TemplateTally(TEMPLATES_PER_TALLY);
    m.currentSince = now;
    m.incident = incident;
    m.bursts++;
    this.incidents.add(incident);
    this.options.onBurstStart?.(incident);
  }

  /** Start a new template generation each window, so the pre-burst tallies cover one to two windows. */
  private rotate(m: ModelState, now: number): void {
    if (now - m.currentSince < this.windowMs) return;
    m.previous = now - m.currentSince < 2 * this.windowMs ? m.current : new TemplateTally(TEMPLATES_PER_TALLY);
    m.current = new TemplateTally(TEMPLATES_PER_TALLY);
    m.currentSince = now;
  }

  /**
   * Advance every model to the log's now (moved on by the wall clock in live mode): close buckets
   * and end bursts after their quiet period.
   */
  tick(): void {
    this.advanceAll(this.clock.tick());
  }

  private advanceAll(now: number): void {
    if (Number.isNaN(now)) return;
    for (const m of this.states.values()) {
      if (m.detector === undefined) continue;
      this.rotate(m, now);
      if (m.detector.advance(now)) this.end(m, now);
    }
  }

  private end(m: ModelState, now: number): void {
    const incident = m.incident;
    if (incident === undefined) return;
    m.incident = undefined;
    incident.status = 'resolved';
    incident.endedAt = now;
    this.options.onBurstEnd?.(incident);
  }

  /**
   * The log has ended (report): move the clock on, bucket by bucket, until every burst has gone
   * quiet, so each incident gets the end it would have had if nothing more was logged.
   */
  finish(): void {
    const start = this.clock.now;
    if (Number.isNaN(start)) return;
    const o = this.burst;
    const horizon = start + o.lateMs + (o.windowBuckets + 1) * o.bucketMs + o.quietMs;
    for (let t = start; this.anyBurst() && t <= horizon + o.bucketMs; t += o.bucketMs) this.advanceAll(t);
  }

  private anyBurst(): boolean {
    for (const m of this.states.values()) if (m.incident !== undefined) return true;
    return false;
  }

  /** The active burst of a model (by label value), if any. */
  activeIncident(model: string): Incident | undefined {
    return this.states.get(model)?.incident;
  }

  /** Counters and the label cap, for the checkpoint (incidents and detector state are not kept). */
  snapshot(): AnomalyCheckpoint {
    return {
      limiter: this.limiter.snapshot(),
      models: [...this.states.values()].map((m) => ({ model: m.model, quality: [...m.quality], consecutiveEmpty: m.consecutiveEmpty, bursts: m.bursts })),
      retimed: [...this.clock.retimed],
      jumps: [...this.clock.jumps],
    };
  }

  restore(state: AnomalyCheckpoint): void {
    this.limiter.restore(state.limiter);
    this.states.clear();
    for (const s of state.models) {
      // Cut to this configuration's length; models that become one name are added up.
      const model = this.limiter.readmit(s.model);
      const known = this.states.get(model);
      const m = known ?? new ModelState(model);
      if (s.quality.length === QUALITY_CHECKS.length) s.quality.forEach((v, i) => (m.quality[i]! += v));
      m.consecutiveEmpty = Math.max(m.consecutiveEmpty, s.consecutiveEmpty);
      m.bursts += s.bursts;
      if (known === undefined) this.states.set(model, m);
    }
    if (state.retimed?.length === this.clock.retimed.length) this.clock.retimed.set(state.retimed);
    if (state.jumps?.length === this.clock.jumps.length) this.clock.jumps.set(state.jumps);
  }

  collectors(): Collector[] {
    const models = () => [...this.states.values()];
    return [
      {
        name: 'llmtail_response_quality_issues_total',
        help: 'Responses that failed a quality check, by model and check (empty_response, malformed_json in JSON mode, sensitive_data, jailbreak_phrase). Only counts: the text never leaves the sidecar.',
        type: 'counter',
        collect: () => {
          const out: Sample[] = [];
          for (const m of models()) QUALITY_CHECKS.forEach((check, i) => out.push({ value: m.quality[i] as number, labels: { model: m.model, check } }));
          return out;
        },
      },
      {
        name: 'llmtail_consecutive_empty_responses',
        help: 'Successful responses in a row with empty text, per model (0 after a non-empty one).',
        type: 'gauge',
        collect: () => models().map((m) => ({ value: m.consecutiveEmpty, labels: { model: m.model } })),
      },
      {
        name: 'llmtail_error_bursts_total',
        help: 'Error bursts detected, per model (see /api/incidents).',
        type: 'counter',
        collect: () => models().map((m) => ({ value: m.bursts, labels: { model: m.model } })),
      },
      {
        name: 'llmtail_error_burst_in_progress',
        help: 'Whether an error burst is in progress for the model (1) or not (0).',
        type: 'gauge',
        collect: () => models().map((m) => ({ value: m.incident === undefined ? 0 : 1, labels: { model: m.model } })),
      },
      {
        name: 'llmtail_event_time_retimed_lines_total',
        help: "Request lines the anomaly signals did not time by their own timestamp, by reason: no_timestamp (timed at the log clock's now), ahead_of_read_time (the server clock is fast), unconfirmed_jump (one line far from the log clock).",
        type: 'counter',
        collect: () => RETIME_REASONS.map((reason, i) => ({ value: this.clock.retimed[i] as number, labels: { reason } })),
      },
      {
        name: 'llmtail_event_clock_jumps_total',
        help: "Jumps of the log's clock confirmed by a second line (a gap, a restart with the clock set back, another file), by direction.",
        type: 'counter',
        collect: () => [
          { value: this.clock.jumps[0] as number, labels: { direction: 'forward' } },
          { value: this.clock.jumps[1] as number, labels: { direction: 'backward' } },
        ],
      },
      {
        name: 'llmtail_error_templates',
        help: 'Error message templates currently kept by the Drain clusterer (at most anomaly.max_templates).',
        type: 'gauge',
        collect: () => single(this.drain.size),
      },
    ];
  }
}

/** Lines without an error message still get a template: their status and error type. */
export function fallbackMessage(event: InferenceEvent): string {
  if (event.errorType !== undefined) return `${event.status} ${event.errorType}`;
  if (event.status === 'success' || event.status === 'unknown') return `level ${event.level ?? 'unknown'}`;
  return event.status;
}
