import { API_KEY, cardSpans, emailSpans, type Span } from './sensitive.js';

/**
 * Masks secrets and personal data in text that leaves the hot path — error examples kept for
 * /api/incidents, templates put into prompts and alerts. It runs on the first `maxChars`
 * characters only (callers cut their result shorter still), so its cost is bounded whatever the
 * log line holds, and every pattern is linear (see sensitive.ts).
 */

export const DEFAULT_REDACT_CHARS = 4096;

interface Rule {
  re: RegExp;
  replacement: string | ((match: string) => string);
  /** The rule can only match when the text contains one of these (a cheap test that skips the pass). */
  needs?: readonly string[];
}

const RULES: readonly Rule[] = [
  // PEM private keys, whole (the body has no '-', so the scan stops at the END line).
  { re: /-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----[^-]*(?:-----END [A-Z ]{0,40}PRIVATE KEY-----)?/g, replacement: '<PRIVATE_KEY>', needs: ['-----BEGIN'] },
  // Credentials inside URLs: scheme://user:password@host.
  { re: /([a-z][a-z0-9+.-]{0,15}:\/\/)[^\s/@:]{1,256}:[^\s/@]{1,256}@/gi, replacement: '$1<CREDENTIALS>@', needs: ['://'] },
  // JSON Web Tokens.
  { re: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, replacement: '<JWT>', needs: ['eyJ'] },
  // Authorization headers.
  { re: /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/gi, replacement: '$1 <TOKEN>' },
  { re: new RegExp(API_KEY.source, 'g'), replacement: '<API_KEY>' },
  // key=value / "key": "value" secrets.
  {
    re: /\b(password|passwd|pwd|secret|api[_-]?key|access[_-]?token|token|auth)(["']?\s*[:=]\s*["']?)[^\s"',;&]{1,256}/gi,
    replacement: '$1$2<SECRET>',
    needs: ['=', ':'],
  },
  // IPv6 (eight groups, or '::'-compressed; a digit required, so C++ scopes like "c10d::Foo" and
  // clock times survive) before IPv4.
  {
    re: /(?<![\w:])(?=[0-9A-Fa-f:]*\d)(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])/g,
    replacement: (m) => (m.includes('::') || m.split(':').length === 8 ? '<IP>' : m),
    needs: [':'],
  },
  { re: /(?<![\d.])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(?!\.?\d)/g, replacement: '<IP>', needs: ['.'] },
];

/** Run text through rules, skipping those whose required substrings are absent. */
export function applyRules(text: string, rules: readonly Rule[]): string {
  let t = text;
  for (const rule of rules) {
    if (rule.needs !== undefined && !rule.needs.some((n) => t.includes(n))) continue;
    rule.re.lastIndex = 0;
    const r = rule.replacement;
    t = typeof r === 'string' ? t.replace(rule.re, r) : t.replace(rule.re, r);
  }
  return t;
}

export type { Rule as RedactRule };

/** Replace each span (sorted, non-overlapping) by `mask`. */
function maskSpans(text: string, spans: readonly Span[], mask: string): string {
  if (spans.length === 0) return text;
  let out = '';
  let at = 0;
  for (const [s, e] of spans) {
    out += text.slice(at, s) + mask;
    at = e;
  }
  return out + text.slice(at);
}

/** Secrets, e-mail addresses, card numbers and IP addresses masked; text beyond `maxChars` dropped. */
export function redact(text: string, maxChars = DEFAULT_REDACT_CHARS): string {
  let t = applyRules(text.length > maxChars ? text.slice(0, maxChars) : text, RULES);
  if (t.includes('@')) t = maskSpans(t, emailSpans(t), '<EMAIL>');
  t = maskSpans(t, cardSpans(t), '<CARD>');
  return t;
}

/** Cut to `max` characters without splitting a surrogate pair, marking the cut. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}
