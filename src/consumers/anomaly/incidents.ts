import { REQUEST_STATUSES } from '../../events/event.js';
import type { Summary } from '../../summarizer/schema.js';
import type { Cluster } from './drain.js';
import { clip, redact } from './redact.js';

/**
 * Incidents: the bursts detected, each described by its error templates with counts, first and
 * last seen and two redacted examples. Without an LLM this description is the summary; with one,
 * the model's validated answer is attached. Everything here is copied out of events (a redacted,
 * clipped example is a new string), so no event — or the line it came from — is kept alive.
 */

/** Where a line's error-ness came from: its status, or (status success/unknown) its level. */
export const LINE_KINDS = [...REQUEST_STATUSES, 'level_warn', 'level_error', 'level_fatal'] as const;
export type LineKind = (typeof LINE_KINDS)[number];
export const LEVEL_KIND_OFFSET = REQUEST_STATUSES.length;

const EXAMPLE_CHARS = 300;
const EXAMPLE_TRIES = 4;
const MAX_ERROR_TYPES = 32;
/** Distinct templates beyond the cap are counted up to this many (their lines always are). */
const MAX_OVERFLOW_IDS = 1000;

export class TemplateStat {
  count = 0;
  readonly examples: string[] = [];
  private tries = 0;
  constructor(
    readonly cluster: Cluster,
    public firstSeen: number,
    public lastSeen: number,
  ) {}

  /** Keep up to two distinct examples, redacted; gives up after a few identical ones. */
  offerExample(message: string): void {
    if (this.examples.length >= 2 || this.tries >= EXAMPLE_TRIES) return;
    this.tries++;
    const example = clip(redact(message, 2048), EXAMPLE_CHARS);
    if (!this.examples.includes(example)) this.examples.push(example);
  }
}

/** Lines per template (bounded), per line kind and per error type. */
export class TemplateTally {
  readonly stats = new Map<number, TemplateStat>();
  lines = 0;
  readonly byKind = new Float64Array(LINE_KINDS.length);
  readonly errorTypes = new Map<string, number>();
  /** Lines of templates beyond the cap, and how many such templates. */
  otherLines = 0;
  private readonly overflowIds = new Set<number>();

  constructor(private readonly maxTemplates: number) {}

  get otherTemplates(): number {
    return this.overflowIds.size;
  }

  add(cluster: Cluster, kind: number, errorType: string | undefined, message: string, now: number): void {
    this.lines++;
    this.byKind[kind]!++;
    if (errorType !== undefined) {
      const key = this.errorTypes.has(errorType) || this.errorTypes.size < MAX_ERROR_TYPES ? errorType : '__other__';
      this.errorTypes.set(key, (this.errorTypes.get(key) ?? 0) + 1);
    }
    let stat = this.stats.get(cluster.id);
    if (stat === undefined) {
      if (this.stats.size >= this.maxTemplates) {
        this.otherLines++;
        if (this.overflowIds.size < MAX_OVERFLOW_IDS) this.overflowIds.add(cluster.id);
        return;
      }
      stat = new TemplateStat(cluster, now, now);
      this.stats.set(cluster.id, stat);
    }
    stat.count++;
    // Lines may come a little out of order (event time).
    if (now > stat.lastSeen) stat.lastSeen = now;
    else if (now < stat.firstSeen) stat.firstSeen = now;
    stat.offerExample(message);
  }

  /** Lines of one template in this tally. */
  countOf(clusterId: number): number {
    return this.stats.get(clusterId)?.count ?? 0;
  }

