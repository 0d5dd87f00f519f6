import { applyRules, redact, type RedactRule } from './redact.js';

/**
 * Turns an error message into the text Drain clusters: everything that varies between two
 * occurrences of the same error — numbers, sizes, ids, hex, UUIDs, IPs, e-mails, URLs,
 * timestamps, long quoted strings — becomes a placeholder, so "Tried to allocate 2.50 GiB" and
 * "Tried to allocate 1.75 GiB" read the same. Secrets are redacted first (the template is what
 * reaches prompts and alerts). Linear: each rule is one left-to-right pass without nested
 * repetition.
 */

/** Only this much of a message is clustered: the head of an error says what it is. */
export const MASK_MAX_CHARS = 1024;

/** URLs and UUIDs go first, whole (before redaction could take a piece of them for something else). */
const FIRST: readonly RedactRule[] = [
  { re: /\b[a-z][a-z0-9+.-]{1,15}:\/\/[^\s"'<>()]+/gi, replacement: '<URL>', needs: ['://'] },
  { re: /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, replacement: '<UUID>', needs: ['-'] },
];

const RULES: readonly RedactRule[] = [
  // ISO 8601 / RFC 3339 and "2025-04-05 14:23:11" timestamps; then bare clock times.
  { re: /\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b/g, replacement: '<TS>', needs: ['-'] },
  { re: /\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,9})?\b/g, replacement: '<TS>', needs: [':'] },
  // Long quoted strings (user text inside an error) — short ones are usually names worth keeping.
  // An opening quote follows no word character and precedes no space, so the text between a
  // closing and the next opening quote ("`a` must be <= 8. Given: `b`") is not taken for one.
  { re: /(?<!\w)"(?=\S)[^"\n]{24,}"/g, replacement: '"<STR>"', needs: ['"'] },
  { re: /(?<!\w)'(?=\S)[^'\n]{24,}'/g, replacement: "'<STR>'", needs: ["'"] },
  { re: /(?<!\w)`(?=\S)[^`\n]{24,}`/g, replacement: '`<STR>`', needs: ['`'] },
];

const NUMBER = /^\d+(?:\.\d+)*$/;
const NUMBER_WITH_UNIT = /^\d+(?:\.\d+)?([A-Za-z]{1,3})$/;
const HEX = /^(?:0x[0-9a-f]+|[0-9a-f]{8,})$/i;
/** A short prefix and a long random tail ("req_k3jd…", "run_…"): an id even when the tail has no digit. */
const PREFIXED_ID = /^[A-Za-z]{2,10}_[A-Za-z0-9]{12,}$/;

/** A word with a digit: <NUM> (with its unit kept: "60.0s" → "<NUM>s"), <HEX>, or <ID>; short names like "fp16" stay. */
function maskWord(word: string, digit: boolean): string {
  if (!digit) return PREFIXED_ID.test(word) ? '<ID>' : word;
  if (NUMBER.test(word)) return '<NUM>';
  const unit = NUMBER_WITH_UNIT.exec(word);
  if (unit !== null) return `<NUM>${unit[1] as string}`;
  if (HEX.test(word)) return '<HEX>';
  if (word.length >= 6) return '<ID>';
  return word;
}

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/**
 * Every run of word characters (with inner dots: "79.15", "model.py") that holds a digit — or
 * looks like a prefixed id — through maskWord, in one scan without a regex per word.
 */
function maskWords(t: string): string {
  let out = '';
  let last = 0;
  let i = 0;
  const n = t.length;
  while (i < n) {
    if (!isWordChar(t.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    let digit = false;
    let underscore = false;
    for (;;) {
      for (let c = t.charCodeAt(i); i < n && isWordChar(c); c = t.charCodeAt(++i)) {
        if (c >= 48 && c <= 57) digit = true;
        else if (c === 95) underscore = true;
      }
      if (t.charCodeAt(i) === 46 && isWordChar(t.charCodeAt(i + 1))) i++;
      else break;
    }
    if (!digit && !underscore) continue;
    const word = t.slice(start, i);
    const masked = maskWord(word, digit);
    if (masked !== word) {
      out += t.slice(last, start) + masked;
      last = i;
    }
  }
  return last === 0 ? t : out + t.slice(last);
}

/** The message as Drain sees it: redacted, masked, cut to MASK_MAX_CHARS. */
export function maskMessage(message: string): string {
  const head = message.length > MASK_MAX_CHARS ? message.slice(0, MASK_MAX_CHARS) : message;
  return maskWords(applyRules(redact(applyRules(head, FIRST), MASK_MAX_CHARS), RULES));
}

/** Whitespace-separated tokens of a masked message, at most `max`. */
export function tokenize(masked: string, max: number): string[] {
  const tokens: string[] = [];
  let start = -1;
  for (let i = 0; i <= masked.length; i++) {
    const c = i < masked.length ? masked.charCodeAt(i) : 32;
    const space = c === 32 || c === 9 || c === 10 || c === 13;
    if (space) {
      if (start !== -1) {
        tokens.push(masked.slice(start, i));
        if (tokens.length >= max) return tokens;
        start = -1;
      }
    } else if (start === -1) start = i;
  }
  return tokens;
}
