import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startCli, type RunningCli } from '../helpers/cli.js';
import { parseExposition } from '../helpers/exposition.js';

/**
 * The real CLI as a process on a temp log: lines in every preset are appended, /metrics is scraped
 * over HTTP, and counts, sums and bucket counts are asserted exactly.
 */

const LINES = [
  // flat (seed 002), success and error
  '{"timestamp":"2025-04-05T10:23:45Z","request_id":"req-1","method":"POST","path":"/v1/chat/completions","model":"qwen-7b","input_tokens":1240,"output_tokens":320,"total_time_ms":1876,"queue_time_ms":120,"inference_time_ms":1756,"gpu_memory_mb":18432,"status":"success"}',
  '{"timestamp":"2025-04-05T10:23:46Z","request_id":"req-2","model":"qwen-7b","input_tokens":800,"output_tokens":0,"total_time_ms":3000,"queue_time_ms":2500,"inference_time_ms":500,"status":"error","error_type":"oom"}',
  // nested (seed 001)
  '{"timestamp":1735689234,"level":"INFO","request_id":"req-3","model":"qwen-14b","input":"q","output":"{}","metadata":{"prompt_tokens":28,"completion_tokens":67,"total_tokens":95,"first_token_latency_ms":320,"total_latency_ms":1150,"device":"cuda:0","json_mode":true}}',
  // elk (seed 003): no model
  '{"timestamp":"2025-04-05T10:23:45Z","level":"INFO","request_id":"req-4","prompt":"hi","response_length":156,"inference_time_ms":892,"status":"success"}',
  // TGI success, and a TGI line that is not a request
  '{"timestamp":"2024-01-22T14:12:48.556953Z","level":"INFO","message":"Success","target":"text_generation_router::server","span":{"inference_time":"2.317846917s","queue_time":"45.262µs","time_per_token":"23.178469ms","total_time":"2.318094406s","validation_time":"202.345µs","name":"generate"},"spans":[{"name":"generate"}]}',
  '{"timestamp":"2024-01-22T14:12:40Z","level":"INFO","message":"Connected","target":"text_generation_router"}',
  // OpenAI-style gateway, 504
  '{"id":"chatcmpl-1","created":1735689234,"model":"qwen-7b","usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15},"latency_ms":500,"ttft_ms":100,"status_code":504}',
  // bad lines
  '{"truncated": ',
  '[1,2]',
  '',
];

