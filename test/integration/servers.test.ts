import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, runCli, startCli, type RunningCli } from '../helpers/cli.js';
import { parseExposition } from '../helpers/exposition.js';

/**
 * The real servers' logs (test/fixtures/servers/) through the real CLI: `replay` per preset, a live
 * `run` following SGLang's hourly files, the request minimum of issue 16, and prompt text that must
 * never come out of the process.
 */

const FIXTURES = fileURLToPath(new URL('../fixtures/servers/', import.meta.url));
const fixture = (name: string) => path.join(FIXTURES, name);
const SECRET = 'SECRET-PROMPT-b41c';

interface Case {
  preset: string;
  files: string[];
  ok: number;
  unmapped: number;
  requests: Record<string, number>;
  duration: number;
  prompt: number;
  completion: number;
}

const CASES: Case[] = [
  {
    preset: 'sglang',
    files: ['sglang-request-metrics.jsonl', 'sglang-request-metrics-older.jsonl', 'sglang-request-log-json.jsonl'],
    ok: 5,
    unmapped: 1,
    requests: { success: 4, client_error: 1 },
    duration: 0.14213981700004297 + 2.4671903590019792 + 0.00712384200026281 + 1.2831497192382812 + 2.4671903590019792,
    prompt: 5 + 1311 + 1 + 412 + 1311,
    completion: 32 + 187 + 96 + 187,
  },
  { preset: 'tgi', files: ['tgi-json-output.jsonl'], ok: 4, unmapped: 0, requests: { success: 2, error: 2 }, duration: 1.760978711 + 3.416257805, prompt: 0, completion: 437 },
  { preset: 'litellm', files: ['litellm-standard-logging-payload.jsonl'], ok: 2, unmapped: 0, requests: { success: 1, error: 1 }, duration: 2.4892868995666504 + 0.034416913986206055, prompt: 1311, completion: 187 },
  { preset: 'nginx', files: ['nginx-json-access.jsonl'], ok: 6, unmapped: 0, requests: { success: 4, cancelled: 1, error: 1 }, duration: 21.705, prompt: 57, completion: 150 },
  { preset: 'envoy-ai-gateway', files: ['envoy-ai-gateway-access.jsonl'], ok: 3, unmapped: 0, requests: { success: 2, rejected: 1 }, duration: 5.305, prompt: 3013, completion: 474 },
];

