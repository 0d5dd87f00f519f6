import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { GpuCollector } from './collectors/gpu/collector.js';
import type { Config } from './config/schema.js';
import { AnomalySignals } from './consumers/anomaly/signals.js';
import type { EventConsumer } from './consumers/consumer.js';
import { decoderOptions } from './events/decoder-options.js';
import { RequestMetrics, type RequestMetricsOptions } from './consumers/metrics/request-metrics.js';
import { MetricsRegistry } from './exposition/registry.js';
import { requestCollectors } from './exposition/request-collectors.js';
import { selfCollectors, tailerCollectors } from './exposition/self-collectors.js';
import { createApp, listen } from './exposition/server.js';
import { tryLoadLiveAssets } from './exposition/live/assets.js';
import { LiveRecorder } from './exposition/live/recorder.js';
import { RateLimitedLog } from './log/logger.js';
import { Pipeline } from './pipeline/pipeline.js';
import { FileTailer, type TailerCheckpoint } from './sources/file-tailer.js';
import { HttpIngest } from './sources/http-ingest.js';
import { OtlpReceiver } from './sources/otlp/otlp-receiver.js';
import { otlpCollectors } from './exposition/otlp-collectors.js';
import { TokenBucket } from './exposition/web/limits.js';
import type { Source } from './sources/source.js';
import { StreamSource } from './sources/stream-source.js';
import { loadWebSecurity } from './exposition/web/web-config.js';
import { CheckpointStore } from './state/checkpoint-store.js';
import { Checkpointer } from './state/checkpointer.js';
import { checkpointParts, type CheckpointParts } from './state/parts.js';

/**
 * The whole data path for one configuration: sources → pipeline (decode) → consumers, the registry
 * that exposes what the consumers aggregated, and — with a state directory — the checkpoint that
 * makes counting exactly-once across restarts. `run`, `demo`, `replay` and `backfill` all build one.
 */
export class Sidecar {
  readonly pipeline: Pipeline;
  readonly requestMetrics: RequestMetrics;
  readonly registry: MetricsRegistry;
  readonly sources: Source[] = [];
  readonly tailer: FileTailer | undefined;
  readonly ingest: HttpIngest | undefined;
  readonly otlp: OtlpReceiver | undefined;
  readonly checkpointer: Checkpointer | undefined;
  readonly gpu: GpuCollector;
  /** Response-quality checks, error bursts and templates, the summarizer and alerts (issue 6). */
  readonly anomaly: AnomalySignals | undefined;
  /** Recent history for the live page (ui.enabled), sampled from the aggregates above. */
  readonly live: LiveRecorder | undefined;
  private readonly store: CheckpointStore | undefined;
  private server: Server | undefined;

