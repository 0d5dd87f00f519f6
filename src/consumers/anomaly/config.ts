import { z } from 'zod';
import { BUILTIN_SENSITIVE } from './sensitive.js';

/**
 * The `anomaly` and `alertmanager` configuration sections. They live beside the code that reads
 * them and are mounted into the one configuration schema (src/config/schema.ts), so defaults,
 * environment variables and the README reference still come from a single place.
 */

const positiveInt = (max = Number.MAX_SAFE_INTEGER) => z.number().int().positive().max(max);

/** A sensitive pattern is a built-in detector's name or a regular expression that must compile. */
const sensitivePattern = z
  .string()
  .min(1)
  .refine(
    (s) => {
      if ((BUILTIN_SENSITIVE as readonly string[]).includes(s)) return true;
      try {
        new RegExp(s, 'u');
        return true;
      } catch {
        return false;
      }
    },
    { message: `expected a built-in pattern (${BUILTIN_SENSITIVE.join(', ')}) or a valid regular expression` },
  );

/**
 * Prompt-injection and prompt-leak phrases seen in responses. The first three come from seed 001's
 * compliance rules; the seed's "你是一个程序员" is left out: it is the seed's own system prompt —
 * add the opening words of yours to catch leaks of it.
 */
export const DEFAULT_JAILBREAK_PHRASES = [
  '忽略上述指令',
  '忽略之前的指令',
  'ignore previous instructions',
  'ignore all previous instructions',
  'ignore the above instructions',
  'system prompt',
] as const;

export const burstConfigSchema = z
  .object({
    bucket_seconds: positiveInt(3600).default(5).describe('Error lines are counted per model in buckets of this many seconds.'),
    window_seconds: positiveInt(86_400).default(30).describe('The recent window a burst is judged on (a whole number of buckets).'),
    min_lines: positiveInt().default(20).describe('A burst needs at least this many ERROR/WARN lines in the window.'),
    factor: z.number().min(1).max(1e6).default(5).describe('…and at least this many times the baseline (the EWMA of lines per bucket, scaled to the window).'),
    ewma_alpha: z.number().positive().max(1).default(0.02).describe('Weight of each closed bucket in the baseline; the baseline is frozen during a burst.'),
    quiet_seconds: positiveInt(86_400).default(20).describe('A burst ends once the window has stayed below the start threshold this long.'),
    new_template_repeats: z
      .number()
      .int()
      .nonnegative()
      .default(10)
      .describe('An error template first seen within the window that repeats this often starts a burst on its own (0: off).'),
  })
  .strict()
  .refine((b) => b.window_seconds % b.bucket_seconds === 0 && b.window_seconds / b.bucket_seconds <= 1440, {
    message: 'expected window_seconds to be a multiple of bucket_seconds, with at most 1440 buckets',
  });

export const eventTimeConfigSchema = z
  .object({
    late_seconds: z
      .number()
      .int()
      .nonnegative()
      .max(3600)
      .default(10)
      .describe("A burst bucket stays open this long after its end (on the log's clock) for lines logged out of order."),
    max_future_seconds: z
      .number()
      .int()
      .nonnegative()
      .max(86_400)
      .default(60)
      .describe('Live: a line stamped further ahead of read time is timed at read time (a fast or broken server clock).'),
    jump_seconds: positiveInt(30 * 86_400)
      .default(300)
      .describe("A line this far from the log's clock moves it only when the next line agrees (a gap, a clock set back); alone it is a stray."),
    notify_max_lag_seconds: z
      .number()
      .int()
      .nonnegative()
      .max(30 * 86_400)
      .default(300)
      .describe('Alerts and summaries only for bursts detected while the reader is at most this far behind the log (catching up never pages for the past).'),
  })
  .strict();

export const anomalyConfigSchema = z
  .object({
    enabled: z.boolean().default(true).describe('Response-quality checks, error-burst detection and error templates (/api/incidents).'),
    sensitive_patterns: z
      .array(sensitivePattern)
      .default(['email', 'card_number', 'api_key'])
      .describe(`Sensitive data counted in responses: built-in detectors (${BUILTIN_SENSITIVE.join(', ')}) or regular expressions.`),
    jailbreak_phrases: z
      .array(z.string().min(1))
      .default([...DEFAULT_JAILBREAK_PHRASES])
      .describe('Jailbreak and prompt-leak phrases counted in responses (case-insensitive).'),
    max_output_chars: positiveInt(1 << 24)
      .default(65_536)
      .describe('Responses are scanned for sensitive data and phrases up to this many characters; JSON mode checks skip longer ones.'),
    burst: burstConfigSchema
      .prefault({})
      .describe(
        'Error-burst detection (config file only): bucket_seconds (5), window_seconds (30), min_lines (20), factor (5), ewma_alpha (0.02), quiet_seconds (20), new_template_repeats (10). See docs/anomaly.md.',
      ),
    event_time: eventTimeConfigSchema
      .prefault({})
      .describe(
        "The log's clock for bursts and incidents (config file only): late_seconds (10), max_future_seconds (60), jump_seconds (300), notify_max_lag_seconds (300). See docs/anomaly.md.",
      ),
    template_similarity: z.number().min(0).max(1).default(0.5).describe('Drain similarity an error message needs to join a template.'),
    max_templates: positiveInt(100_000).default(1000).describe('Error templates kept; the least recently seen is dropped beyond this.'),
    max_incidents: positiveInt(10_000).default(50).describe('Bursts kept for /api/incidents; the oldest finished ones are dropped beyond this.'),
  })
  .strict();

export const alertmanagerConfigSchema = z
  .object({
    url: z
      .string()
      .refine((s) => s === '' || /^https?:\/\/[^\s/]+/.test(s), { message: 'expected an http(s) URL, e.g. http://alertmanager:9093, or empty' })
      .default('')
      .describe('Alertmanager to post burst alerts to (its v2 API, /api/v2/alerts is appended). Empty: no alerts.'),
    resend_interval_ms: positiveInt(3_600_000).default(60_000).describe('How often a firing alert is re-sent while its burst lasts.'),
    timeout_ms: positiveInt(600_000).default(5000).describe('Limit on one post to Alertmanager.'),
  })
  .strict();

export type AnomalyConfig = z.output<typeof anomalyConfigSchema>;
export type BurstConfig = z.output<typeof burstConfigSchema>;
export type EventTimeConfig = z.output<typeof eventTimeConfigSchema>;
export type AlertmanagerConfig = z.output<typeof alertmanagerConfigSchema>;
