import { parseExposition, type Exposition } from './exposition.js';

/** Which counter and histogram families the monotonicity check covers (family name, TYPE). */
export type FamilyFilter = (family: string, type: string) => boolean;

export interface ScraperOptions {
  /** The /metrics URL now; undefined while there is no sidecar to ask. */
  url: () => string | undefined;
  /** Pause between scrapes: intervalMs plus up to jitterMs. */
  intervalMs: number;
  jitterMs?: number;
  /** Counter/histogram families checked for never decreasing. */
  include: FamilyFilter;
}

export interface Scrape {
  at: number;
  metrics: Exposition;
}

/** The family a sample belongs to: its own name, or a histogram's name without its suffix. */
function familyOf(name: string, types: Map<string, string>): { family: string; type: string | undefined } {
  const own = types.get(name);
  if (own !== undefined) return { family: name, type: own };
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (m !== null) {
    const base = m[1] as string;
    const type = types.get(base);
    if (type !== undefined) return { family: base, type };
  }
  return { family: name, type: undefined };
}

function seriesKey(name: string, labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  return `${name}{${keys.map((k) => `${k}="${labels[k] as string}"`).join(',')}}`;
}

/**
 * Scrapes /metrics in the background, across sidecar restarts (a refused connection is counted and
 * ignored), and checks every sample of the included counter and histogram families against the
 * previous successful scrape: a value that went down, or a series that vanished, is a violation.
 */
export class Scraper {
  scrapes = 0;
  failures = 0;
  /** Every decrease or vanished series seen, described. */
  readonly violations: string[] = [];
  latest: Scrape | undefined;
  private previous = new Map<string, number>();
  private running = false;
  private loop: Promise<void> | undefined;
  private inFlight: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: ScraperOptions) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Scrape once now (also what the loop does); returns undefined when the sidecar did not answer. */
  scrapeNow(): Promise<void> {
    if (this.inFlight === undefined) this.inFlight = this.scrape().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /**
   * Wait for a scrape taken after this call whose metrics satisfy `ok`. `eager`: scrape back to
   * back meanwhile instead of waiting for the background scrapes, to act the moment it holds.
   */
  async waitFor(ok: (m: Exposition, at: number) => boolean, timeoutMs: number, what: string, options: { eager?: boolean } = {}): Promise<Exposition> {
    const since = Date.now();
    const deadline = since + timeoutMs;
    for (;;) {
      if (options.eager === true) await this.scrapeNow();
      const s = this.latest;
      if (s !== undefined && s.at > since && ok(s.metrics, s.at)) return s.metrics;
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${this.scrapes} scrapes, ${this.failures} failed)`);
      }
      await new Promise((r) => setTimeout(r, options.eager === true ? 1 : 20));
    }
  }

  /**
   * Wait until the sidecar is idle: llmtail_lines_total unchanged for `quietMs` of scrapes, no lag
   * on any file and no file still draining.
   */
  async waitSettled(timeoutMs: number, quietMs = 1000): Promise<Exposition> {
    let lines = -1;
    let since = 0;
    return this.waitFor(
      (m, at) => {
        const now = m.sum('llmtail_lines_total');
        const idle = m.sum('llmtail_file_lag_bytes') === 0 && m.get('llmtail_files_draining') === 0;
        if (now !== lines || !idle) {
          lines = now;
          since = at;
          return false;
        }
        // Measured between scrapes, so a sidecar that stopped answering never looks settled.
        return at - since >= quietMs;
      },
      timeoutMs,
      'the sidecar to settle',
    );
  }

  private async run(): Promise<void> {
    while (this.running) {
      await this.scrapeNow();
      const pause = this.options.intervalMs + Math.floor(Math.random() * (this.options.jitterMs ?? 0));
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, pause);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  private async scrape(): Promise<void> {
    const url = this.options.url();
    if (url === undefined) {
      this.failures++;
      return;
    }
    let text: string;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      text = await res.text();
    } catch {
      this.failures++;
      return;
    }
    const at = Date.now();
    const metrics = parseExposition(text);
    this.scrapes++;
    const current = new Map<string, number>();
    for (const s of metrics.samples) {
      const { family, type } = familyOf(s.name, metrics.types);
      if (type === undefined || (type !== 'counter' && type !== 'histogram') || !this.options.include(family, type)) continue;
      current.set(seriesKey(s.name, s.labels), s.value);
    }
    for (const [key, before] of this.previous) {
      const now = current.get(key);
      if (now === undefined) this.violations.push(`${key} vanished (was ${before}) at scrape ${this.scrapes}`);
      else if (now < before) this.violations.push(`${key} went down from ${before} to ${now} at scrape ${this.scrapes}`);
    }
    this.previous = current;
    this.latest = { at, metrics };
  }
}
