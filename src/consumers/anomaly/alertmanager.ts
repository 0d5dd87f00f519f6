import type { Logger } from 'pino';
import type { Collector } from '../../exposition/registry.js';
import { clip } from './redact.js';
import { templateId, type Incident, type Severity } from './incidents.js';

/**
 * Posts each burst to Alertmanager's v2 API (POST /api/v2/alerts) as an LLMErrorBurst alert:
 * labels alertname, model, severity (our rule: critical at 5× the start threshold, never the
 * model's opinion) and incident_id; annotations summary and description with the template summary
 * and, when there is one, the model's explanation.
 *
 * - The first post waits up to summarizer.wait_for_summary_ms for the summary: Alertmanager does
 *   not notify again when only annotations change, so the first notification is the one read.
 * - While the burst lasts the alert is re-sent every resend_interval_ms with endsAt four intervals
 *   ahead (as Prometheus does), so if the sidecar dies the alert resolves by itself.
 * - When the burst ends it is posted once more with endsAt = the end (resolved); a failed resolve
 *   is retried on the next ticks.
 * Posts are asynchronous, time-limited and counted; a failure is logged (rate-limited) and retried
 * at the next interval. Alerts carry templates (masked and redacted) but never example lines.
 */

export const POST_RESULTS = ['ok', 'error', 'timeout'] as const;
export type PostResult = (typeof POST_RESULTS)[number];

export class AlertPostCounts {
  readonly counts = new Float64Array(POST_RESULTS.length);

  add(result: PostResult): void {
    this.counts[POST_RESULTS.indexOf(result)]!++;
  }

  collector(): Collector {
    return {
      name: 'llmtail_alertmanager_posts_total',
      help: 'Alert posts to Alertmanager (first, re-sent and resolved), by result (ok, error, timeout).',
      type: 'counter',
      collect: () => POST_RESULTS.map((result, i) => ({ value: this.counts[i] as number, labels: { result } })),
    };
  }
}

export interface AlertmanagerOptions {
  url: string;
  resendIntervalMs: number;
  timeoutMs: number;
  waitForSummaryMs: number;
  log: Logger;
  counts: AlertPostCounts;
  clock?: () => number;
}

export interface AlertPayload {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
}

const RESOLVE_TRIES = 5;
const ANNOTATION_CHARS = 4000;

interface Tracked {
  incident: Incident;
  /** The first post has been made (or is in flight). */
  opened: boolean;
  inFlight: boolean;
  resolveTries: number;
  waitTimer: NodeJS.Timeout | undefined;
}

export class AlertmanagerNotifier {
  private readonly endpoint: string;
  private readonly tracked = new Map<string, Tracked>();
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private lastFailureLog = 0;
  private readonly posts = new Set<Promise<void>>();

  constructor(private readonly o: AlertmanagerOptions) {
    this.endpoint = `${o.url.replace(/\/+$/, '')}/api/v2/alerts`;
    this.clock = o.clock ?? Date.now;
  }

  /** A burst started: post once its summary is settled or the wait is over, whichever comes first. */
  burstStarted(incident: Incident): void {
    const t: Tracked = { incident, opened: false, inFlight: false, resolveTries: 0, waitTimer: undefined };
    this.tracked.set(incident.id, t);
    const open = () => {
      if (t.opened) return;
      if (t.waitTimer !== undefined) clearTimeout(t.waitTimer);
      t.opened = true;
      this.track(this.post(t));
    };
    t.waitTimer = setTimeout(open, this.o.waitForSummaryMs);
    t.waitTimer.unref();
    incident.onSummarySettled(open);
  }

  /** A burst ended: resolve it now (opening it first if the wait was still running). */
  burstEnded(incident: Incident): void {
    const t = this.tracked.get(incident.id);
    if (t === undefined) return;
    if (t.waitTimer !== undefined) clearTimeout(t.waitTimer);
    t.opened = true;
    this.track(this.post(t));
  }

  /** Re-send firing alerts that are due, retry failed resolves. */
  tick(now = this.clock()): void {
    for (const t of this.tracked.values()) {
      if (!t.opened || t.inFlight) continue;
      const i = t.incident;
      if (i.status === 'resolved') {
        if (!i.alert.resolvedPosted && t.resolveTries < RESOLVE_TRIES) this.track(this.post(t));
        continue;
      }
      if (now - (i.alert.lastPostedAt ?? 0) >= this.o.resendIntervalMs) this.track(this.post(t));
    }
  }

  private track(post: Promise<void>): void {
    this.posts.add(post);
    void post.finally(() => this.posts.delete(post));
  }

