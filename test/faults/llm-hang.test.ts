import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAlertSink, type AlertSink } from '../helpers/alert-sink.js';
import { eventually, startCli, type RunningCli } from '../helpers/cli.js';
import { logLines, scrape } from '../helpers/faults.js';

/**
 * The summarizer's model endpoint hangs: a loopback TCP server that accepts connections and never
 * sends a byte (not even a status line). test/integration/anomaly.test.ts covers an HTTP server
 * that stalls after reading the request; this one never reads at all, and the call has a short
 * timeout, so the timeout itself is seen end to end.
 */

interface Incident {
  id: string;
  model: string;
  status: string;
  summary: unknown;
  summarizer: { status: string; reason?: string };
}

const errorLine = (i: number, model: string, at = Date.now()) =>
  `${JSON.stringify({
    timestamp: new Date(at).toISOString(),
    request_id: `req-${model}-${i}`,
    model,
    input_tokens: 100,
    output_tokens: 0,
    total_time_ms: 50,
    status: 'error',
    error_type: 'oom',
    error: `CUDA out of memory. Tried to allocate ${(i % 9) + 0.5} GiB (GPU ${i % 2})`,
  })}\n`;

let dir: string;
let cli: RunningCli | undefined;
let blackHole: Server;
const held = new Set<Socket>();
let sink: AlertSink;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'llmtail-fault-llm-'));
  blackHole = createServer((socket) => {
    held.add(socket);
    socket.on('close', () => held.delete(socket));
    socket.on('error', () => undefined);
    socket.pause(); // accept, never read, never answer
  });
  await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
  sink = await startAlertSink();
});

afterEach(async () => {
  if (cli !== undefined && cli.proc.exitCode === null && cli.proc.signalCode === null) await cli.stop('SIGKILL');
  cli = undefined;
  for (const s of held) s.destroy();
  blackHole.close();
  sink.close();
  rmSync(dir, { recursive: true, force: true });
});

const port = (s: Server) => (s.address() as { port: number }).port;

function burst(log: string, model: string): void {
  // A first line stamped 30 s ago: the log's clock has closed buckets before the burst (no burst
  // starts in the first one), with no waiting — event time is the log's.
  appendFileSync(log, errorLine(0, model, Date.now() - 30_000));
  appendFileSync(log, Array.from({ length: 200 }, (_, i) => errorLine(i + 1, model)).join(''));
}

const incidents = async (c: RunningCli) => ((await (await fetch(c.url('/api/incidents'))).json()) as { incidents: Incident[] }).incidents;

describe('LLM endpoint hanging', () => {
  it('records the incident and alerts without a summary, reports the timeout, keeps /metrics answering, and shuts down with a call in flight', async () => {
    const log = path.join(dir, 'app.jsonl');
    writeFileSync(log, '');
    const config = path.join(dir, 'config.yaml');
    writeFileSync(
      config,
      [
        'anomaly:',
        '  burst: { bucket_seconds: 1, window_seconds: 4, min_lines: 20, quiet_seconds: 2, new_template_repeats: 0 }',
        'summarizer:',
        `  base_url: http://127.0.0.1:${port(blackHole)}/v1`,
        '  model: test-summarizer',
        '  timeout_ms: 3000',
        '  max_retries: 0',
        '  wait_for_summary_ms: 300',
        'alertmanager:',
        `  url: ${sink.url}`,
        '  resend_interval_ms: 1000',
        'tail:',
        '  poll_interval_ms: 100',
        '',
      ].join('\n'),
    );
    cli = await startCli(['run', '--web.listen-address', '127.0.0.1:0', '--config', config, '--input', log]);
    const running = cli;

    burst(log, 'qwen-7b');
    await eventually(async () => (held.size >= 1 ? true : undefined), 10_000, 'the model call to connect');
    // Answered while the call hangs on an open connection.
    const during = await scrape(running);
    expect(held.size).toBeGreaterThanOrEqual(1);
    expect(during.get('llmtail_summarizer_calls_total', { status: 'timeout' })).toBe(0);
    expect(during.get('llmtail_requests_total', { model: 'qwen-7b', status: 'error' })).toBe(201);
    expect(during.get('llmtail_error_bursts_total', { model: 'qwen-7b' })).toBe(1);

    // The incident is recorded and the alert goes out without waiting for the summary.
    const [incident] = await incidents(running);
    expect(incident).toMatchObject({ model: 'qwen-7b', summary: null, summarizer: { status: 'pending' } });
    await eventually(async () => (sink.posts.length >= 1 ? true : undefined), 10_000, 'the first alert');
    expect(sink.posts[0]?.[0]?.labels).toMatchObject({ alertname: 'LLMErrorBurst', model: 'qwen-7b', incident_id: incident?.id });

    // The call times out: counted, logged, and settled on the incident.
    const after = await eventually(
      async () => {
        const m = await scrape(running);
        return m.get('llmtail_summarizer_calls_total', { status: 'timeout' }) === 1 ? m : undefined;
      },
      20_000,
      'the timeout to be counted',
    );
    expect(after.get('llmtail_summarizer_latency_seconds_count')).toBe(1);
    const settled = (await incidents(running))[0];
    expect(settled).toMatchObject({ summary: null, summarizer: { status: 'timeout' } });
    expect(logLines(running, /burst summary unavailable/)).toEqual([expect.objectContaining({ summary_status: 'timeout', incident: incident?.id })]);
    expect(after.get('llmtail_requests_total', { model: 'qwen-7b', status: 'error' })).toBe(201);

    // A second burst (another model), its call hanging: SIGTERM ends the process at once, the
    // call aborted rather than waited out.
    const connectionsBefore = held.size;
    burst(log, 'llama-8b');
    await eventually(async () => (held.size > connectionsBefore || logLines(running, /burst summary/).length > 1 ? true : undefined), 10_000, 'the second model call');
    const stopped = await running.stop();
    expect(stopped.code).toBe(0);
    const second = logLines(running, /burst summary unavailable/)[1];
    expect(second).toMatchObject({ model: 'llama-8b' });
    expect(String(second?.reason)).toMatch(/shut/);
  }, 90_000);
});