  /** Add another tally's lines into this one (the window before a burst, into its incident). */
  mergeFrom(other: TemplateTally): void {
    this.lines += other.lines;
    for (let i = 0; i < this.byKind.length; i++) this.byKind[i]! += other.byKind[i] as number;
    for (const [t, n] of other.errorTypes) {
      const key = this.errorTypes.has(t) || this.errorTypes.size < MAX_ERROR_TYPES ? t : '__other__';
      this.errorTypes.set(key, (this.errorTypes.get(key) ?? 0) + n);
    }
    this.otherLines += other.otherLines;
    for (const id of other.overflowIds) if (this.overflowIds.size < MAX_OVERFLOW_IDS) this.overflowIds.add(id);
    for (const [id, s] of other.stats) {
      let mine = this.stats.get(id);
      if (mine === undefined) {
        if (this.stats.size >= this.maxTemplates) {
          this.otherLines += s.count;
          if (this.overflowIds.size < MAX_OVERFLOW_IDS) this.overflowIds.add(id);
          continue;
        }
        mine = new TemplateStat(s.cluster, s.firstSeen, s.lastSeen);
        this.stats.set(id, mine);
      }
      mine.count += s.count;
      mine.firstSeen = Math.min(mine.firstSeen, s.firstSeen);
      mine.lastSeen = Math.max(mine.lastSeen, s.lastSeen);
      for (const e of s.examples) if (mine.examples.length < 2 && !mine.examples.includes(e)) mine.examples.push(e);
    }
  }

  /** Templates by count, most frequent first. */
  top(): TemplateStat[] {
    return [...this.stats.values()].sort((a, b) => b.count - a.count || a.firstSeen - b.firstSeen);
  }
}

export const templateId = (clusterId: number): string => `T${clusterId}`;

export type IncidentStatus = 'active' | 'resolved';
export type BurstReason = 'rate' | 'new_template';
export type Severity = 'warning' | 'critical';

/** The summarizer's state for one incident; `disabled` when no endpoint is configured. */
export type SummaryStatus = 'disabled' | 'pending' | 'ok' | 'cached' | 'invalid' | 'error' | 'timeout' | 'rate_limited' | 'skipped';

export interface SummarizerState {
  status: SummaryStatus;
  /** Why it was skipped or failed, in a few words (never the model's raw answer). */
  reason?: string;
  model?: string;
  latencySeconds?: number;
  promptTokens?: number;
  completionTokens?: number;
  /** Anomalies the model gave that cited unknown templates and were dropped. */
  discardedAnomalies?: number;
}

export interface AlertState {
  posts: number;
  lastResult?: string;
  severity?: Severity;
  firstPostedAt?: number;
  lastPostedAt?: number;
  resolvedPosted: boolean;
}

/** Peak window at this multiple of the start threshold makes a burst critical (our rule, never the model's). */
export const CRITICAL_MULTIPLE = 5;

export class Incident {
  status: IncidentStatus = 'active';
  /** Highest count of lines in the window during the burst. */
  peakWindowLines = 0;
  endedAt: number | undefined;
  lastLineAt: number;
  readonly tally: TemplateTally;
  summary: Summary | null = null;
  summarizer: SummarizerState;
  readonly alert: AlertState = { posts: 0, resolvedPosted: false };
  /** Found while catching up on old lines and not notified (yet): no alert, no summary. */
  backlog = false;
  /** Resolved by listeners waiting on the summary (the first alert post). */
  private summaryWaiters: (() => void)[] = [];

  constructor(
    readonly id: string,
    readonly model: string,
    readonly reason: BurstReason,
    readonly startedAt: number,
    /** Burst threshold at the start (lines per window) and the baseline then, lines per minute. */
    readonly thresholdLines: number,
    readonly baselinePerMinute: number,
    readonly windowSeconds: number,
    maxTemplates: number,
    summarizerEnabled: boolean,
  ) {
    this.lastLineAt = startedAt;
    this.tally = new TemplateTally(maxTemplates);
    this.summarizer = { status: summarizerEnabled ? 'pending' : 'disabled' };
  }

  get severity(): Severity {
    return this.peakWindowLines >= CRITICAL_MULTIPLE * this.thresholdLines ? 'critical' : 'warning';
  }

  /** The summarizer is done with this incident (whatever the outcome). */
  get summarySettled(): boolean {
    return this.summarizer.status !== 'pending';
  }

  settleSummary(state: SummarizerState, summary: Summary | null): void {
    this.summarizer = state;
    this.summary = summary;
    const waiters = this.summaryWaiters;
    this.summaryWaiters = [];
    for (const w of waiters) w();
  }

