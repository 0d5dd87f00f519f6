import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AlertPayload } from '../../../src/consumers/anomaly/alertmanager.js';
import { FakeOpenAI } from '../../summarizer/fake-openai.js';
import { burst, harness, quiet, type Harness } from '../../summarizer/helpers.js';

/** A test Alertmanager v2 receiver: records every POST /api/v2/alerts body; can be told to fail. */
class Receiver {
  readonly posts: AlertPayload[][] = [];
  status = 200;
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (d: Buffer) => (raw += d.toString()));
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/api/v2/alerts' && req.headers['content-type'] === 'application/json') {
          this.posts.push(JSON.parse(raw) as AlertPayload[]);
          res.writeHead(this.status).end();
        } else res.writeHead(404).end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}/`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  /** Waits for I/O, not for a time: the deadline only turns a hang into a failure. */
  async waitFor(n: number): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (this.posts.length < n) {
      if (Date.now() > deadline) throw new Error(`expected ${n} posts, got ${this.posts.length}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

const am = new Receiver();
const fake = new FakeOpenAI();
let amUrl: string;
let baseURL: string;
const harnesses: Harness[] = [];

beforeAll(async () => {
  amUrl = await am.start();
  baseURL = await fake.start();
});
afterAll(async () => {
  await am.stop();
  await fake.stop();
});
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.signals.stop();
  am.posts.length = 0;
  am.status = 200;
  fake.behavior = 'good';
  fake.delayMs = 0;
});

function make(options: Parameters<typeof harness>[0]): Harness {
  const h = harness(options);
  harnesses.push(h);
  return h;
}

