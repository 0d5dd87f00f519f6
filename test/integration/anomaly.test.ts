import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlertSink, type AlertSink } from '../helpers/alert-sink.js';
import { CLI, eventually, runCli, startCli, type RunningCli } from '../helpers/cli.js';
import { parseExposition } from '../helpers/exposition.js';
import { FakeOpenAI } from '../summarizer/fake-openai.js';

/**
 * Issue 6 through the real CLI: an error burst in a tailed log becomes an incident on
 * /api/incidents and an Alertmanager alert, while the model endpoint stalls — and /metrics keeps
 * answering at once. And `llmtail demo` shows an incident with no LLM at all.
 */

interface Incident {
  id: string;
  model: string;
  status: string;
  lines: number;
  templates: { id: string; template: string; count: number; examples: string[] }[];
  summary: unknown;
  summarizer: { status: string };
}

const errorLine = (i: number, at = Date.now()) =>
  JSON.stringify({
    timestamp: new Date(at).toISOString(),
    request_id: `req-${i}`,
    model: 'qwen-7b',
    input_tokens: 100,
    output_tokens: 0,
    total_time_ms: 50,
    status: 'error',
    error_type: 'oom',
    error: `CUDA out of memory. Tried to allocate ${(i % 9) + 0.5} GiB (GPU ${i % 2}) for tenant ops${i}@example.com from 10.1.${i % 250}.7`,
  });