  onSummarySettled(fn: () => void): void {
    if (this.summarySettled) fn();
    else this.summaryWaiters.push(fn);
  }

  /** The no-LLM summary: the top templates with their counts, as one line. */
  templateSummary(maxTemplates = 3, maxChars = 160): string {
    const top = this.tally.top();
    if (top.length === 0) return `${this.tally.lines} error lines`;
    const parts = top.slice(0, maxTemplates).map((s) => `${s.count}× ${templateId(s.cluster.id)} "${clip(s.cluster.template, maxChars)}"`);
    const rest = top.length - maxTemplates + this.tally.otherTemplates;
    return parts.join('; ') + (rest > 0 ? `; and ${rest} more template${rest === 1 ? '' : 's'}` : '');
  }
}

/** Recent incidents, newest last; beyond the cap the oldest resolved one goes first. */
export class IncidentStore {
  private readonly incidents: Incident[] = [];
  private seq = 0;
  /** Incidents dropped beyond the cap. */
  dropped = 0;

  constructor(private readonly max: number) {}

  nextId(now: number): string {
    this.seq++;
    return `inc-${Math.floor(now / 1000).toString(36)}-${this.seq}`;
  }

  add(incident: Incident): void {
    this.incidents.push(incident);
    while (this.incidents.length > this.max) {
      const i = this.incidents.findIndex((x) => x.status === 'resolved');
      this.incidents.splice(i === -1 ? 0 : i, 1);
      this.dropped++;
    }
  }

  get(id: string): Incident | undefined {
    return this.incidents.find((i) => i.id === id);
  }

  /** Newest first. */
  list(): Incident[] {
    return [...this.incidents].reverse();
  }

  get size(): number {
    return this.incidents.length;
  }
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** The JSON shape of /api/incidents: our counts, the templates, and the summary only if it validated. */
export function incidentView(i: Incident, options: { templates?: number } = {}) {
  const top = i.tally.top();
  const shown = top.slice(0, options.templates ?? 50);
  const byKind: Record<string, number> = {};
  LINE_KINDS.forEach((k, n) => {
    const v = i.tally.byKind[n] as number;
    if (v > 0) byKind[k] = v;
  });
  const s = i.summarizer;
  return {
    id: i.id,
    model: i.model,
    status: i.status,
    reason: i.reason,
    backlog: i.backlog,
    severity: i.alert.severity ?? i.severity,
    started_at: iso(i.startedAt),
    ended_at: iso(i.endedAt),
    last_line_at: iso(i.lastLineAt),
    duration_seconds: Math.round(((i.endedAt ?? i.lastLineAt) - i.startedAt) / 100) / 10,
    lines: i.tally.lines,
    lines_by_kind: byKind,
    error_types: Object.fromEntries([...i.tally.errorTypes].sort((a, b) => b[1] - a[1])),
    window_seconds: i.windowSeconds,
    threshold_lines: i.thresholdLines,
    peak_window_lines: i.peakWindowLines,
    baseline_lines_per_minute: Math.round(i.baselinePerMinute * 100) / 100,
    templates: shown.map((t) => ({
      id: templateId(t.cluster.id),
      template: t.cluster.template,
      count: t.count,
      first_seen: iso(t.firstSeen),
      last_seen: iso(t.lastSeen),
      examples: t.examples,
    })),
    other_templates: { templates: top.length - shown.length + i.tally.otherTemplates, lines: shown.reduce((n, t) => n - t.count, i.tally.lines) },
    template_summary: i.templateSummary(),
    summary: i.summary,
    summarizer: {
      status: s.status,
      reason: s.reason ?? null,
      model: s.model ?? null,
      latency_seconds: s.latencySeconds ?? null,
      tokens: s.promptTokens === undefined && s.completionTokens === undefined ? null : { prompt: s.promptTokens ?? 0, completion: s.completionTokens ?? 0 },
      discarded_anomalies: s.discardedAnomalies ?? 0,
    },
    alert: { posts: i.alert.posts, last_result: i.alert.lastResult ?? null },
  };
}

export type IncidentView = ReturnType<typeof incidentView>;
