import type { RequestStatus } from './event.js';

/**
 * Status normalization: whatever a server writes ("OK", "failed", 504, "ERROR") folds into the
 * small fixed set of RequestStatus, so the `status` label stays bounded and comparable across
 * presets.
 */

const WORDS = new Map<string, RequestStatus>();
function words(status: RequestStatus, ...values: string[]): void {
  for (const v of values) WORDS.set(v, status);
}
words('success', 'success', 'succeeded', 'successful', 'ok', 'completed', 'complete', 'done', 'finished', 'stop', 'length');
words('error', 'error', 'err', 'failed', 'failure', 'fail', 'internal_error', 'server_error', 'exception', 'oom', 'crashed');
words('timeout', 'timeout', 'timed_out', 'timedout', 'deadline_exceeded', 'gateway_timeout');
words('cancelled', 'cancelled', 'canceled', 'aborted', 'abort', 'client_disconnected', 'disconnected');
words('rejected', 'rejected', 'rate_limited', 'throttled', 'overloaded', 'too_many_requests', 'queue_full', 'unavailable');
words('client_error', 'client_error', 'invalid_request', 'bad_request', 'validation_error', 'invalid');

/**
 * Statuses that fail server-side: what "failed" means on the live page, the dashboards, the SLO
 * ("without a server-side failure") and the report's failed-requests series. Client errors and
 * cancellations are the client's doing and are not counted.
 */
export const SERVER_FAILURE_STATUSES: readonly RequestStatus[] = ['error', 'timeout', 'rejected'];

/** Whether a status is a server-side failure (SERVER_FAILURE_STATUSES). */
export function isServerFailure(status: RequestStatus): boolean {
  return SERVER_FAILURE_STATUSES.includes(status);
}

/** A status word ("Failed", "timed-out") or a numeric code (HTTP). */
export function statusFromValue(raw: unknown): RequestStatus | undefined {
  if (typeof raw === 'number') return statusFromHttpCode(raw);
  if (typeof raw !== 'string' || raw.length === 0) return undefined;
  const direct = WORDS.get(raw);
  if (direct !== undefined) return direct;
  const key = raw.trim().toLowerCase().replace(/[\s-]+/g, '_');
  const word = WORDS.get(key);
  if (word !== undefined) return word;
  if (/^\d{3}$/.test(key)) return statusFromHttpCode(Number(key));
  return 'unknown';
}

export function statusFromHttpCode(code: number): RequestStatus | undefined {
  if (!Number.isInteger(code) || code < 100 || code > 599) return undefined;
  if (code < 400) return 'success';
  if (code === 408 || code === 504) return 'timeout';
  if (code === 499) return 'cancelled';
  if (code === 429 || code === 503) return 'rejected';
  if (code < 500) return 'client_error';
  return 'error';
}

/** Normalized level name: upper case, with the common synonyms folded. */
export function normalizeLevel(raw: unknown): string | undefined {
  if (typeof raw === 'number') return pinoLevel(raw);
  if (typeof raw !== 'string' || raw.length === 0) return undefined;
  // A log uses a handful of level spellings: normalize each once, not on every line.
  let level = LEVEL_CACHE.get(raw);
  if (level === undefined) {
    level = normalizeLevelName(raw.toUpperCase());
    if (LEVEL_CACHE.size < 64) LEVEL_CACHE.set(raw, level);
  }
  return level;
}
const LEVEL_CACHE = new Map<string, string>();

function normalizeLevelName(upper: string): string {
  switch (upper) {
    case 'WARNING':
      return 'WARN';
    case 'ERR':
      return 'ERROR';
    case 'CRITICAL':
    case 'CRIT':
    case 'PANIC':
      return 'FATAL';
    default:
      return upper;
  }
}

/** pino/bunyan numeric levels. */
function pinoLevel(n: number): string | undefined {
  if (n >= 60) return 'FATAL';
  if (n >= 50) return 'ERROR';
  if (n >= 40) return 'WARN';
  if (n >= 30) return 'INFO';
  if (n >= 20) return 'DEBUG';
  if (n >= 10) return 'TRACE';
  return undefined;
}

/** What a request line's level says about its outcome, when nothing better is logged. */
export function statusFromLevel(level: string): RequestStatus {
  return level === 'ERROR' || level === 'FATAL' ? 'error' : 'success';
}