describe('Alertmanager notifier (test v2 receiver)', () => {
  it('posts the burst with the summary, re-sends it while it lasts, and resolves it when it ends', async () => {
    fake.delayMs = 150;
    const h = make({ baseURL, alertmanager: { url: amUrl, resend_interval_ms: 60_000 }, summarizer: { wait_for_summary_ms: 5000 } });
    const incident = burst(h, 'Qwen/Qwen2.5-7B-Instruct', 400, (i) => `CUDA out of memory. Tried to allocate ${(i % 7) + 0.5} GiB`);
    // The first post waits for the summary (150 ms here), not for the whole wait.
    await am.waitFor(1);
    const [first] = am.posts[0] as AlertPayload[];
    expect(first?.labels).toEqual({ alertname: 'LLMErrorBurst', model: 'Qwen/Qwen2.5-7B-Instruct', severity: 'critical', incident_id: incident.id });
    expect(first?.annotations.summary).toContain('Error burst on Qwen/Qwen2.5-7B-Instruct: 401 error lines');
    expect(first?.annotations.description).toContain('CUDA out of memory. Tried to allocate <NUM> GiB');
    expect(first?.annotations.description).toContain('Likely cause (LLM, confidence 0.70): KV-cache memory pressure under a load spike.');
    expect(first?.annotations.llm_summary).toBe('KV-cache memory pressure under a load spike.');
    expect(first?.startsAt).toBe(new Date(incident.startedAt).toISOString());
    expect(Date.parse(first?.endsAt ?? '')).toBeGreaterThan(h.clock.now);

    // Not due yet; then due. The first post must have settled (the receiver sees it before the
    // notifier has its answer); the test drives the ticks, never the wall clock.
    await h.signals.alerts!.idle();
    h.signals.alerts!.tick(h.clock.now + 1000);
    h.clock.now += 60_000;
    h.signals.alerts!.tick();
    await am.waitFor(2);
    await h.signals.alerts!.idle();
    expect(am.posts[1]?.[0]?.labels).toEqual(first?.labels);
    expect(Date.parse(am.posts[1]?.[0]?.endsAt ?? '')).toBeGreaterThan(h.clock.now);

    quiet(h);
    expect(incident.status).toBe('resolved');
    await am.waitFor(3);
    const resolved = am.posts[2]?.[0];
    expect(resolved?.labels).toEqual(first?.labels);
    expect(resolved?.endsAt).toBe(new Date(incident.endedAt as number).toISOString());
    await h.signals.alerts!.idle();
    expect(incident.alert.resolvedPosted).toBe(true);
    // Nothing more after the resolve.
    h.clock.now += 600_000;
    h.signals.alerts!.tick();
    await h.signals.alerts!.idle();
    expect(am.posts).toHaveLength(3);
    expect([...h.signals.alertPosts.counts]).toEqual([3, 0, 0]);
  });

  it('does not wait longer than wait_for_summary_ms; severity is ours, never the model’s', async () => {
    fake.behavior = 'stall';
    const h = make({ baseURL, alertmanager: { url: amUrl }, summarizer: { wait_for_summary_ms: 300, timeout_ms: 30_000 } });
    const t0 = Date.now();
    const incident = burst(h, 'm', 30, (i) => `decode failed at step ${i}`);
    await am.waitFor(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    const alert = am.posts[0]?.[0];
    // 30 lines against a threshold of 20: a warning (critical needs 5× the threshold).
    expect(alert?.labels.severity).toBe('warning');
    expect(alert?.annotations.description).toContain('No LLM summary (pending).');
    expect(alert?.annotations.llm_summary).toBeUndefined();
    expect(incident.summarizer.status).toBe('pending');
  });

  it('catching up never pages for the past: a burst over before the reader caught up is recorded, one still going then is posted', async () => {
    const h = make({ alertmanager: { url: amUrl } });
    const t0 = h.clock.now;
    const line = (t: number, status: 'success' | 'error', message = 'worker crashed') =>
      h.signals.consumer.consume({ status, model: 'm', timestamp: t / 1000, errorType: 'oom', errorMessage: message });
    // The reader is three hours behind: a minute of traffic, a burst, two quiet minutes.
    h.clock.now = t0 + 3 * 3_600_000;
    for (let t = t0; t < t0 + 60_000; t += 500) line(t, 'success');
    for (let k = 0; k < 100; k++) line(t0 + 60_000 + k * 100, 'error');
    for (let t = t0 + 70_000; t < t0 + 200_000; t += 500) line(t, 'success');
    h.signals.tick();
    const [past] = h.started();
    expect(past).toMatchObject({ status: 'resolved', backlog: true });
    expect(past?.startedAt).toBeGreaterThanOrEqual(t0 + 60_000);
    // Caught up to 400 s behind now, then a burst that runs until now: found while behind, still
    // going once the reader has caught up — posted then.
    const now = h.clock.now;
    for (let t = now - 460_000; t < now - 400_000; t += 500) line(t, 'success');
    for (let t = now - 400_000; t <= now; t += 100) line(t, 'error', 'decode failed');
    const current = h.started()[1];
    expect(current?.status).toBe('active');
    expect(now - (current?.startedAt ?? 0)).toBeGreaterThan(300_000);
    await h.signals.alerts!.idle();
    expect(am.posts).toHaveLength(0);
    h.signals.tick();
    await am.waitFor(1);
    expect(am.posts[0]?.[0]?.labels.incident_id).toBe(current?.id);
    expect(current?.backlog).toBe(false);
    await h.signals.alerts!.idle();
    expect(am.posts).toHaveLength(1);
  });

  it('posts at once without a summarizer', async () => {
    const h = make({ alertmanager: { url: amUrl } });
    burst(h, 'm', 100, (i) => `worker crashed ${i}`);
    await am.waitFor(1);
    expect(am.posts[0]?.[0]?.annotations.description).toContain('No LLM summary (disabled).');
  });

  it('counts failed posts and retries them, the resolve included', async () => {
    am.status = 500;
    const h = make({ alertmanager: { url: amUrl, resend_interval_ms: 1000 } });
    const incident = burst(h, 'm', 100, (i) => `worker crashed ${i}`);
    await am.waitFor(1);
    await h.signals.alerts!.idle();
    expect(h.signals.alertPosts.counts[1]).toBe(1);
    quiet(h);
    await am.waitFor(2);
    await h.signals.alerts!.idle();
    am.status = 200;
    h.signals.alerts!.tick();
    await am.waitFor(3);
    await h.signals.alerts!.idle();
    expect(incident.alert.resolvedPosted).toBe(true);
    expect([...h.signals.alertPosts.counts]).toEqual([1, 2, 0]);
  });
});
