/**
 * Parsers that turn one raw JSON value into a number in base units, or say why they cannot.
 * Each returns a number on success and a FieldProblem string otherwise: no exceptions and no
 * allocation on the hot path.
 */

export const FIELD_PROBLEMS = ['wrong_type', 'unparseable', 'negative', 'out_of_range', 'not_integer'] as const;
export type FieldProblem = (typeof FIELD_PROBLEMS)[number];

export const DURATION_UNITS = ['ns', 'us', 'ms', 's', 'duration'] as const;
export type DurationUnit = (typeof DURATION_UNITS)[number];
export const LIST_MODES = ['last', 'sum'] as const;
export type ListMode = (typeof LIST_MODES)[number];
export const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'KiB', 'MiB', 'GiB'] as const;
export type ByteUnit = (typeof BYTE_UNITS)[number];
export const TIMESTAMP_FORMATS = ['auto', 'epoch_s', 'epoch_ms', 'epoch_us', 'epoch_ns', 'iso8601'] as const;
export type TimestampFormat = (typeof TIMESTAMP_FORMATS)[number];

// Divisors, not factors: 1876 / 1e3 is exactly 1.876, while 1876 * 1e-3 is 1.8760000000000001.
const DURATION_DIVISOR: Record<Exclude<DurationUnit, 'duration'>, number> = { ns: 1e9, us: 1e6, ms: 1e3, s: 1 };
const BYTE_SCALE: Record<ByteUnit, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};

/** A number, or a string holding only a finite decimal number ("1240", " 3.5 "). */
export function toNumber(raw: unknown): number | FieldProblem {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : 'unparseable';
  if (typeof raw === 'string') {
    // Number('') is 0 and Number('0x1f') is 31: accept only plain decimal notation.
    if (!NUMERIC.test(raw)) return 'unparseable';
    const n = Number(raw);
    return Number.isFinite(n) ? n : 'unparseable'; // "1e400" overflows
  }
  return 'wrong_type';
}
const NUMERIC = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/**
 * One value from a string holding several, as nginx writes a value per upstream attempt:
 * "0.001, 2.609" (next peer) or "0.5 : 1.2" (internal redirect). `last` is the attempt that
 * answered; `sum` adds every attempt. "-" (no such phase) is absent when last and skipped in a sum.
 * Anything but such a string is returned as it is.
 */
export function fromList(raw: unknown, mode: ListMode): unknown {
  if (typeof raw !== 'string' || (raw.indexOf(',') === -1 && raw.indexOf(':') === -1)) return raw;
  const items = raw.split(/[,:]/);
  if (mode === 'last') {
    const last = (items[items.length - 1] as string).trim();
    return last === '-' || last === '' ? undefined : last;
  }
  let sum = 0;
  let any = false;
  for (const item of items) {
    const t = item.trim();
    if (t === '-' || t === '') continue;
    const n = toNumber(t);
    if (typeof n === 'string') return raw; // left to the field's parser, which names the problem
    sum += n;
    any = true;
  }
  return any ? sum : undefined;
}

/**
 * Seconds from a number in `unit`, or from a duration string as Rust's `Debug` for `Duration`
 * (TGI) and Go print them: "357.867572ms", "49.382µs", "1.2s", "1m30s", "250ns".
 */
export function toSeconds(raw: unknown, unit: DurationUnit, maxSeconds: number): number | FieldProblem {
  let seconds: number;
  if (typeof raw === 'string' && hasUnitSuffix(raw)) {
    const parsed = parseDurationString(raw);
    if (parsed === undefined) return 'unparseable';
    seconds = parsed;
  } else {
    if (unit === 'duration') return typeof raw === 'string' ? 'unparseable' : 'wrong_type';
    const n = toNumber(raw);
    if (typeof n === 'string') return n;
    seconds = n / DURATION_DIVISOR[unit];
  }
  if (seconds < 0) return 'negative';
  // Written so that NaN fails too.
  if (!(seconds <= maxSeconds)) return 'out_of_range';
  return seconds;
}

function hasUnitSuffix(s: string): boolean {
  const last = s.charCodeAt(s.length - 1);
  return (last >= 97 && last <= 122) || last === 181 /* µ */ || last === 956; /* μ */
}

/**
 * "1h2m3.5s" → 3723.5; undefined when the string is not entirely a duration. Hand-rolled rather
 * than a regex loop: TGI logs five of these per request line.
 */
export function parseDurationString(input: string): number | undefined {
  const s = input.trim();
  const n = s.length;
  if (n === 0) return undefined;
  let total = 0;
  let pos = 0;
  while (pos < n) {
    // The number, as an integer mantissa and a power-of-ten scale, so the value in seconds comes
    // from one correctly rounded division ("49.382µs" is exactly 49382 / 1e9).
    let mantissa = 0;
    let scale = 1;
    let digits = 0;
    let c = s.charCodeAt(pos);
    while (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      c = s.charCodeAt(++pos);
    }
    if (c === 46 /* . */) {
      c = s.charCodeAt(++pos);
      while (c >= 48 && c <= 57) {
        mantissa = mantissa * 10 + (c - 48);
        scale *= 10;
        digits++;
        c = s.charCodeAt(++pos);
      }
    }
    // No digits, or more than a double holds exactly ("1.000…000s" would end as NaN).
    if (digits === 0 || digits > 17) return undefined;
    // The unit: ns, us/µs/μs, ms, s, m, h.
    const next = s.charCodeAt(pos + 1);
    if (c === 110 /* n */ && next === 115) {
      total += mantissa / (scale * 1e9);
      pos += 2;
    } else if ((c === 117 /* u */ || c === 181 /* µ */ || c === 956) /* μ */ && next === 115) {
      total += mantissa / (scale * 1e6);
      pos += 2;
    } else if (c === 109 /* m */ && next === 115) {
      total += mantissa / (scale * 1e3);
      pos += 2;
    } else if (c === 115 /* s */) {
      total += mantissa / scale;
      pos += 1;
    } else if (c === 109 /* m */) {
      total += (mantissa * 60) / scale;
      pos += 1;
    } else if (c === 104 /* h */) {
      total += (mantissa * 3600) / scale;
      pos += 1;
    } else {
      return undefined;
    }
  }
  return total;
}

