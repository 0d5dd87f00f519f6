/**
 * "Is the model endpoint the very server whose errors we are explaining, and is it unhealthy?"
 * Asking a server that is falling over to explain its own errors adds load and will likely fail,
 * so then no call is made.
 *
 * Same server: when `monitored_url` is configured, base_url and it have the same host:port;
 * otherwise when the burst's model is the summarizer's model (compared without an organization
 * prefix, case-insensitively) — the usual sidecar set-up, one vLLM serving one model.
 * Unhealthy: its GET /health (vLLM, TGI and SGLang all serve one at the root) does not answer 2xx
 * within a second. A server without /health (404/405) counts as healthy: the call has its own timeout.
 */

export function hostPort(url: string): string | undefined {
  try {
    const u = new URL(url);
    const port = u.port !== '' ? u.port : u.protocol === 'https:' ? '443' : '80';
    return `${u.hostname.toLowerCase()}:${port}`;
  } catch {
    return undefined;
  }
}

const bareModel = (m: string): string => (m.split('/').pop() ?? m).trim().toLowerCase();

export function isSameServer(baseUrl: string, summarizerModel: string, monitoredUrl: string, burstModel: string): boolean {
  if (monitoredUrl !== '') {
    const a = hostPort(baseUrl);
    return a !== undefined && a === hostPort(monitoredUrl);
  }
  return bareModel(summarizerModel) !== '' && bareModel(summarizerModel) === bareModel(burstModel);
}

/** GET <origin>/health: false on a 5xx, another non-2xx (but 404/405), a connection error or a timeout. */
export async function isHealthy(baseUrl: string, timeoutMs = 1000, signal?: AbortSignal): Promise<boolean> {
  let origin: string;
  try {
    origin = new URL(baseUrl).origin;
  } catch {
    return false;
  }
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(`${origin}/health`, { signal: signal === undefined ? timeout : AbortSignal.any([timeout, signal]) });
    await res.body?.cancel();
    return res.ok || res.status === 404 || res.status === 405;
  } catch {
    return false;
  }
}
