import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseCommand } from '../../../src/cli/args.js';
import { configSchema, type ConfigInput } from '../../../src/config/schema.js';
import { RequestMetrics } from '../../../src/consumers/metrics/request-metrics.js';
import { loadLiveAssets } from '../../../src/exposition/live/assets.js';
import { LiveRecorder, type LiveSeries } from '../../../src/exposition/live/recorder.js';
import { MetricsRegistry } from '../../../src/exposition/registry.js';
import { createApp, listen } from '../../../src/exposition/server.js';
import { createLogger } from '../../../src/log/logger.js';
import { LineStats } from '../../../src/pipeline/line-stats.js';
import { Sidecar } from '../../../src/sidecar.js';
import { eventually } from '../../helpers/cli.js';

const silent = createLogger('silent', 'json');
const dir = mkdtempSync(path.join(tmpdir(), 'llmtail-live-http-'));
let running: Sidecar[] = [];
afterEach(async () => {
  await Promise.all(running.map((s) => s.stop()));
  running = [];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const line = (i: number, status = 'success') =>
  `${JSON.stringify({ request_id: `r${i}`, model: 'm', input_tokens: 10, output_tokens: 5, total_time_ms: 100 + i, status })}\n`;

async function start(name: string, extra: Partial<ConfigInput> = {}) {
  const log = path.join(dir, `${name}.jsonl`);
  writeFileSync(log, '');
  const config = configSchema.parse({
    inputs: [log],
    web: { listen_address: '127.0.0.1:0' },
    tail: { poll_interval_ms: 50 },
    gpu: { enabled: 'off' },
    ...extra,
  });
  const sidecar = new Sidecar(config, silent, { processMetrics: false });
  running.push(sidecar);
  const port = await sidecar.start();
  return { sidecar, log, url: (p: string) => `http://127.0.0.1:${port}${p}` };
}

describe('GET /api/series', () => {
  it('serves columnar history sampled from the aggregates, with ?since= for what is new', async () => {
    const { sidecar, log, url } = await start('series', { ui: { resolution_seconds: 1 } });
    appendFileSync(log, line(1) + line(2) + line(3, 'error'));
    await sidecar.tailer?.settle();
    const series = await eventually(async () => {
      const res = await fetch(url('/api/series'));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = (await res.json()) as LiveSeries;
      // Rows until one covers the lines just written.
      return body.requests_per_second.error?.some((v) => v !== null && v > 0) ? body : undefined;
    }, 10_000, 'a row with the error request');
    expect(series.resolution_seconds).toBe(1);
    expect(series.window_seconds).toBe(1800);
    expect(series.capacity).toBe(1801);
    for (const column of [series.error_ratio, series.lines_per_second, series.tokens_per_second.input, series.e2e_latency_seconds.p99, series.files_followed]) {
      expect(column).toHaveLength(series.timestamps.length);
    }
    expect(series.health).toMatchObject({ lines_total: 3, invalid_lines_total: 0, files_followed: 1, gpu: 'off', inputs: [{ kind: 'file', ready: true }] });
    expect(series.gpus).toEqual([]);

    const last = series.timestamps[series.timestamps.length - 1] as number;
    const newer = (await (await fetch(url(`/api/series?since=${last}`))).json()) as LiveSeries;
    expect(newer.timestamps.every((t) => t > last)).toBe(true);
    expect((await fetch(url('/api/series?since=yesterday'))).status).toBe(400);
    const post = await fetch(url('/api/series'), { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('the live page', () => {
  it('is served at / with a strict CSP, no inline script or style, and versioned, cacheable assets', async () => {
    const { url } = await start('page');
    const res = await fetch(url('/'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|<style/);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('href="/metrics"');

    const links = [...html.matchAll(/(?:src|href)="(\/ui\/[^"]+)"/g)].map((m) => m[1] as string);
    expect(links.map((l) => l.replace(/\?.*/, '')).sort()).toEqual(['/ui/live.css', '/ui/live.js', '/ui/uPlot.iife.min.js', '/ui/uPlot.min.css']);
    for (const link of links) {
      const asset = await fetch(url(link));
      expect(asset.status, link).toBe(200);
      expect(asset.headers.get('content-type'), link).toMatch(link.includes('.js') ? /^application\/javascript/ : /^text\/css/);
      expect(asset.headers.get('cache-control'), link).toBe('private, max-age=31536000, immutable');
    }
    // Unversioned (or stale) links revalidate; unknown names are a JSON 404.
    expect((await fetch(url('/ui/live.js'))).headers.get('cache-control')).toBe('no-cache');
    expect((await fetch(url('/ui/../package.json'))).status).toBe(404);
    expect((await fetch(url('/ui/nope.js'))).status).toBe(404);
  });

  it('is off with ui.enabled false (--web.disable-ui): / lists the endpoints, /api/series and /ui/ are 404, nothing samples', async () => {
    const { sidecar, url } = await start('off', { ui: { enabled: false } });
    expect(sidecar.live).toBeUndefined();
    const root = await fetch(url('/'));
    expect(root.status).toBe(200);
    const html = await root.text();
    expect(html).toContain('<a href="/metrics">');
    expect(html).not.toContain('/ui/');
    expect(root.headers.get('content-security-policy')).toBeNull();
    expect((await fetch(url('/api/series'))).status).toBe(404);
    expect((await fetch(url('/ui/live.js'))).status).toBe(404);
  });

  it('sits behind basic auth like every endpoint', async () => {
    const requests = new RequestMetrics({ labels: ['model', 'status'], maxValuesPerLabel: 10, maxLabelValueLength: 64, buckets: {}, exemplars: false });
    const recorder = new LiveRecorder({ requests, lines: new LineStats(), sources: () => [] }, { resolutionSeconds: 5, windowSeconds: 60 });
    const app = createApp(
      { listenAddress: '127.0.0.1:0', telemetryPath: '/metrics', gzip: false, security: { tls: undefined, users: new Map([['alice', bcrypt.hashSync('pw', 4)]]) } },
      { registry: new MetricsRegistry(false), sources: () => [], log: silent, live: { recorder, assets: loadLiveAssets() } },
    );
    const { server, port } = await listen(app, '127.0.0.1:0');
    try {
      const auth = { Authorization: `Basic ${Buffer.from('alice:pw').toString('base64')}` };
      for (const p of ['/', '/api/series', '/ui/live.js']) {
        expect((await fetch(`http://127.0.0.1:${port}${p}`)).status, p).toBe(401);
        expect((await fetch(`http://127.0.0.1:${port}${p}`, { headers: auth })).status, p).toBe(200);
      }
    } finally {
      await new Promise<void>((resolve) => (server as Server).close(() => resolve()));
    }
  });
});

describe('ui configuration', () => {
  it('is on by default; --web.disable-ui and LLMTAIL_UI_ENABLED=false turn it off', () => {
    expect(parseCommand([], [], {}).config.ui).toEqual({ enabled: true, resolution_seconds: 5, window_seconds: 1800 });
    expect(parseCommand(['--web.disable-ui'], [], {}).config.ui.enabled).toBe(false);
    expect(parseCommand([], [], { LLMTAIL_UI_ENABLED: 'false' }).config.ui.enabled).toBe(false);
  });

  it('bounds resolution and window', () => {
    expect(configSchema.safeParse({ ui: { resolution_seconds: 0 } }).success).toBe(false);
    expect(configSchema.safeParse({ ui: { resolution_seconds: 61 } }).success).toBe(false);
    expect(configSchema.safeParse({ ui: { window_seconds: 3601 } }).success).toBe(false);
    expect(configSchema.safeParse({ ui: { resolution_seconds: 60, window_seconds: 60 } }).success).toBe(false);
    expect(configSchema.safeParse({ ui: { resolution_seconds: 1, window_seconds: 3600 } }).success).toBe(true);
  });
});
