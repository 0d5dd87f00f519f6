import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import type { EventConsumer } from './consumers/consumer.js';
import { RequestMetrics } from './consumers/metrics/request-metrics.js';
import { MetricsRegistry } from './exposition/registry.js';
import { requestCollectors } from './exposition/request-collectors.js';
import { selfCollectors, tailerCollectors } from './exposition/self-collectors.js';
import { createApp, listen } from './exposition/server.js';
import { RateLimitedLog } from './log/logger.js';
import { Pipeline } from './pipeline/pipeline.js';
import { FileTailer } from './sources/file-tailer.js';
import { HttpIngest } from './sources/http-ingest.js';
import type { Source } from './sources/source.js';
import { StreamSource } from './sources/stream-source.js';

/**
 * The whole data path for one configuration: sources → pipeline (decode) → consumers, and the
 * registry that exposes what the consumers aggregated. `run`, `demo` and `replay` all build it.
 */
export class Sidecar {
  readonly pipeline: Pipeline;
  readonly requestMetrics: RequestMetrics;
  readonly registry: MetricsRegistry;
  readonly sources: Source[] = [];
  readonly tailer: FileTailer | undefined;
  readonly ingest: HttpIngest | undefined;
  private server: Server | undefined;

  constructor(
    readonly config: Config,
    readonly log: Logger,
    options: { processMetrics?: boolean; consumers?: EventConsumer[] } = {},
  ) {
    this.requestMetrics = new RequestMetrics({
      labels: config.labels.allow,
      maxValuesPerLabel: config.labels.max_values,
      maxLabelValueLength: config.labels.max_value_length,
      buckets: config.buckets,
      exemplars: config.exemplars,
    });
    this.pipeline = new Pipeline(
      {
        preset: config.preset,
        mapping: config.mapping,
        defaultModel: config.default_model,
        limits: {
          maxDurationSeconds: config.limits.max_duration_seconds,
          maxTokens: config.limits.max_tokens,
          maxBytes: config.limits.max_gpu_memory_bytes,
        },
      },
      [this.requestMetrics, ...(options.consumers ?? [])],
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
          readChunkBytes: config.tail.read_chunk_bytes,
          readBudgetBytes: config.tail.read_budget_bytes,
        },
        this.pipeline,
        log,
      );
      this.sources.push(this.tailer);
    }
    if (config.inputs.includes('-')) this.sources.push(StreamSource.stdin(this.pipeline));
    if (config.web.enable_ingest) {
      this.ingest = new HttpIngest(this.pipeline, config.web.ingest_max_body_bytes);
      this.sources.push(this.ingest);
    }

    this.registry = new MetricsRegistry(options.processMetrics ?? true);
    for (const c of requestCollectors(this.requestMetrics)) this.registry.add(c);
    for (const c of selfCollectors(this.pipeline.stats, () => this.sources)) this.registry.add(c);
    if (this.tailer !== undefined) for (const c of tailerCollectors(this.tailer)) this.registry.add(c);
  }

  /** Open the inputs and serve HTTP. Resolves with the bound port. */
  async start(): Promise<number> {
    for (const s of this.sources) await s.start();
    const app = createApp(
      { listenAddress: this.config.web.listen_address, telemetryPath: this.config.web.telemetry_path, gzip: this.config.web.gzip },
      { registry: this.registry, sources: () => this.sources, ingest: this.ingest, log: this.log },
    );
    const { server, port } = await listen(app, this.config.web.listen_address);
    this.server = server;
    return port;
  }

  /** Stop reading, then stop serving; bounded so shutdown never hangs on a stuck client. */
  async stop(): Promise<void> {
    for (const s of this.sources) await s.stop();
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
}