describe('llmtail replay of real server logs', () => {
  it.each(CASES)('--preset $preset: exact lines, requests by status, latency and token sums', async (c) => {
    for (const preset of [c.preset, 'auto']) {
      const r = await runCli(['replay', '--preset', preset, '--default-model', 'dm', ...c.files.map(fixture)]);
      expect(r.code, r.stderr).toBe(0);
      const m = parseExposition(r.stdout);
      expect(m.get('llmtail_lines_total', { result: 'ok' })).toBe(c.ok);
      expect(m.get('llmtail_lines_total', { result: 'unmapped' })).toBe(c.unmapped);
      for (const [status, n] of Object.entries(c.requests)) expect(m.sum('llmtail_requests_total', { status })).toBe(n);
      expect(m.sum('llmtail_requests_total')).toBe(c.ok);
      expect(m.sum('llmtail_request_duration_seconds_sum')).toBeCloseTo(c.duration, 6);
      expect(m.sum('llmtail_prompt_tokens_total')).toBe(c.prompt);
      expect(m.sum('llmtail_completion_tokens_total')).toBe(c.completion);
      expect(m.sum('llmtail_field_errors_total')).toBe(0);
    }
  });

  it('every other server log through a named preset is unmapped, never a request', async () => {
    const all = CASES.flatMap((c) => c.files);
    for (const c of CASES) {
      const others = all.filter((f) => !c.files.includes(f)).map(fixture);
      const r = await runCli(['replay', '--preset', c.preset, ...others]);
      const m = parseExposition(r.stdout);
      expect({ preset: c.preset, ok: m.get('llmtail_lines_total', { result: 'ok' }) ?? 0 }).toEqual({ preset: c.preset, ok: 0 });
      expect(m.sum('llmtail_requests_total')).toBe(0);
    }
  });

  it('issue 16: objects with none of the preset’s fields are unmapped under --preset flat, not requests', async () => {
    const deep = `{"x":${'{"y":'.repeat(300)}1${'}'.repeat(300)}}`;
    const input = `{"note":"overflow","value":1e400}\n${deep}\n{"request_id":"r","total_time_ms":250,"input_tokens":3}\n`;
    const r = await runCli(['replay', '--preset', 'flat', '-'], { input });
    expect(r.code).toBe(0);
    const m = parseExposition(r.stdout);
    expect(m.get('llmtail_lines_total', { result: 'unmapped' })).toBe(2);
    expect(m.get('llmtail_lines_total', { result: 'ok' })).toBe(1);
    expect(m.sum('llmtail_requests_total')).toBe(1);
    expect(m.all('llmtail_requests_total', { model: 'unknown', status: 'unknown' }).map((s) => s.value)).toEqual([1]);
  });

  it('prompt text (SGLang request_parameters, LiteLLM messages) never reaches the output, the log or the summary', async () => {
    const sglang = `{"request_parameters": "{\\"text\\": \\"${SECRET}\\"}", "id": "r1", "finish_reason": {"type": "abort", "message": "bad", "status_code": 400, "err_type": "BadRequestError"}, "prompt_tokens": "${SECRET}", "e2e_latency": 0.1, "response_sent_to_client_ts": 1767608702.9}`;
    const litellm = readFileSync(fixture('litellm-standard-logging-payload.jsonl'), 'utf8').replaceAll('Summarise the attached incident report in five bullet points.', SECRET);
    for (const format of ['prometheus', 'openmetrics', 'summary']) {
      const r = await runCli(['replay', '--log.level', 'debug', '--format', format, '-'], { input: `${sglang}\n${litellm}` });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toContain(SECRET);
      expect(r.stderr).not.toContain(SECRET);
    }
  });
});

describe('llmtail run on SGLang hourly files (real process)', () => {
  let dir: string;
  let cli: RunningCli;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'llmtail-servers-'));
    // The hour's file exists at startup (followed from its end); the next hour's appears later.
    writeFileSync(path.join(dir, 'sglang-request-metrics-20260105_10.log'), '');
    cli = await startCli(['run', '--input', path.join(dir, 'sglang-request-metrics-*.log'), '--default-model', 'qwen', '--web.listen-address', '127.0.0.1:0']);
    appendFileSync(path.join(dir, 'sglang-request-metrics-20260105_10.log'), readFileSync(fixture('sglang-request-metrics.jsonl')));
    copyFileSync(fixture('sglang-request-metrics-older.jsonl'), path.join(dir, 'sglang-request-metrics-20260105_11.log'));
    // A line about the prompt that must not come out: the secret in request_parameters.
    appendFileSync(path.join(dir, 'sglang-request-metrics-20260105_11.log'), `{"request_parameters": "{\\"text\\": \\"${SECRET}\\"}", "id": "r9", "finish_reason": {"type": "stop", "matched": 2}, "prompt_tokens": 7, "completion_tokens": 2, "e2e_latency": 0.5, "response_sent_to_client_ts": 1767612000.5}\n`);
  });

  afterAll(async () => {
    await cli?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts both hours exactly, with the default model, and never shows the prompt', async () => {
    const m = await eventually(
      async () => {
        const parsed = parseExposition(await (await fetch(cli.url('/metrics'))).text());
        return parsed.sum('llmtail_lines_total') === 5 ? parsed : undefined;
      },
      10_000,
      'five lines',
    );
    expect(m.get('llmtail_lines_total', { result: 'ok' })).toBe(5);
    expect(m.get('llmtail_requests_total', { model: 'qwen', status: 'success' })).toBe(4);
    expect(m.get('llmtail_requests_total', { model: 'qwen', status: 'client_error' })).toBe(1);
    expect(m.get('llmtail_request_errors_total', { model: 'qwen', status: 'client_error', error_type: 'BadRequestError' })).toBe(1);
    expect(m.sum('llmtail_request_duration_seconds_sum')).toBeCloseTo(0.14213981700004297 + 2.4671903590019792 + 0.00712384200026281 + 1.2831497192382812 + 0.5, 6);
    expect(m.sum('llmtail_prompt_tokens_total')).toBe(5 + 1311 + 1 + 412 + 7);
    expect(m.sum('llmtail_completion_tokens_total')).toBe(32 + 187 + 96 + 2);
    // TTFT from prefill_finished_time / prefill_finished_ts − request_received_ts: two records allow it.
    expect(m.sum('llmtail_time_to_first_token_seconds_count')).toBe(2);
    expect(m.sum('llmtail_time_to_first_token_seconds_sum')).toBeCloseTo(0.1243 + 0.0697, 6);
    for (const p of ['/metrics', '/api/series']) {
      const res = await fetch(cli.url(p));
      expect(await res.text()).not.toContain(SECRET);
    }
    expect(cli.stderr()).not.toContain(SECRET);
  });
});

