import { z } from 'zod';
import { HISTOGRAM_KEYS, LABEL_NAMES, type HistogramKey, type LabelName } from '../consumers/metrics/definitions.js';
import { alertmanagerConfigSchema, anomalyConfigSchema } from '../consumers/anomaly/config.js';
import { mappingSpecSchema } from '../events/mapping-spec.js';
import { PRESET_NAMES } from '../events/presets.js';
import { summarizerConfigSchema } from '../summarizer/config.js';

/**
 * The one source of truth for configuration. Defaults, validation, the environment variable and
 * flag names (see ./sources.ts) and docs/configuration.md all derive from this schema.
 */

export const DEFAULT_PORT = 9838;

const LISTEN_ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/;

const listenAddress = z.string().refine(
  (s) => {
    const m = LISTEN_ADDRESS.exec(s);
    return m !== null && Number(m[2]) <= 65535;
  },
  { message: 'expected [host]:port with a port from 0 to 65535, e.g. ":9838" or "127.0.0.1:9838"' },
);

const positiveInt = (max = Number.MAX_SAFE_INTEGER) => z.number().int().positive().max(max);

export const configSchema = z
  .object({
    inputs: z
      .array(z.string().min(1))
      .default([])
      .describe('Log files to follow: paths, globs (/var/log/vllm/*.jsonl) or - for stdin.'),
    preset: z
      .enum(['auto', ...PRESET_NAMES, 'custom', 'otlp'])
      .default('auto')
      .describe('Log shape. `auto` picks a built-in preset per line by the fields present; `custom` uses `mapping`; `otlp`: each line is an OTLP JSON trace export (the OpenTelemetry Collector file exporter), read with `span_mapping`.'),
    mapping: mappingSpecSchema.optional().describe('Custom field mapping, used with preset `custom` (see README, "Custom mappings").'),
    span_mapping: mappingSpecSchema
      .optional()
      .describe('Which OpenTelemetry spans are requests and where their fields are (paths into a span: name, kind, status.code, attributes.<key>, resource.<key>; see docs/otlp.md). Absent: the built-in vLLM mapping.'),
    default_model: z.string().min(1).default('unknown').describe('Model label for lines that name no model (TGI, single-model servers).'),
    from_beginning: z
      .boolean()
      .default(false)
      .describe('On a first start (no checkpoint), read files that already exist from the start instead of their end.'),
    state_dir: z
      .string()
      .default('')
      .describe('Directory for the checkpoint (file positions and all metric state), for exactly-once counting across restarts. Empty: no checkpoints.'),
    checkpoint: z
      .object({
        interval_ms: positiveInt(60_000).default(10_000).describe('How often the checkpoint is written when something changed (it is also written before every scrape and at shutdown). After a crash, what was read since is read again, exactly once.'),
      })
      .strict()
      .prefault({}),
    web: z
      .object({
        listen_address: listenAddress.default(`:${DEFAULT_PORT}`).describe('Address to serve /metrics and the other endpoints on.'),
        telemetry_path: z
          .string()
          .regex(/^\/[A-Za-z0-9._~/-]*$/, { message: 'expected a URL path starting with /' })
          .default('/metrics')
          .describe('Path under which to expose metrics.'),
        enable_ingest: z.boolean().default(false).describe('Accept JSONL request bodies on POST /ingest.'),
        ingest_max_body_bytes: positiveInt(1 << 30)
          .default(10 * 1024 * 1024)
          .describe('Largest /ingest body; larger ones get 413 and nothing from them is counted.'),
        enable_otlp: z.boolean().default(false).describe('Accept OpenTelemetry trace exports (OTLP/HTTP, protobuf or JSON) on POST /v1/traces; each request span becomes one request event.'),
        otlp_max_body_bytes: positiveInt(1 << 30)
          .default(10 * 1024 * 1024)
          .describe('Largest /v1/traces body, before and after gzip; larger ones get 413 and nothing from them is counted.'),
        otlp_max_requests_per_second: positiveInt(1_000_000).default(100).describe('POST /v1/traces rate limit (token bucket, bursts up to the same number); past it, 429 with Retry-After (exporters retry).'),
        gzip: z.boolean().default(true).describe('Compress responses for clients that accept gzip.'),
        config_file: z
          .string()
          .default('')
          .describe('Web config file in the format of Prometheus\' exporter-toolkit (`tls_server_config`, `basic_auth_users` with bcrypt hashes); applies to every endpoint. Empty: plain HTTP, no authentication.'),
        healthz_without_auth: z.boolean().default(false).describe('Answer /healthz without basic auth (for probes that cannot send credentials); TLS still applies.'),
        ingest_max_requests_per_second: positiveInt(1_000_000).default(100).describe('POST /ingest rate limit (token bucket, bursts up to the same number); past it, 429.'),
        max_concurrent_scrapes: positiveInt(10_000).default(10).describe('Scrapes served at once; past it, 503 with Retry-After.'),
        header_timeout_ms: positiveInt(600_000).default(10_000).describe('A client must send its request headers within this time (slow-client protection).'),
        request_timeout_ms: positiveInt(3_600_000).default(60_000).describe('A client must send its whole request, body included, within this time.'),
        keep_alive_timeout_ms: positiveInt(3_600_000).default(65_000).describe('How long an idle keep-alive connection stays open.'),
      })
      .strict()
      .superRefine((w, ctx) => {
        if (w.header_timeout_ms > w.request_timeout_ms) {
          ctx.addIssue({ code: 'custom', path: ['header_timeout_ms'], input: w.header_timeout_ms, message: `expected at most web.request_timeout_ms (${w.request_timeout_ms})` });
        }
      })
      .prefault({}),
    ui: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe('Serve the live status page at / and its data at /api/series (`--web.disable-ui` turns both off, and the sampling with them; / then lists the endpoints).'),
        resolution_seconds: z.number().int().min(1).max(60).default(5).describe('The live page samples the metrics every this many seconds (one chart point each).'),
        window_seconds: z
          .number()
          .int()
          .min(60)
          .max(3600)
          .default(1800)
          .describe('History the live page keeps in memory and shows, in seconds (1 to 60 minutes).'),
      })
      .strict()
      .refine((u) => u.window_seconds >= 2 * u.resolution_seconds, { message: 'expected ui.window_seconds to be at least twice ui.resolution_seconds', path: ['window_seconds'] })
      .prefault({}),
    log: z
      .object({
        level: z.enum(['debug', 'info', 'warn', 'error']).default('info').describe('Minimum level of the sidecar\'s own log lines.'),
        format: z.enum(['json', 'logfmt']).default('json').describe('Format of the sidecar\'s own log lines (stderr).'),
      })
      .strict()
      .prefault({}),
    lines: z
      .object({
        max_bytes: positiveInt(1 << 30)
          .default(1024 * 1024)
          .describe('Longest accepted line; longer lines are discarded and counted as too_long.'),
      })
      .strict()
      .prefault({}),
    labels: z
      .object({
        allow: z
          .array(z.enum(LABEL_NAMES as [LabelName, ...LabelName[]]))
          .min(1)
          .refine((a) => new Set(a).size === a.length, { message: 'expected each label once' })
          .default(['model', 'status'])
          .describe(`Labels on the request metrics, from: ${LABEL_NAMES.join(', ')}.`),
        max_values: positiveInt(100_000)
          .default(100)
          .describe('Distinct values kept per label; later values fold into __other__ (counted).'),
        max_value_length: positiveInt(4096).default(128).describe('Label values are cut to this many characters.'),
      })
      .strict()
      .prefault({}),
    buckets: z
      .partialRecord(
        z.enum(HISTOGRAM_KEYS as [HistogramKey, ...HistogramKey[]]),
        z
          .array(z.number().finite())
          .min(1)
          .refine((b) => b.every((v, i) => i === 0 || v > (b[i - 1] as number)), { message: 'expected strictly increasing bucket bounds' }),
      )
      .default({})
      .describe(`Histogram bucket overrides (seconds or tokens) by histogram: ${HISTOGRAM_KEYS.join(', ')}.`),
    limits: z
      .object({
        max_duration_seconds: z.number().positive().default(86_400).describe('Durations above this are absurd: dropped and counted as out_of_range.'),
        max_tokens: positiveInt().default(10_000_000).describe('Token counts above this are dropped and counted as out_of_range.'),
        max_gpu_memory_bytes: z.number().positive().default(2 ** 44).describe('GPU memory values above this are dropped and counted as out_of_range.'),
      })
      .strict()
      .prefault({}),
    exemplars: z.boolean().default(true).describe('Attach the request id as an exemplar to latency buckets (OpenMetrics scrapes only).'),
    gpu: z
      .object({
        enabled: z
          .enum(['auto', 'on', 'off'])
          .default('auto')
          .describe('GPU metrics from nvidia-smi. `auto`: on when nvidia-smi is found, else off with one log line; `on`: a missing nvidia-smi is a startup error; `off`: never.'),
        mode: z
          .enum(['stream', 'poll'])
          .default('stream')
          .describe('`stream`: one long-running `nvidia-smi -lms` child, restarted with backoff; `poll`: one nvidia-smi run per interval.'),
        interval_ms: z.number().int().min(100).max(3_600_000).default(5000).describe('GPU sample period. A sample older than 3 intervals is not exported.'),
        timeout_ms: z
          .number()
          .int()
          .min(100)
          .max(600_000)
          .default(10_000)
          .describe("Hard limit on one nvidia-smi run (and on a stream's silence beyond one interval); then SIGTERM and SIGKILL to its process group."),
        processes: z.boolean().default(false).describe('Also report GPU memory per compute process (nvidia-smi --query-compute-apps each interval; the 64 largest).'),
        nvidia_smi_path: z.string().min(1).default('nvidia-smi').describe('The nvidia-smi to run: a name looked up on PATH, or a path.'),
      })
      .strict()
      .prefault({}),
    tail: z
      .object({
        poll_interval_ms: positiveInt(60_000).default(500).describe('How often files are stat-checked besides fs.watch events.'),
        batch_ms: z
          .number()
          .int()
          .nonnegative()
          .max(10_000)
          .default(1000)
          .describe('While a file is being written, read it this often instead of on every write (0: every write). Scrapes read what is there first, so /metrics stays fresh.'),
        read_chunk_bytes: positiveInt(64 << 20).default(1 << 20).describe('Bytes per read() call.'),
        read_budget_bytes: positiveInt(1 << 30)
          .default(8 << 20)
          .describe('Bytes one file may read per turn, so a backlog cannot stall scrapes or other files.'),
        rotate_wait_ms: z
          .number()
          .int()
          .nonnegative()
          .max(3_600_000)
          .default(5000)
          .describe('How long a rotated or deleted file is still read for lines its writer appends late.'),
        fingerprint_bytes: positiveInt(65_536).default(256).describe('Leading bytes that identify a file (with device and inode), so inode reuse is not mistaken for the same file.'),
      })
      .strict()
      .prefault({}),
    anomaly: anomalyConfigSchema.prefault({}),
    summarizer: summarizerConfigSchema.prefault({}),
    alertmanager: alertmanagerConfigSchema.prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.preset === 'custom' && c.mapping === undefined) {
      ctx.addIssue({ code: 'custom', path: ['mapping'], input: undefined, message: 'expected a mapping when preset is "custom"' });
    }
  });

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
