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

  constructor(
    config: AnomalySignalsConfig,
    private readonly log: Logger,
    options: { clock?: () => number; client?: CompletionClient; healthy?: (baseUrl: string, signal: AbortSignal) => Promise<boolean> } = {},
  ) {
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
      onBurstStart: (i) => this.started(i),
      onBurstEnd: (i) => this.ended(i),
    });
  }

  private started(i: Incident): void {
    this.log.warn(
      { incident: i.id, model: i.model, reason: i.reason, lines: i.tally.lines, threshold_lines: i.thresholdLines, template_summary: i.templateSummary() },
      'error burst started',
    );
    this.summarizer?.request(i);
    this.alerts?.burstStarted(i);
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

  start(): void {
    this.consumer.start();
    this.alerts?.start();
  }

  /** Stop the timers, abort calls and posts in flight (bounded: aborted calls settle at once). */
  async stop(): Promise<void> {
    this.consumer.stop();
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
