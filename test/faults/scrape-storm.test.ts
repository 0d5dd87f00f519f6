import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, startCli, type RunningCli } from '../helpers/cli.js';
import { parseExposition } from '../helpers/exposition.js';
import { appendLines, counts, memoryOf } from '../helpers/faults.js';

/** 100 clients scrape at once, each on its own connection, half of them asking for gzip. */

let dir: string;
let cli: RunningCli | undefined;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'llmtail-fault-storm-'));
});
afterEach(async () => {
  if (cli !== undefined && cli.proc.exitCode === null && cli.proc.signalCode === null) await cli.stop('SIGKILL');
  cli = undefined;
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: string;
}

/** One GET on a fresh connection; rejects if no whole answer within 60 s (a hang). */
function get(url: string, gzip: boolean): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: gzip ? { 'accept-encoding': 'gzip' } : {}, timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString() : raw.toString();
        resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 60 s')));
    req.on('error', reject);
    req.end();
  });
}

describe('100 clients scraping at once', () => {
  it('answers every one with 200 or 503, identical counters in every 200, and stays up', async () => {
    const log = path.join(dir, 'app.jsonl');
    writeFileSync(log, '');
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, ['web:', '  max_concurrent_scrapes: 4', 'tail:', '  poll_interval_ms: 100', ''].join('\n'));
    cli = await startCli(['run', '--web.listen-address', '127.0.0.1:0', '--config', config, '--input', log, '--state-dir', path.join(dir, 'state')]);
    const running = cli;
    appendLines(log, 0, 5000);
    await eventually(async () => ((await counts(running)).lines === 5000 ? true : undefined), 20_000, '5000 lines');
    const before = memoryOf(running.proc.pid as number);

    const answers = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => get(running.url('/metrics'), i % 2 === 0)));
    const failed = answers.filter((a) => a.status === 'rejected').map((a) => String((a as PromiseRejectedResult).reason));
    expect(failed).toEqual([]);
    const got = answers.map((a) => (a as PromiseFulfilledResult<Answer>).value);
    expect(got.filter((a) => a.status !== 200 && a.status !== 503).map((a) => a.status)).toEqual([]);
    const ok = got.filter((a) => a.status === 200);
    const busy = got.filter((a) => a.status === 503);
    expect(ok.length).toBeGreaterThan(0);
    // Past web.max_concurrent_scrapes: 503 with Retry-After and a JSON reason.
    for (const b of busy) {
      expect(b.retryAfter).toBe('1');
      expect(JSON.parse(b.body)).toMatchObject({ error: 'too_many_scrapes' });
    }
    // Every 200 shows the same counters: nothing half-updated, nothing lost.
    const seen = new Set(
      ok.map((a) => {
        const m = parseExposition(a.body);
        return JSON.stringify([m.sum('llmtail_lines_total'), m.sum('llmtail_requests_total'), m.sum('llmtail_request_duration_seconds_count')]);
      }),
    );
    expect([...seen]).toEqual([JSON.stringify([5000, 5000, 5000])]);

    // Still up and serving, and still counting.
    expect(running.proc.exitCode).toBeNull();
    expect((await fetch(running.url('/healthz'))).status).toBe(200);
    appendLines(log, 5000, 100);
    await eventually(async () => ((await counts(running)).lines === 5100 ? true : undefined), 20_000, '5100 lines');
    const after = memoryOf(running.proc.pid as number);
    console.info(`scrape storm: ${ok.length} × 200, ${busy.length} × 503; RSS ${Math.round(before.rss / 2 ** 20)} → ${Math.round(after.rss / 2 ** 20)} MiB, peak ${Math.round(after.peak / 2 ** 20)} MiB`);
  }, 90_000);
});