  constructor(
    readonly config: Config,
    readonly log: Logger,
    options: {
      processMetrics?: boolean;
      consumers?: EventConsumer[];
      gpu?: boolean;
      /** replay: the anomaly signals follow the log's timestamps alone (replay, backfill). */
      timing?: 'live' | 'replay';
    } = {},
  ) {
    this.requestMetrics = new RequestMetrics(requestMetricsOptions(config));
    this.anomaly = config.anomaly.enabled ? new AnomalySignals(config, log, { timing: options.timing ?? 'live' }) : undefined;
    this.pipeline = new Pipeline(
      decoderOptions(config),
      [this.requestMetrics, ...(this.anomaly !== undefined ? [this.anomaly.consumer] : []), ...(options.consumers ?? [])],
      config.lines.max_bytes,
    );
    const problems = new RateLimitedLog(log);
    this.pipeline.stats.onProblem = (problem) => problems.warn(problem, { problem }, 'log line problem (counted; the line after it is read normally)');

    const files = config.inputs.filter((i) => i !== '-');
    if (files.length > 0) {
      this.tailer = new FileTailer(
        files,
        {
          fromBeginning: config.from_beginning,
          pollIntervalMs: config.tail.poll_interval_ms,
          batchMs: config.tail.batch_ms,
          readChunkBytes: config.tail.read_chunk_bytes,
          readBudgetBytes: config.tail.read_budget_bytes,
          rotateWaitMs: config.tail.rotate_wait_ms,
          fingerprintBytes: config.tail.fingerprint_bytes,
        },
        this.pipeline,
        log,
      );
      this.sources.push(this.tailer);
    }
    if (config.inputs.includes('-')) this.sources.push(StreamSource.stdin(this.pipeline));

    if (config.state_dir !== '') {
      this.store = new CheckpointStore(config.state_dir);
      this.checkpointer = new Checkpointer(
        this.store,
        () => ({
          metrics: this.requestMetrics.snapshot(),
          lines: this.pipeline.stats.snapshot(),
          spans: this.pipeline.spanStats.snapshot(),
          tailer: this.tailer?.checkpoint(),
          anomaly: this.anomaly?.snapshot(),
        }),
        () => this.pipeline.stats.total() + this.pipeline.spanStats.total() + (this.tailer?.changes ?? 0),
        config.checkpoint.interval_ms,
        log,
      );
    }
    if (config.web.enable_ingest) {
      // An acknowledged body must survive a crash: checkpoint before answering.
      this.ingest = new HttpIngest(this.pipeline, config.web.ingest_max_body_bytes, () => this.checkpointer?.checkpoint() ?? false);
      this.sources.push(this.ingest);
    }
    if (config.web.enable_otlp) {
      // Same promise as /ingest: the 200 goes out only after the counts are in the checkpoint.
      this.otlp = new OtlpReceiver(this.pipeline, {
        maxBodyBytes: config.web.otlp_max_body_bytes,
        bucket: new TokenBucket(config.web.otlp_max_requests_per_second),
        afterCount: () => this.checkpointer?.checkpoint() ?? false,
        stateful: this.checkpointer !== undefined,
      });
      this.sources.push(this.otlp);
    }

    this.registry = new MetricsRegistry(options.processMetrics ?? true);
    for (const c of requestCollectors(this.requestMetrics)) this.registry.add(c);
    for (const c of selfCollectors(this.pipeline.stats, () => this.sources)) this.registry.add(c);
    if (config.web.enable_otlp || config.preset === 'otlp') for (const c of otlpCollectors(this.pipeline.spanStats, this.otlp)) this.registry.add(c);
    if (this.tailer !== undefined) for (const c of tailerCollectors(this.tailer)) this.registry.add(c);
    if (this.checkpointer !== undefined) for (const c of this.checkpointer.collectors()) this.registry.add(c);
    if (this.anomaly !== undefined) for (const c of this.anomaly.collectors()) this.registry.add(c);

    // GPU metrics sit beside the pipeline: their own background runs, read at scrape time.
    this.gpu = new GpuCollector({
      enabled: options.gpu === false ? 'off' : config.gpu.enabled,
      mode: config.gpu.mode,
      intervalMs: config.gpu.interval_ms,
      timeoutMs: config.gpu.timeout_ms,
      processes: config.gpu.processes,
      nvidiaSmiPath: config.gpu.nvidia_smi_path,
      log,
    });
    for (const c of this.gpu.collectors()) this.registry.add(c);

    if (config.ui.enabled) {
      this.live = new LiveRecorder(
        {
          requests: this.requestMetrics,
          lines: this.pipeline.stats,
          files: this.tailer,
          gpu: this.gpu.active ? this.gpu.state : undefined,
          sources: () => this.sources,
        },
        { resolutionSeconds: config.ui.resolution_seconds, windowSeconds: config.ui.window_seconds },
      );
    }
  }

