import type { Logger } from 'pino';
import type { IncidentSource } from '../../exposition/incidents-api.js';
import type { Collector } from '../../exposition/registry.js';
import type { CompletionClient } from '../../summarizer/client.js';
import { summarizerEnabled, type SummarizerConfig } from '../../summarizer/config.js';
import { SummarizerMetrics } from '../../summarizer/metrics.js';
import { Summarizer } from '../../summarizer/summarizer.js';
import { AlertmanagerNotifier, AlertPostCounts } from './alertmanager.js';
import { AnomalyConsumer } from './anomaly-consumer.js';
import type { AnomalySignalsCheckpoint } from './checkpoint.js';
import type { AlertmanagerConfig, AnomalyConfig } from './config.js';
import { incidentView, type Incident, type IncidentView } from './incidents.js';

/**
 * Everything of issue 6 behind one object for the sidecar: the consumer (quality checks, bursts,
 * templates), the optional summarizer and Alertmanager notifier, their metrics, the incidents for
 * /api/incidents, and their part of the checkpoint. Bursts are logged here, one line when one
 * starts and one when it ends.
 *
 * Catching up never pages for the past: a burst found while the reader is more than
 * anomaly.event_time.notify_max_lag_seconds behind the log (a backlog after a restart, a first
 * start with --from-beginning, a tailer that fell behind) is recorded as an incident with its real
 * times, but the summarizer is asked and Alertmanager told only if it is still going once the
 * reader has caught up. One that ended before is marked `backlog` and never notified.
 */

export interface AnomalySignalsConfig {
  anomaly: AnomalyConfig;
  summarizer: SummarizerConfig;
  alertmanager: AlertmanagerConfig;
  labels: { max_values: number; max_value_length: number };
}

export class AnomalySignals implements IncidentSource {
  readonly consumer: AnomalyConsumer;
  readonly summarizer: Summarizer | undefined;
  readonly alerts: AlertmanagerNotifier | undefined;
  readonly summarizerMetrics = new SummarizerMetrics();
  readonly alertPosts = new AlertPostCounts();
  private readonly maxLagMs: number;
  private readonly replay: boolean;
  /** Bursts found while catching up, still going: notified if they last until the reader is live. */
  private readonly backlog = new Set<Incident>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    config: AnomalySignalsConfig,
    private readonly log: Logger,
    options: {
      clock?: () => number;
      client?: CompletionClient;
      healthy?: (baseUrl: string, signal: AbortSignal) => Promise<boolean>;
      timing?: 'live' | 'replay';
    } = {},
  ) {
    this.maxLagMs = config.anomaly.event_time.notify_max_lag_seconds * 1000;
    this.replay = options.timing === 'replay';
    const withSummarizer = summarizerEnabled(config.summarizer);
    if (withSummarizer) {
      this.summarizer = new Summarizer({
        config: config.summarizer,
        log,
        metrics: this.summarizerMetrics,
        ...(options.client !== undefined ? { client: options.client } : {}),
        ...(options.clock !== undefined ? { clock: options.clock } : {}),
        ...(options.healthy !== undefined ? { healthy: options.healthy } : {}),
      });
    }
    if (config.alertmanager.url !== '') {
      this.alerts = new AlertmanagerNotifier({
        url: config.alertmanager.url,
        resendIntervalMs: config.alertmanager.resend_interval_ms,
        timeoutMs: config.alertmanager.timeout_ms,
        waitForSummaryMs: withSummarizer ? config.summarizer.wait_for_summary_ms : 0,
        log,
        counts: this.alertPosts,
        ...(options.clock !== undefined ? { clock: options.clock } : {}),
      });
    }
    this.consumer = new AnomalyConsumer({
      config: config.anomaly,
      maxModels: config.labels.max_values,
      maxLabelLength: config.labels.max_value_length,
      summarizerEnabled: withSummarizer,
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
      ...(options.timing !== undefined ? { timing: options.timing } : {}),
      onBurstStart: (i) => this.started(i),
      onBurstEnd: (i) => this.ended(i),
    });
  }

  private started(i: Incident): void {
    this.log.warn(
      { incident: i.id, model: i.model, reason: i.reason, lines: i.tally.lines, threshold_lines: i.thresholdLines, template_summary: i.templateSummary() },
      'error burst started',
    );
    if (this.live()) this.notify(i);
    else {
      i.backlog = true;
      this.backlog.add(i);
    }
  }

  /** The reader is near the log's now (never in replay: old lines page no one). */
  private live(): boolean {
    return !this.replay && this.consumer.clock.lagMs() <= this.maxLagMs;
  }

  private notify(i: Incident): void {
    i.backlog = false;
    this.summarizer?.request(i);
    this.alerts?.burstStarted(i);
  }

  /** Move the log's clock on (ending quiet bursts); notify backlog bursts still going once caught up. */
  tick(): void {
    this.consumer.tick();
    if (this.backlog.size === 0) return;
    const live = this.live();
    for (const i of this.backlog) {
      if (i.status === 'resolved') {
        this.backlog.delete(i);
        if (!i.summarySettled) i.settleSummary({ status: 'skipped', reason: 'found while catching up on old lines; over before the reader caught up' }, null);
      } else if (live) {
        this.backlog.delete(i);
        this.notify(i);
      }
    }
  }

  private ended(i: Incident): void {
    this.log.info(
      { incident: i.id, model: i.model, lines: i.tally.lines, peak_window_lines: i.peakWindowLines, duration_seconds: Math.round(((i.endedAt ?? i.lastLineAt) - i.startedAt) / 1000) },
      'error burst ended',
    );
    this.alerts?.burstEnded(i);
  }

  collectors(): Collector[] {
    return [...this.consumer.collectors(), ...this.summarizerMetrics.collectors(), this.alertPosts.collector()];
  }

  list(): IncidentView[] {
    return this.consumer.incidents.list().map((i) => incidentView(i));
  }

  get(id: string): IncidentView | undefined {
    const i = this.consumer.incidents.get(id);
    return i === undefined ? undefined : incidentView(i);
  }

  /** Tick once a second (unref'd: it never keeps the process alive). */
  start(intervalMs = 1000): void {
    if (this.timer === undefined) {
      this.timer = setInterval(() => {
        try {
          this.tick();
        } catch {
          this.consumer.internalErrors++;
        }
      }, intervalMs);
      this.timer.unref();
    }
    this.alerts?.start();
  }

  /** Stop the timers, abort calls and posts in flight (bounded: aborted calls settle at once). */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.alerts?.stop();
    await this.summarizer?.stop();
  }

  snapshot(): AnomalySignalsCheckpoint {
    return { consumer: this.consumer.snapshot(), summarizer: this.summarizerMetrics.snapshot(), alertPosts: [...this.alertPosts.counts] };
  }

  /** Continue counting from a checkpoint; a problem (the label cap changed) leaves the counters fresh. */
  restore(state: AnomalySignalsCheckpoint): string | undefined {
    try {
      this.consumer.restore(state.consumer);
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
    this.summarizerMetrics.restore(state.summarizer);
    if (state.alertPosts.length === this.alertPosts.counts.length) this.alertPosts.counts.set(state.alertPosts);
    return undefined;
  }
}