describe('llmtail run (real process, real HTTP)', () => {
  let dir: string;
  let log: string;
  let cli: RunningCli;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'llmtail-run-'));
    log = path.join(dir, 'requests.jsonl');
    // Lines already in the file at startup are history: by default they are not counted.
    writeFileSync(log, `${LINES[0]}\n${LINES[1]}\n`);
    cli = await startCli(['run', '--input', path.join(dir, '*.jsonl'), '--web.listen-address', '127.0.0.1:0']);
    appendFileSync(log, LINES.map((l) => `${l}\n`).join(''));
  });

  afterAll(async () => {
    await cli?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const scrape = async (headers: Record<string, string> = {}) => {
    const res = await fetch(cli.url('/metrics'), { headers });
    return { res, text: await res.text() };
  };
  const settled = () =>
    eventually(
      async () => {
        const m = parseExposition((await scrape()).text);
        return m.sum('llmtail_lines_total') === LINES.length ? m : undefined;
      },
      10_000,
      'all appended lines to be counted',
    );

  it('counts every appended line exactly, and none of the lines already there', async () => {
    const m = await settled();
    expect(m.get('llmtail_lines_total', { result: 'ok' })).toBe(6);
    expect(m.get('llmtail_lines_total', { result: 'unmapped' })).toBe(1);
    expect(m.get('llmtail_lines_total', { result: 'invalid' })).toBe(2);
    expect(m.get('llmtail_lines_total', { result: 'empty' })).toBe(1);
    expect(m.get('llmtail_lines_invalid_total', { reason: 'json_syntax' })).toBe(1);
    expect(m.get('llmtail_lines_invalid_total', { reason: 'not_object' })).toBe(1);

    expect(m.get('llmtail_requests_total', { model: 'qwen-7b', status: 'success' })).toBe(1);
    expect(m.get('llmtail_requests_total', { model: 'qwen-7b', status: 'error' })).toBe(1);
    expect(m.get('llmtail_requests_total', { model: 'qwen-7b', status: 'timeout' })).toBe(1);
    expect(m.get('llmtail_requests_total', { model: 'qwen-14b', status: 'success' })).toBe(1);
    expect(m.get('llmtail_requests_total', { model: 'unknown', status: 'success' })).toBe(2);
    expect(m.sum('llmtail_requests_total')).toBe(6);
  });

  it('fills the histograms with exact sums and bucket counts, and only from fields that were logged', async () => {
    const m = await settled();
    const ok7b = { model: 'qwen-7b', status: 'success' };
    expect(m.get('llmtail_request_duration_seconds_sum', ok7b)).toBe(1.876);
    expect(m.get('llmtail_request_duration_seconds_count', ok7b)).toBe(1);
    expect(m.get('llmtail_request_duration_seconds_bucket', { ...ok7b, le: '1.5' })).toBe(0);
    expect(m.get('llmtail_request_duration_seconds_bucket', { ...ok7b, le: '2' })).toBe(1);
    expect(m.get('llmtail_request_duration_seconds_bucket', { ...ok7b, le: '+Inf' })).toBe(1);
    // 3 s is a bucket boundary (the seed-002 P99 alert), and le is inclusive.
    const err7b = { model: 'qwen-7b', status: 'error' };
    expect(m.get('llmtail_request_duration_seconds_bucket', { ...err7b, le: '2.5' })).toBe(0);
    expect(m.get('llmtail_request_duration_seconds_bucket', { ...err7b, le: '3' })).toBe(1);
    expect(m.get('llmtail_request_queue_time_seconds_sum', err7b)).toBe(2.5);
    expect(m.get('llmtail_request_inference_time_seconds_sum', ok7b)).toBe(1.756);

    // The flat line logged no TTFT: no TTFT series at all, never a 0 observation.
    expect(m.all('llmtail_time_to_first_token_seconds_count', ok7b)).toHaveLength(0);
    const ok14b = { model: 'qwen-14b', status: 'success' };
    expect(m.get('llmtail_time_to_first_token_seconds_sum', ok14b)).toBe(0.32);
    expect(m.get('llmtail_time_to_first_token_seconds_bucket', { ...ok14b, le: '0.3' })).toBe(0);
    expect(m.get('llmtail_time_to_first_token_seconds_bucket', { ...ok14b, le: '0.5' })).toBe(1);
    // Derived time per output token: (1.15 - 0.32) / (67 - 1).
    expect(m.get('llmtail_time_per_output_token_seconds_sum', ok14b)).toBeCloseTo((1.15 - 0.32) / 66, 12);

    // TGI duration strings.
    const tgi = { model: 'unknown', status: 'success' };
    expect(m.get('llmtail_time_per_output_token_seconds_sum', tgi)).toBeCloseTo(0.023178469, 12);
    expect(m.get('llmtail_request_queue_time_seconds_sum', tgi)).toBeCloseTo(45.262e-6, 12);

    expect(m.get('llmtail_prompt_tokens_total', ok7b)).toBe(1240);
    expect(m.get('llmtail_completion_tokens_total', ok7b)).toBe(320);
    expect(m.get('llmtail_request_prompt_tokens_bucket', { ...ok7b, le: '1024' })).toBe(0);
    expect(m.get('llmtail_request_prompt_tokens_bucket', { ...ok7b, le: '2048' })).toBe(1);

    expect(m.get('llmtail_request_errors_total', { ...err7b, error_type: 'oom' })).toBe(1);
    expect(m.get('llmtail_request_errors_total', { model: 'qwen-7b', status: 'timeout', error_type: 'http_504' })).toBe(1);
    expect(m.get('llmtail_log_gpu_memory_used_bytes', { device: '' })).toBe(18432 * 1024 * 1024);
    // Newest log timestamp among the counted lines (the flat lines' 2025-04-05T10:23:46Z).
    expect(m.get('llmtail_last_event_timestamp_seconds')).toBe(Date.parse('2025-04-05T10:23:46Z') / 1000);
  });

  it('passes promtool check metrics on a real scrape', async () => {
    await settled();
    const { text } = await scrape();
    const out = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(out).toBe('');
  });

  it('serves OpenMetrics with request-id exemplars when asked, and gzip', async () => {
    await settled();
    const { res, text } = await scrape({ Accept: 'application/openmetrics-text;version=1.0.0,text/plain;q=0.5' });
    expect(res.headers.get('content-type')).toContain('application/openmetrics-text');
    expect(text.endsWith('# EOF\n')).toBe(true);
    expect(text).toContain('# TYPE llmtail_requests counter');
    expect(text).toMatch(/llmtail_request_duration_seconds_bucket\{le="2",model="qwen-7b",status="success"\} 1 # \{request_id="req-1"\} 1\.876 \d+(\.\d+)?/);

    // node:http, not fetch: fetch would undo the compression we want to see.
    const gz = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      get(cli.url('/metrics'), { headers: { 'Accept-Encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
    expect(gz.encoding).toBe('gzip');
    const plain = gunzipSync(gz.body).toString();
    expect(plain).toContain('llmtail_requests_total{model="qwen-7b",status="success"} 1');
  });

  it('answers health, readiness and unknown paths', async () => {
    expect(await (await fetch(cli.url('/healthz'))).json()).toEqual({ status: 'ok' });
    const ready = await fetch(cli.url('/readyz'));
    expect(ready.status).toBe(200);
    const missing = await fetch(cli.url('/nope'));
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/json');
    expect(await missing.json()).toEqual({ error: 'not_found' });
    // /ingest is opt-in.
    expect((await fetch(cli.url('/ingest'), { method: 'POST', body: '{}' })).status).toBe(404);
  });

  it('follows lines appended later, and a file that appears under the glob later from its first byte', async () => {
    await settled();
    appendFileSync(path.join(dir, 'later.jsonl'), `${LINES[0]}\n${LINES[0]}\n`);
    const m = await eventually(async () => {
      const e = parseExposition((await scrape()).text);
      return e.get('llmtail_requests_total', { model: 'qwen-7b', status: 'success' }) === 3 ? e : undefined;
    });
    expect(m.get('llmtail_files_watched')).toBe(2);
  });

  it('shuts down cleanly on SIGTERM within 5 s', async () => {
    const { code, ms } = await cli.stop('SIGTERM');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5000);
  });
});