describe('anomaly signals (real process, stalled model endpoint, test Alertmanager)', () => {
  let dir: string;
  let log: string;
  let cli: RunningCli;
  const model = new FakeOpenAI();
  let sink: AlertSink;

  beforeAll(async () => {
    model.behavior = 'stall';
    const baseURL = await model.start();
    sink = await startAlertSink();
    dir = mkdtempSync(path.join(tmpdir(), 'llmtail-anomaly-'));
    log = path.join(dir, 'requests.jsonl');
    writeFileSync(log, '');
    writeFileSync(
      path.join(dir, 'config.yaml'),
      [
        'anomaly:',
        '  burst: { bucket_seconds: 1, window_seconds: 4, min_lines: 20, quiet_seconds: 2, new_template_repeats: 0 }',
        'summarizer:',
        `  base_url: ${baseURL}`,
        '  model: test-summarizer',
        '  timeout_ms: 60000',
        '  max_retries: 0',
        '  wait_for_summary_ms: 300',
        'alertmanager:',
        `  url: ${sink.url}`,
        '  resend_interval_ms: 1000',
        '',
      ].join('\n'),
    );
    cli = await startCli(['run', '--config', path.join(dir, 'config.yaml'), '--input', log, '--web.listen-address', '127.0.0.1:0'], {
      env: { LLMTAIL_SUMMARIZER_API_KEY: 'secret-vllm-key' },
    });
  });

  afterAll(async () => {
    await cli?.stop();
    await model.stop();
    sink?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a burst becomes an incident and an alert; /metrics answers while the model call hangs', async () => {
    // A first line stamped 30 s ago: on the log's clock buckets have closed before the burst (no
    // burst starts in the first one) without the test waiting. 30 s behind is still live.
    appendFileSync(log, `${errorLine(0, Date.now() - 30_000)}\n`);
    appendFileSync(log, Array.from({ length: 300 }, (_, i) => `${errorLine(i + 1)}\n`).join(''));

    // The summary call is in flight, and stalls.
    await eventually(async () => (model.requests.length === 1 ? true : undefined), 10_000, 'the model call');
    expect(model.requests[0]?.headers.authorization).toBe('Bearer secret-vllm-key');

    const t0 = Date.now();
    const res = await fetch(cli.url('/metrics'));
    const text = await res.text();
    const scrapeMs = Date.now() - t0;
    // Answered while the call still hangs (its timeout is 60 s): the call never blocks a scrape.
    expect(res.status).toBe(200);
    expect(model.answered).toBe(0);
    expect(model.concurrent).toBe(1);
    expect(scrapeMs).toBeLessThan(60_000);
    const m = parseExposition(text);
    expect(m.get('llmtail_error_burst_in_progress', { model: 'qwen-7b' })).toBe(1);
    expect(m.get('llmtail_error_bursts_total', { model: 'qwen-7b' })).toBe(1);
    expect(m.get('llmtail_error_templates')).toBeGreaterThanOrEqual(1);
    expect(m.get('llmtail_summarizer_calls_total', { status: 'ok' })).toBe(0);
    expect(m.get('llmtail_requests_total', { model: 'qwen-7b', status: 'error' })).toBe(301);

    const { incidents } = (await (await fetch(cli.url('/api/incidents'))).json()) as { incidents: Incident[] };
    expect(incidents).toHaveLength(1);
    const incident = incidents[0] as Incident;
    expect(incident).toMatchObject({ model: 'qwen-7b', status: 'active', summary: null, summarizer: { status: 'pending' } });
    expect(incident.templates[0]?.template).toBe('CUDA out of memory. Tried to allocate <NUM> GiB (GPU <NUM>) for tenant <EMAIL> from <IP>');
    const body = JSON.stringify(incidents);
    expect(body).not.toContain('@example.com');
    expect(body).not.toMatch(/10\.1\.\d+\.7/);
    const one = await fetch(cli.url(`/api/incidents/${incident.id}`));
    expect(((await one.json()) as Incident).id).toBe(incident.id);
    const missing = await fetch(cli.url('/api/incidents/inc-nope'));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not_found' });
    // Nothing of the logs reached the model but templates: no e-mail, no IP.
    expect(model.allText()).not.toContain('@example.com');
    expect(model.allText()).not.toMatch(/10\.1\.\d+\.7/);

    // The alert went out after the short wait for the summary, without it.
    await eventually(async () => (sink.posts.length >= 1 ? true : undefined), 5000, 'the first alert');
    expect(sink.posts[0]?.[0]?.labels).toMatchObject({ alertname: 'LLMErrorBurst', model: 'qwen-7b', severity: 'critical', incident_id: incident.id });

    // No more errors: the burst ends (window 4 s + quiet 2 s) and the alert is resolved.
    const resolved = await eventually(
      async () => {
        const r = (await (await fetch(cli.url('/api/incidents'))).json()) as { incidents: Incident[] };
        return r.incidents[0]?.status === 'resolved' ? r.incidents[0] : undefined;
      },
      15_000,
      'the burst to end',
    );
    expect(resolved.summary).toBeNull();
    await eventually(async () => (sink.posts.some((a) => Date.parse(a[0]?.endsAt ?? '') <= Date.now()) ? true : undefined), 5000, 'the resolve');
    expect(sink.posts.length).toBeGreaterThanOrEqual(2);
  });

  it('shuts down promptly with the model call still hanging', async () => {
    const { code, ms } = await cli.stop();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5000);
  });

  it('replay sees a burst but neither calls the model nor posts alerts, however the lines arrive', async () => {
    const before = { calls: model.requests.length, alerts: sink.posts.length };
    // A burst on the log's clock: one line, then 100 twenty seconds later. Event time, not read
    // time: all at once, or a line at a time on stdin, gives the same exposition.
    const t0 = Date.UTC(2026, 0, 5, 3, 0, 0);
    const lines = [errorLine(0, t0), ...Array.from({ length: 100 }, (_, i) => errorLine(i + 1, t0 + 20_000 + i * 10))].map((l) => `${l}\n`);
    const replay = async (chunks: string[]): Promise<string> => {
      const proc = spawn(process.execPath, [CLI, 'replay', '--config', path.join(dir, 'config.yaml'), '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
      for (const c of chunks) await new Promise<void>((r) => proc.stdin.write(c, () => r()));
      proc.stdin.end();
      expect(await exited).toBe(0);
      return stdout;
    };
    const whole = await replay([lines.join('')]);
    const byLine = await replay(lines);
    expect(parseExposition(whole).get('llmtail_error_bursts_total', { model: 'qwen-7b' })).toBe(1);
    expect(byLine).toBe(whole);
    // The replays have exited: anything they were going to send has been sent.
    expect({ calls: model.requests.length, alerts: sink.posts.length }).toEqual(before);
  });

  it('check-config shows the API key redacted', async () => {
    const { code, stdout } = await runCli(['check-config', '--config', path.join(dir, 'config.yaml')], { env: { LLMTAIL_SUMMARIZER_API_KEY: 'secret-vllm-key' } });
    expect(code).toBe(0);
    expect(stdout).toMatch(/api_key: ["']\[redacted\]["']/);
    expect(stdout).not.toContain('secret-vllm-key');
  });
});

describe('llmtail demo', () => {
  it('shows an incident on /api/incidents without any LLM', async () => {
    const demo = await startCli(['demo', '--rate', '25', '--burst-every', '12', '--web.listen-address', '127.0.0.1:0']);
    try {
      const incident = await eventually(
        async () => {
          const r = (await (await fetch(demo.url('/api/incidents'))).json()) as { incidents: Incident[] };
          return r.incidents[0];
        },
        40_000,
        'an incident',
      );
      expect(incident.summarizer.status).toBe('disabled');
      expect(incident.templates.length).toBeGreaterThan(0);
      expect(incident.lines).toBeGreaterThanOrEqual(20);
    } finally {
      await demo.stop();
    }
  }, 60_000);
});