  /** Restore the checkpoint, open the inputs and serve HTTP. Resolves with the bound port. */
  async start(): Promise<number> {
    // Before anything opens: a bad web config file or an unauthenticated public /ingest is exit 2.
    const security = loadWebSecurity(this.config);
    // First: with gpu.enabled "on" and no nvidia-smi this throws before anything is opened.
    await this.gpu.start();
    const restored = this.restore();
    for (const s of this.sources) {
      if (s === this.tailer) await this.tailer.start(restored);
      else await s.start();
    }
    // Record where the inputs start at once: a crash before the first interval must not lose them.
    this.checkpointer?.start();
    this.checkpointer?.checkpoint(true);
    this.anomaly?.start();
    const liveAssets = this.live === undefined ? undefined : tryLoadLiveAssets(this.log);
    if (liveAssets !== undefined) this.live?.start();
    const app = createApp(
      {
        listenAddress: this.config.web.listen_address,
        telemetryPath: this.config.web.telemetry_path,
        gzip: this.config.web.gzip,
        security,
        healthzWithoutAuth: this.config.web.healthz_without_auth,
        maxConcurrentScrapes: this.config.web.max_concurrent_scrapes,
        ingestRatePerSecond: this.config.web.ingest_max_requests_per_second,
      },
      {
        registry: this.registry,
        sources: () => this.sources,
        ingest: this.ingest,
        otlp: this.otlp,
        log: this.log,
        // What was written before the scrape is in it (the tailer batches its reads), and on disk.
        beforeScrape: () => {
          this.tailer?.catchUp();
          this.checkpointer?.checkpoint();
        },
        incidents: this.anomaly,
        live: this.live !== undefined && liveAssets !== undefined ? { recorder: this.live, assets: liveAssets } : undefined,
      },
    );
    const { server, port } = await listen(app, this.config.web.listen_address, {
      tls: security.tls,
      headerTimeoutMs: this.config.web.header_timeout_ms,
      requestTimeoutMs: this.config.web.request_timeout_ms,
      keepAliveTimeoutMs: this.config.web.keep_alive_timeout_ms,
    });
    this.server = server;
    return port;
  }

  /** Stop reading, write the last checkpoint, then stop serving; bounded so it never hangs. */
  async stop(): Promise<void> {
    await this.gpu.stop();
    for (const s of this.sources) await s.stop();
    // Aborts a summary call in flight: shutdown never waits on the model endpoint.
    await this.anomaly?.stop();
    this.checkpointer?.stop();
    this.live?.stop();
    const server = this.server;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => {
        server.closeAllConnections();
        resolve();
      }, 2000).unref();
    });
  }

  /**
   * Restore the metrics into a throwaway aggregate first: a checkpoint that passes the shape checks
   * but still cannot be restored must be set aside whole, never half-applied to the live state.
   */
  private rehearseRestore(metrics: CheckpointParts['metrics']): string | undefined {
    try {
      new RequestMetrics(requestMetricsOptions(this.config)).restore(metrics);
      return undefined;
    } catch (err) {
      return `the metrics cannot be restored (${(err as Error).message})`;
    }
  }

  /**
   * Continue from the last checkpoint when there is one that fits: metrics and line counts now,
   * file positions returned for the tailer. One that does not fit is set aside, whole.
   */
  private restore(): TailerCheckpoint | undefined {
    if (this.store === undefined) return undefined;
    this.store.init();
    const checkpoint = this.store.load((reason, movedTo) => this.log.warn({ reason, moved_to: movedTo }, 'checkpoint unreadable; set aside, starting fresh'));
    if (checkpoint === undefined) return undefined;
    const parts = checkpointParts.safeParse(checkpoint.parts);
    const problem = parts.success
      ? (this.requestMetrics.incompatibility(parts.data.metrics) ??
        this.pipeline.stats.incompatibility(parts.data.lines) ??
        this.pipeline.spanStats.incompatibility(parts.data.spans) ??
        this.rehearseRestore(parts.data.metrics))
      : `unexpected contents (${parts.error.issues[0]?.path.join('.')}: ${parts.error.issues[0]?.message})`;
    if (problem !== undefined || !parts.success) {
      const movedTo = this.store.setAside();
      this.log.warn({ reason: problem, moved_to: movedTo }, 'checkpoint does not fit this configuration; set aside, starting fresh');
      return undefined;
    }
    this.requestMetrics.restore(parts.data.metrics);
    this.pipeline.stats.restore(parts.data.lines);
    this.pipeline.spanStats.restore(parts.data.spans);
    if (this.anomaly !== undefined && parts.data.anomaly !== undefined) {
      const skipped = this.anomaly.restore(parts.data.anomaly);
      if (skipped !== undefined) this.log.warn({ reason: skipped }, 'anomaly counters in the checkpoint do not fit; they start at 0');
    }
    this.log.info({ written_at: new Date(checkpoint.written_at * 1000).toISOString(), files: parts.data.tailer?.files.length ?? 0 }, 'continuing from checkpoint');
    return parts.data.tailer;
  }
}

function requestMetricsOptions(config: Config): RequestMetricsOptions {
  return {
    labels: config.labels.allow,
    maxValuesPerLabel: config.labels.max_values,
    maxLabelValueLength: config.labels.max_value_length,
    buckets: config.buckets,
    exemplars: config.exemplars,
  };
}
