/**
 * Secrets in a configuration object, masked for printing (check-config) — the effective
 * configuration is worth showing, the summarizer's API key is not.
 */
const SECRET_KEYS = new Set(['api_key']);

export function redactSecrets<T>(config: T): T {
  return mask(structuredClone(config)) as T;
}

function mask(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(mask);
  if (typeof v !== 'object' || v === null) return v;
  const o = v as Record<string, unknown>;
  for (const [k, x] of Object.entries(o)) {
    o[k] = SECRET_KEYS.has(k) && typeof x === 'string' && x !== '' ? '[redacted]' : mask(x);
  }
  return o;
}
