import { pino } from 'pino';
import { alertmanagerConfigSchema, anomalyConfigSchema } from '../../src/consumers/anomaly/config.js';
import type { Incident } from '../../src/consumers/anomaly/incidents.js';
import { AnomalySignals } from '../../src/consumers/anomaly/signals.js';
import { summarizerConfigSchema } from '../../src/summarizer/config.js';

export const silentLog = pino({ level: 'silent' });

export interface Harness {
  signals: AnomalySignals;
  clock: { now: number };
  started: () => Incident[];
}

/** Anomaly signals with a test clock, against a summarizer endpoint (and maybe an Alertmanager). */
export function harness(options: { baseURL?: string; summarizer?: Record<string, unknown>; alertmanager?: Record<string, unknown>; anomaly?: Record<string, unknown> } = {}): Harness {
  const clock = { now: Date.UTC(2025, 3, 5, 10, 0, 0) };
  const signals = new AnomalySignals(
    {
      anomaly: anomalyConfigSchema.parse({ burst: { new_template_repeats: 0 }, ...options.anomaly }),
      summarizer: summarizerConfigSchema.parse({
        base_url: options.baseURL ?? '',
        model: options.baseURL === undefined ? '' : 'Qwen/Qwen2.5-7B-Instruct',
        timeout_ms: 2000,
        max_retries: 0,
        rate_per_minute: 60,
        skip_when_same_server: false,
        ...options.summarizer,
      }),
      alertmanager: alertmanagerConfigSchema.parse(options.alertmanager ?? {}),
      labels: { max_values: 100, max_value_length: 128 },
    },
    silentLog,
    { clock: () => clock.now },
  );
  // The log's first line, at the clock's start: baselines count from here (event time).
  signals.consumer.consume({ status: 'success', model: 'first-line' });
  return { signals, clock, started: () => signals.consumer.incidents.list().reverse() };
}

/**
 * A quiet minute with one error in it, then `lines` error lines over `seconds` (default: 100 a
 * second), each message from `message(i)`. Returns the incident the burst opened.
 */
export function burst(h: Harness, model: string, lines: number, message: (i: number) => string, seconds = Math.max(1, lines / 100)): Incident {
  const before = h.signals.consumer.incidents.size;
  h.clock.now += 54_000;
  h.signals.consumer.consume({ status: 'error', model, errorMessage: 'warm-up error', errorType: 'engine_error' });
  h.clock.now += 6000;
  const step = (seconds * 1000) / lines;
  const t0 = h.clock.now;
  for (let i = 0; i < lines; i++) {
    h.clock.now = t0 + Math.floor(i * step);
    h.signals.consumer.consume({ status: i % 3 === 0 ? 'timeout' : 'error', model, errorMessage: message(i), errorType: i % 3 === 0 ? 'timeout' : 'oom' });
  }
  const list = h.signals.consumer.incidents.list();
  if (list.length !== before + 1) throw new Error(`expected one new incident, got ${list.length - before}`);
  return list[0] as Incident;
}

/** Let the burst end: ticks over a quiet minute. */
export function quiet(h: Harness, seconds = 90): void {
  for (let s = 0; s < seconds; s++) {
    h.clock.now += 1000;
    h.signals.consumer.tick();
  }
}

/** Letters-only words, so Drain keeps messages with different words in different templates. */
export const word = (n: number): string => n.toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[Number(d)] as string);