/** A non-negative integer count (tokens), at most `max`. */
export function toCount(raw: unknown, max: number): number | FieldProblem {
  const n = toNumber(raw);
  if (typeof n === 'string') return n;
  if (n < 0) return 'negative';
  if (!Number.isInteger(n)) return 'not_integer';
  if (n > max) return 'out_of_range';
  return n;
}

export function toBytes(raw: unknown, unit: ByteUnit, max: number): number | FieldProblem {
  const n = toNumber(raw);
  if (typeof n === 'string') return n;
  if (n < 0) return 'negative';
  const bytes = n * BYTE_SCALE[unit];
  if (!(bytes <= max)) return 'out_of_range';
  return bytes;
}

export function toBoolean(raw: unknown): boolean | FieldProblem {
  if (typeof raw === 'boolean') return raw;
  if (raw === 1 || raw === 'true' || raw === 'True') return true;
  if (raw === 0 || raw === 'false' || raw === 'False') return false;
  return 'wrong_type';
}

// Epoch magnitudes: seconds until year 5138, then ms, µs, ns.
const EPOCH_S_MAX = 1e11;
const EPOCH_MS_MAX = 1e14;
const EPOCH_US_MAX = 1e17;

/** Epoch seconds from an epoch number (unit by `format`, or by magnitude) or an ISO 8601 string. */
export function toEpochSeconds(raw: unknown, format: TimestampFormat): number | FieldProblem {
  if (typeof raw === 'string' && (format === 'auto' || format === 'iso8601')) {
    const fast = parseRfc3339(raw);
    if (fast !== undefined) return fast;
    // A numeric string is an epoch number: Date.parse would read "12" as a date in 2001.
    if (!NUMERIC.test(raw)) {
      const ms = Date.parse(raw);
      if (!Number.isNaN(ms)) return ms / 1000;
      return 'unparseable';
    }
  }
  if (format === 'iso8601') return 'wrong_type';
  const n = toNumber(raw);
  if (typeof n === 'string') return n;
  if (n < 0) return 'negative';
  switch (format) {
    case 'epoch_s':
      return n;
    case 'epoch_ms':
      return n / 1e3;
    case 'epoch_us':
      return n / 1e6;
    case 'epoch_ns':
      return n / 1e9;
    default:
      if (n < EPOCH_S_MAX) return n;
      if (n < EPOCH_MS_MAX) return n / 1e3;
      if (n < EPOCH_US_MAX) return n / 1e6;
      return n / 1e9;
  }
}

/**
 * ISO 8601 / RFC 3339 date-time → epoch seconds. A hand-rolled fast path for the shape loggers
 * write ("2025-04-05T10:23:45.123456Z", "+08:00" offsets, space instead of T); anything else goes
 * to Date.parse. Date.parse costs several times more and is the per-line hot path for ISO logs.
 */
export function parseIsoTimestamp(s: string): number | undefined {
  const fast = parseRfc3339(s);
  if (fast !== undefined) return fast;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms / 1000;
}

/** The fast path alone: RFC 3339 shapes, or undefined for anything else. */
function parseRfc3339(s: string): number | undefined {
  const n = s.length;
  if (n < 19 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return undefined;
  const sep = s.charCodeAt(10);
  if (sep !== 84 /* T */ && sep !== 32 /* space */ && sep !== 116 /* t */) return undefined;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return undefined;
  let pos = 19;
  // The fraction as an integer and one division: exact to the double nearest the decimal.
  let fraction = 0;
  let scale = 1;
  if (pos < n && s.charCodeAt(pos) === 46 /* . */) {
    pos++;
    for (let c = s.charCodeAt(pos); c >= 48 && c <= 57 && scale < 1e15; c = s.charCodeAt(++pos)) {
      fraction = fraction * 10 + (c - 48);
      scale *= 10;
    }
  }
  let offsetMinutes = 0;
  if (pos < n) {
    const z = s.charCodeAt(pos);
    if ((z === 90 || z === 122) /* Z */ && pos + 1 === n) {
      // UTC
    } else if ((z === 43 || z === 45) /* + - */ && (n - pos === 6 || n - pos === 5)) {
      const oh = digits(s, pos + 1, 2);
      const om = digits(s, n - 2, 2);
      if (oh < 0 || om < 0) return undefined;
      offsetMinutes = (oh * 60 + om) * (z === 43 ? 1 : -1);
    } else {
      return undefined;
    }
  }
  // No zone at all: RFC 3339 requires one; treat it as UTC, as Go and most log shippers do.
  return epochDay(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60 + fraction / scale;
}

// Lines of one log share their date: remember the last date's day number.
let lastDateKey = -1;
let lastDays = 0;
function epochDay(year: number, month: number, day: number): number {
  const key = year * 10000 + month * 100 + day;
  if (key !== lastDateKey) {
    lastDays = daysFromCivil(year, month, day);
    lastDateKey = key;
  }
  return lastDays;
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date, in integer arithmetic (H. Hinnant's
 * days_from_civil) — several times cheaper than Date.UTC on the per-line path.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The value of `count` decimal digits at `start`, or -1 if any is not a digit. */
function digits(s: string, start: number, count: number): number {
  let v = 0;
  for (let i = start; i < start + count; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d >>> 0 > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}
