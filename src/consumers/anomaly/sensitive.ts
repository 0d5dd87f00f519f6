/**
 * Detectors for sensitive data in free text: e-mail addresses, payment card numbers (Luhn-checked),
 * API keys and IPv4 addresses. They run on response text on the per-line path and on error text
 * before it leaves the process, so every one is linear in the text: e-mails are found from each
 * '@' outwards instead of by a backtracking regex, and the regexes use bounded or
 * non-overlapping repetition only.
 */

export const BUILTIN_SENSITIVE = ['email', 'card_number', 'api_key', 'ipv4'] as const;
export type BuiltinSensitive = (typeof BUILTIN_SENSITIVE)[number];

/** A found span: [start, end). */
export type Span = readonly [number, number];

const LOCAL_MAX = 64;
const DOMAIN_MAX = 253;

function isLocalChar(c: number): boolean {
  // A-Z a-z 0-9 . _ % + -
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
}

function isDomainChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 46;
}

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

/**
 * E-mail addresses, from each '@': a local part to its left and a dotted domain with a final label
 * of two or more letters to its right. Each character is looked at a bounded number of times.
 */
export function emailSpans(text: string, limit = text.length): Span[] {
  const spans: Span[] = [];
  let from = 0;
  let lastEnd = 0;
  for (;;) {
    const at = text.indexOf('@', from);
    if (at === -1 || at >= limit) return spans;
    from = at + 1;
    let start = at;
    while (start > lastEnd && at - start < LOCAL_MAX && isLocalChar(text.charCodeAt(start - 1))) start--;
    if (start === at) continue;
    let end = at + 1;
    while (end < text.length && end - at <= DOMAIN_MAX && isDomainChar(text.charCodeAt(end))) end++;
    // Trailing dots and hyphens end a sentence, not a domain.
    while (end > at + 1 && (text.charCodeAt(end - 1) === 46 || text.charCodeAt(end - 1) === 45)) end--;
    const domain = text.slice(at + 1, end);
    const lastDot = domain.lastIndexOf('.');
    if (lastDot <= 0) continue;
    let tld = 0;
    for (let i = lastDot + 1; i < domain.length; i++) {
      if (!isLetter(domain.charCodeAt(i))) {
        tld = -1;
        break;
      }
      tld++;
    }
    if (tld < 2) continue;
    spans.push([start, end]);
    lastEnd = end;
    from = end;
  }
}

export function hasEmail(text: string, limit = text.length): boolean {
  // The cheap test first: most responses hold no '@' at all.
  const at = text.indexOf('@');
  if (at === -1 || at >= limit) return false;
  return emailSpans(text, limit).length > 0;
}

/**
 * Card-number candidates: 13–19 digits in a row, or 4-4-4-x / 4-6-5 (Amex) groups with one space
 * or hyphen as separator, standing alone (not inside a word, a UUID or a longer number): the
 * look-arounds also keep the repetition from sliding along longer runs.
 */
const CARD_CANDIDATE = /(?<![\w-])(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -])\d{6}\2\d{5})(?![\w-])/g;

/** The Luhn checksum over the digits of `s` (other characters skipped). */
export function luhnValid(s: string): boolean {
  let sum = 0;
  let n = 0;
  for (let i = s.length - 1; i >= 0; i--) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) continue;
    let d = c - 48;
    if (n % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    n++;
  }
  return n >= 13 && n <= 19 && sum % 10 === 0;
}

export function cardSpans(text: string): Span[] {
  const spans: Span[] = [];
  CARD_CANDIDATE.lastIndex = 0;
  for (let m = CARD_CANDIDATE.exec(text); m !== null; m = CARD_CANDIDATE.exec(text)) {
    if (luhnValid(m[0])) spans.push([m.index, m.index + m[0].length]);
  }
  return spans;
}

export function hasCardNumber(text: string): boolean {
  CARD_CANDIDATE.lastIndex = 0;
  for (let m = CARD_CANDIDATE.exec(text); m !== null; m = CARD_CANDIDATE.exec(text)) if (luhnValid(m[0])) return true;
  return false;
}

/**
 * API keys by their vendors' published prefixes: OpenAI (sk-, sk-proj-), Anthropic (sk-ant-), AWS
 * access key ids (AKIA/ASIA), GitHub (ghp_ … github_pat_), Slack (xox?-), Google (AIza), Hugging
 * Face (hf_), GitLab (glpat-). Every alternative starts with a literal, and what follows cannot
 * contain what precedes it, so a failed attempt costs at most the length of one token.
 */
export const API_KEY = /(?<![A-Za-z0-9_-])(?:sk-(?:proj-|ant-(?:api\d\d-)?)?[A-Za-z0-9_-]{20,}|(?:AKIA|ASIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|hf_[A-Za-z0-9]{30,}|glpat-[A-Za-z0-9_-]{20,})/;

/** Dotted-quad IPv4 addresses (each part 0–255). */
export const IPV4 = /(?<![\d.])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(?!\.?\d)/;

export type TextTest = (text: string) => boolean;

/**
 * One test for "does this text hold sensitive data", from the configured patterns: built-in names
 * pick the detectors above; anything else is a regular expression (case-insensitive). Custom
 * regexes run as written — keep them free of nested repetition.
 */
export function sensitiveTest(patterns: readonly string[]): TextTest {
  const tests: TextTest[] = [];
  const custom: string[] = [];
  for (const p of new Set(patterns)) {
    switch (p) {
      case 'email':
        tests.push((t) => hasEmail(t));
        break;
      case 'card_number':
        tests.push(hasCardNumber);
        break;
      case 'api_key':
        tests.push((t) => API_KEY.test(t));
        break;
      case 'ipv4':
        tests.push((t) => IPV4.test(t));
        break;
      default:
        custom.push(p);
    }
  }
  if (custom.length > 0) {
    const re = new RegExp(custom.map((c) => `(?:${c})`).join('|'), 'iu');
    tests.push((t) => re.test(t));
  }
  if (tests.length === 0) return () => false;
  return (text) => {
    for (let i = 0; i < tests.length; i++) if ((tests[i] as TextTest)(text)) return true;
    return false;
  };
}

/** Escape a literal for use inside a RegExp. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** One case-insensitive test for any of the phrases (a single alternation: one pass over the text). */
export function phraseTest(phrases: readonly string[]): TextTest {
  const list = [...new Set(phrases.filter((p) => p.length > 0))];
  if (list.length === 0) return () => false;
  // Flexible whitespace inside a phrase ("ignore  previous\ninstructions" still counts).
  const re = new RegExp(list.map((p) => escapeRegExp(p).replace(/\s+/g, '\\s+')).join('|'), 'i');
  return (text) => re.test(text);
}
