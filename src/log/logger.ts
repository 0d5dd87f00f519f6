import { pino, type Logger } from 'pino';

export type LogFormat = 'json' | 'logfmt';

/**
 * The sidecar's own log: pino to stderr (stdout belongs to `replay` output), JSON by default or
 * logfmt like other Prometheus exporters. Logs are rare (one line per notable event), so the
 * logfmt re-encoding costs nothing that matters.
 */
export function createLogger(level: string, format: LogFormat, destination: NodeJS.WritableStream = process.stderr): Logger {
  const stream =
    format === 'json'
      ? destination
      : { write: (line: string) => destination.write(toLogfmt(JSON.parse(line) as Record<string, unknown>)) };
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Secrets that may sit in config objects or errors never reach the log.
      redact: { paths: ['*.api_key', '*.apiKey', '*.password', '*.authorization', 'headers.authorization'], censor: '[redacted]' },
    },
    stream,
  );
}

export function toLogfmt(record: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(record)) {
    if (v === undefined) continue;
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    parts.push(`${k}=${/^[^\s"=]+$/.test(s) ? s : JSON.stringify(s)}`);
  }
  return `${parts.join(' ')}\n`;
}

/**
 * Logs a recurring problem at most once per interval per key, with how many were suppressed, so a
 * flood of bad lines cannot flood the log.
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(key: string, fields: Record<string, unknown>, msg: string): void {
    const t = this.now();
    const entry = this.last.get(key);
    if (entry !== undefined && t - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.last.set(key, { at: t, suppressed: 0 });
    this.log.warn(suppressed > 0 ? { ...fields, suppressed } : fields, msg);
  }
}