describe('llmtail run with auto on a log mixing every server and their non-request lines (real process)', () => {
  let dir: string;
  let cli: RunningCli;
  const noise = [
    '{"timestamp":"2026-01-05T10:20:01.003214Z","level":"INFO","message":"Connected","target":"text_generation_router","filename":"router/src/main.rs","line_number":262}',
    '{"timestamp":"2026-01-05T10:19:59.1Z","level":"ERROR","fields":{"message":"Shard 0 failed to start"},"target":"text_generation_launcher"}',
    '{"time":"2026-01-05T10:24:13+00:00","msec":"1767608653.000","request_id":"aa","method":"GET","uri":"/health","status":"200","request_time":"0.001","upstream_response_time":"0.001"}',
    '{"message":"LiteLLM: Proxy initialized with Config","level":"INFO","timestamp":"2026-01-05T10:20:00.123456"}',
  ];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'llmtail-servers-auto-'));
    cli = await startCli(['run', '--input', path.join(dir, '*.jsonl'), '--default-model', 'dm', '--web.listen-address', '127.0.0.1:0']);
    const body = [...CASES.flatMap((c) => c.files.map((f) => readFileSync(fixture(f), 'utf8'))), `${noise.join('\n')}\n`].join('');
    writeFileSync(path.join(dir, 'mixed.jsonl'), body);
  });

  afterAll(async () => {
    await cli?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts exactly the requests, by status, with the latency and token sums of all servers', async () => {
    const lines = CASES.reduce((a, c) => a + c.ok + c.unmapped, 0) + noise.length;
    const m = await eventually(
      async () => {
        const parsed = parseExposition(await (await fetch(cli.url('/metrics'))).text());
        return parsed.sum('llmtail_lines_total') === lines ? parsed : undefined;
      },
      10_000,
      `${lines} lines`,
    );
    expect(m.get('llmtail_lines_total', { result: 'ok' })).toBe(CASES.reduce((a, c) => a + c.ok, 0));
    expect(m.get('llmtail_lines_total', { result: 'unmapped' })).toBe(CASES.reduce((a, c) => a + c.unmapped, 0) + noise.length);
    const byStatus: Record<string, number> = {};
    for (const c of CASES) for (const [s, n] of Object.entries(c.requests)) byStatus[s] = (byStatus[s] ?? 0) + n;
    for (const [status, n] of Object.entries(byStatus)) expect(m.sum('llmtail_requests_total', { status })).toBe(n);
    expect(m.sum('llmtail_request_duration_seconds_sum')).toBeCloseTo(CASES.reduce((a, c) => a + c.duration, 0), 6);
    expect(m.sum('llmtail_prompt_tokens_total')).toBe(CASES.reduce((a, c) => a + c.prompt, 0));
    expect(m.sum('llmtail_completion_tokens_total')).toBe(CASES.reduce((a, c) => a + c.completion, 0));
    expect(m.sum('llmtail_field_errors_total')).toBe(0);
  });
});