  /** Resolves once no post is in flight (tests drive ticks after it, instead of waiting on time). */
  async idle(): Promise<void> {
    while (this.posts.size > 0) await Promise.all(this.posts);
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.tick(), Math.max(50, Math.min(1000, Math.floor(this.o.resendIntervalMs / 4))));
    this.timer.unref();
  }

  /** Stop sending. Firing alerts are not resolved: the burst may go on, and they expire by themselves (endsAt). */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const t of this.tracked.values()) if (t.waitTimer !== undefined) clearTimeout(t.waitTimer);
    this.abort.abort();
  }

  /** The alert for an incident as it stands now. */
  payload(i: Incident, now: number): AlertPayload {
    const severity: Severity = (i.alert.severity ??= i.severity);
    const resolved = i.status === 'resolved';
    const endsAt = resolved ? (i.endedAt ?? now) : now + 4 * this.o.resendIntervalMs;
    return {
      labels: { alertname: 'LLMErrorBurst', model: i.model, severity, incident_id: i.id },
      annotations: annotations(i),
      startsAt: new Date(i.startedAt).toISOString(),
      endsAt: new Date(endsAt).toISOString(),
    };
  }

  private async post(t: Tracked): Promise<void> {
    if (t.inFlight || this.abort.signal.aborted) return;
    t.inFlight = true;
    // Off the caller's stack: a burst starts on the per-line path.
    await new Promise((r) => setImmediate(r));
    const i = t.incident;
    const now = this.clock();
    const body = this.payload(i, now);
    const resolving = i.status === 'resolved';
    if (resolving) t.resolveTries++;
    let result: 'ok' | 'error' | 'timeout';
    let detail = '';
    try {
      const res = await fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([body]),
        signal: AbortSignal.any([AbortSignal.timeout(this.o.timeoutMs), this.abort.signal]),
      });
      await res.body?.cancel();
      result = res.ok ? 'ok' : 'error';
      if (!res.ok) detail = `HTTP ${res.status}`;
    } catch (err) {
      result = err instanceof Error && err.name === 'TimeoutError' ? 'timeout' : 'error';
      detail = err instanceof Error ? err.name : 'error';
    }
    t.inFlight = false;
    if (this.abort.signal.aborted) return;
    this.o.counts.add(result);
    i.alert.posts++;
    i.alert.lastResult = result;
    i.alert.lastPostedAt = now;
    i.alert.firstPostedAt ??= now;
    if (result === 'ok' && resolving) {
      i.alert.resolvedPosted = true;
      this.tracked.delete(i.id);
    } else if (resolving && t.resolveTries >= RESOLVE_TRIES) {
      this.tracked.delete(i.id);
    }
    if (result !== 'ok' && now - this.lastFailureLog >= 10_000) {
      this.lastFailureLog = now;
      this.o.log.warn({ incident: i.id, result, detail, url: this.endpoint }, 'alert post to Alertmanager failed; retried at the next interval');
    }
    // A burst that ended while this post was in flight is resolved at once.
    if (!resolving && i.status === 'resolved') this.track(this.post(t));
  }
}

function annotations(i: Incident): Record<string, string> {
  const minutes = Math.max(1, Math.round(((i.endedAt ?? i.lastLineAt) - i.startedAt) / 60_000));
  const summary = `Error burst on ${i.model}: ${i.tally.lines} error lines in about ${minutes} min (${i.reason === 'rate' ? 'error rate' : 'new error template'}).`;
  const parts = [`Templates: ${i.templateSummary(5, 200)}.`];
  const s = i.summary;
  if (s !== null) {
    parts.push(`Likely cause (LLM, confidence ${s.root_cause.confidence.toFixed(2)}): ${s.root_cause.hypothesis}`);
    for (const a of s.anomalies.slice(0, 3)) parts.push(`Anomaly (${a.severity}): ${a.type} [${a.template_ids.join(', ')}] — ${a.evidence}`);
    if (s.alert_suggestions.length > 0) parts.push(`Suggested: ${s.alert_suggestions.slice(0, 3).join(' / ')}`);
  } else {
    parts.push(`No LLM summary (${i.summarizer.status}${i.summarizer.reason !== undefined ? `: ${i.summarizer.reason}` : ''}).`);
  }
  const top = i.tally.top()[0];
  const out: Record<string, string> = {
    summary: clip(summary, 500),
    description: clip(parts.join('\n'), ANNOTATION_CHARS),
    incident_id: i.id,
  };
  if (top !== undefined) out.top_template = `${templateId(top.cluster.id)}: ${clip(top.cluster.template, 300)}`;
  if (s !== null) out.llm_summary = clip(s.root_cause.hypothesis, 1000);
  return out;
}
