import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/report-data.js';
import { execFileSync, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { CLI, runCli } from '../helpers/cli.js';

/**
 * `llmtail report` as a real process, on logs whose answers are known by construction: latencies
 * 1..1000 ms (shuffled), so the nearest-rank P50/P95/P99 are 500/950/990 ms; every 100th request
 * failed; a mixed-preset log with bad lines of every reason, counted exactly.
 */

let dir: string;
const T0 = Date.UTC(2025, 3, 5, 10, 0, 0) / 1000;

/** Line k (k = 0..999 in file order) has latency ms[k]; ms is a fixed permutation of 1..1000. */
const MS = Array.from({ length: 1000 }, (_, i) => ((i * 367) % 1000) + 1);

function knownLine(k: number): string {
  const ms = MS[k] as number;
  const failed = ms % 100 === 0;
  return JSON.stringify({
    timestamp: new Date((T0 + k) * 1000).toISOString(),
    request_id: `r${k}`,
    model: ms % 2 === 1 ? 'model-odd' : 'model-even',
    input_tokens: ms,
    output_tokens: 2 * ms,
    total_time_ms: ms,
    queue_time_ms: 0,
    ttft_ms: ms / 10,
    status: failed ? 'error' : 'success',
    error_type: failed ? 'oom' : undefined,
    error: failed ? `CUDA out of memory on request r${k} <script>alert(1)</script>` : undefined,
  });
}

const KNOWN = `${Array.from({ length: 1000 }, (_, k) => knownLine(k)).join('\n')}\n`;

/** Two requests in each built-in shape (e2e 100..1000 ms), and bad lines of every kind. */
const MIXED = [
  // flat
  '{"timestamp":"2025-04-05T10:00:00Z","request_id":"f1","model":"qwen-a","input_tokens":100,"output_tokens":10,"total_time_ms":100,"queue_time_ms":1,"inference_time_ms":99,"status":"success"}',
  '{"timestamp":"2025-04-05T10:00:01Z","request_id":"f2","model":"qwen-a","input_tokens":100,"output_tokens":10,"total_time_ms":200,"queue_time_ms":1,"inference_time_ms":199,"status":"error","error_type":"oom","error":"CUDA out of memory"}',
  // nested
  '{"timestamp":1743847202,"level":"INFO","request_id":"n1","model":"qwen-a","input":"hi","output":"","metadata":{"prompt_tokens":28,"completion_tokens":67,"total_tokens":95,"first_token_latency_ms":50,"total_latency_ms":300}}',
  '{"timestamp":1743847203,"level":"INFO","request_id":"n2","model":"qwen-a","input":"hi","output":"{not json","metadata":{"prompt_tokens":28,"completion_tokens":67,"total_tokens":95,"first_token_latency_ms":50,"total_latency_ms":400,"json_mode":true}}',
  // openai
  '{"id":"chatcmpl-1","created":1743847204,"model":"qwen-b","usage":{"prompt_tokens":28,"completion_tokens":67,"total_tokens":95},"latency_ms":500,"ttft_ms":30,"status_code":200,"choices":[{"finish_reason":"stop"}]}',
  '{"id":"chatcmpl-2","created":1743847205,"model":"qwen-b","usage":{"prompt_tokens":28,"completion_tokens":0,"total_tokens":28},"latency_ms":600,"status_code":429,"error":{"type":"rate_limited","message":"Rate limit reached"}}',
  // tgi
  '{"timestamp":"2025-04-05T10:00:06Z","level":"INFO","message":"Success","target":"text_generation_router::server","span":{"inference_time":"0.6s","queue_time":"45.262µs","time_per_token":"23.178469ms","total_time":"700ms","name":"generate"},"spans":[{"name":"HTTP request"},{"name":"generate"}]}',
  '{"timestamp":"2025-04-05T10:00:07Z","level":"INFO","message":"Success","target":"text_generation_router::server","span":{"inference_time":"0.7s","queue_time":"45.262µs","time_per_token":"23.178469ms","total_time":"800ms","name":"generate"},"spans":[{"name":"HTTP request"},{"name":"generate"}]}',
  // elk
  '{"timestamp":"2025-04-05T10:00:08Z","level":"INFO","request_id":"e1","prompt":"x","response_length":156,"inference_time_ms":900,"status":"success"}',
  '{"timestamp":"2025-04-05T10:00:09Z","level":"ERROR","request_id":"e2","prompt":"x","response_length":0,"inference_time_ms":1000,"status":"timeout","error_type":"timeout","error":"Request e2 timed out after 1s"}',
  // bad lines: 3 json_syntax, 2 not_object, 1 too_long, 2 unmapped, 2 empty
  '{not json',
  '{"a":',
  'garbage',
  '[1,2]',
  '42',
  `{"pad":"${'x'.repeat(3000)}"}`,
  '{"msg":"server started"}',
  '{"event":"ready"}',
  '',
  '   ',
].join('\n');

const TOO_LONG_ENV = { LLMTAIL_LINES_MAX_BYTES: '2048' };

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'llmtail-report-'));
  writeFileSync(path.join(dir, 'known.jsonl'), KNOWN);
  // Named without .gz on purpose: gzip is recognized by its magic bytes.
  writeFileSync(path.join(dir, 'known-compressed.log'), gzipSync(KNOWN));
  writeFileSync(path.join(dir, 'mixed.jsonl'), `${MIXED}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** runCli writes its input as UTF-8 text; gzip on stdin needs the bytes as they are. */
function runBinaryStdin(args: string[], input: Buffer): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    let stdout = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.on('exit', (code) => resolve({ code, stdout }));
    proc.stdin.end(input);
  });
}

async function jsonReport(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Report> {
  const r = await runCli(['report', '--format', 'json', ...args], options);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Report;
}

describe('llmtail report on a log with known answers', () => {
  it('counts, success rate, exact nearest-rank percentiles, tokens, time span and rates', async () => {
    const r = await jsonReport(['--preset', 'flat', path.join(dir, 'known.jsonl')]);
    const o = r.overall;
    expect(o.requests).toBe(1000);
    expect(o.by_status.success).toBe(990);
    expect(o.by_status.error).toBe(10);
    expect(o.success_rate).toBe(0.99);
    expect(r.percentiles).toMatchObject({ method: 'nearest_rank', exact: true, relative_error: null });
    expect(o.e2e_latency_seconds).toEqual({ count: 1000, sum: expect.closeTo(500.5, 9), mean: expect.closeTo(0.5005, 12), min: 0.001, max: 1, p50: 0.5, p95: 0.95, p99: 0.99 });
    expect(o.time_to_first_token_seconds).toMatchObject({ count: 1000, p50: 0.05, p95: 0.095, p99: 0.099 });
    expect(o.prompt_tokens).toMatchObject({ count: 1000, sum: 500_500, mean: 500.5, p50: 500, p95: 950, p99: 990 });
    expect(o.completion_tokens).toMatchObject({ sum: 1_001_000, mean: 1001, p50: 1000, p95: 1900, p99: 1980 });
    expect(r.time).toEqual({
      first_event: '2025-04-05T10:00:00.000Z',
      last_event: '2025-04-05T10:16:39.000Z',
      first_event_unix_seconds: T0,
      last_event_unix_seconds: T0 + 999,
      span_seconds: 999,
      requests_without_timestamp: 0,
    });
    expect(o.requests_per_second).toBeCloseTo(1000 / 999, 12);
    expect(o.output_tokens_per_second).toBeCloseTo(1_001_000 / 999, 9);
    expect(o.input_tokens_per_second).toBeCloseTo(500_500 / 999, 9);
    expect(o.errors_by_type).toEqual([{ status: 'error', error_type: 'oom', count: 10 }]);
    expect(r.error_templates.error_lines).toBe(10);
    expect(r.error_templates.top).toHaveLength(1);
    expect(r.error_templates.top[0]?.count).toBe(10);
    expect(r.lines).toMatchObject({ total: 1000, ok: 1000, invalid: 0, unmapped: 0, empty: 0 });
  });

  it('per model: odd latencies 1..999 ms and even ones 2..1000 ms, each with its own percentiles', async () => {
    const r = await jsonReport(['--preset', 'flat', path.join(dir, 'known.jsonl')]);
    const odd = r.models.find((m) => m.model === 'model-odd');
    const even = r.models.find((m) => m.model === 'model-even');
    // 500 values each: ranks 250, 475, 495.
    expect(odd?.e2e_latency_seconds).toMatchObject({ count: 500, p50: 0.499, p95: 0.949, p99: 0.989, min: 0.001, max: 0.999 });
    expect(even?.e2e_latency_seconds).toMatchObject({ count: 500, p50: 0.5, p95: 0.95, p99: 0.99, min: 0.002, max: 1 });
    expect(even?.by_status.error).toBe(10);
    expect(odd?.by_status.error).toBe(0);
    expect(r.models.map((m) => m.model).sort()).toEqual(['model-even', 'model-odd']);
  });

  it('the timeline covers the span in buckets chosen from it, and counts every request once', async () => {
    const r = await jsonReport(['--preset', 'flat', path.join(dir, 'known.jsonl')]);
    expect(r.timeline.bucket_seconds).toBe(10); // 1000 s: 100 buckets of 10 s
    expect(r.timeline.buckets).toHaveLength(100);
    expect(r.timeline.buckets.reduce((n, b) => n + b.requests, 0)).toBe(1000);
    expect(r.timeline.buckets.reduce((n, b) => n + b.errors, 0)).toBe(10);
    expect(r.timeline.buckets[0]?.requests_per_second).toBe(1);
    expect(r.histograms.e2e_latency_seconds.reduce((n, b) => n + b.count, 0)).toBe(1000);
  });

  it('a gzip file (recognized by its bytes, not its name) gives the same report as the plain file', async () => {
    const plain = await runCli(['report', '--preset', 'flat', path.join(dir, 'known.jsonl')]);
    const gz = await runCli(['report', '--preset', 'flat', path.join(dir, 'known-compressed.log')]);
    expect(gz.code).toBe(0);
    const strip = (s: string) =>
      s
        .replace(/known-compressed\.log \(gzip\)|known\.jsonl/g, 'FILE')
        .replace(/^llmtail report: .*\n=+\n/, '')
        .replace(' (after decompression)', '');
    expect(strip(gz.stdout)).toBe(strip(plain.stdout));
    const a = await jsonReport(['--preset', 'flat', path.join(dir, 'known.jsonl')]);
    const b = await jsonReport(['--preset', 'flat', path.join(dir, 'known-compressed.log')]);
    expect(b.inputs[0]?.gzip).toBe(true);
    expect({ ...b, inputs: [] }).toEqual({ ...a, inputs: [] });
  });

  it('reads stdin with -, plain or gzip', async () => {
    const file = await jsonReport(['--preset', 'flat', path.join(dir, 'known.jsonl')]);
    const stdin = await jsonReport(['--preset', 'flat', '-'], { input: KNOWN });
    expect({ ...stdin, inputs: [] }).toEqual({ ...file, inputs: [] });
    expect(stdin.inputs).toEqual([{ path: '-', bytes: null, gzip: false, warning: null }]);
    const gz = await runBinaryStdin(['report', '--format', 'json', '--preset', 'flat', '-'], gzipSync(KNOWN));
    expect(gz.code).toBe(0);
    const fromGz = JSON.parse(gz.stdout) as Report;
    expect(fromGz.inputs).toEqual([{ path: '-', bytes: null, gzip: true, warning: null }]);
    expect({ ...fromGz, inputs: [] }).toEqual({ ...file, inputs: [] });
  });

  it('--exact-limit past which percentiles come from sketches: the output says approximate, with the bound, and stays within it', async () => {
    const r = await jsonReport(['--preset', 'flat', '--exact-limit', '100', path.join(dir, 'known.jsonl')]);
    expect(r.percentiles).toMatchObject({ exact: false, relative_error: 0.01, exact_value_limit: 100 });
    const e2e = r.overall.e2e_latency_seconds;
    expect(Math.abs((e2e.p50 as number) - 0.5) / 0.5).toBeLessThanOrEqual(0.01);
    expect(Math.abs((e2e.p95 as number) - 0.95) / 0.95).toBeLessThanOrEqual(0.01);
    expect(Math.abs((e2e.p99 as number) - 0.99) / 0.99).toBeLessThanOrEqual(0.01);
    expect(e2e.min).toBe(0.001); // count, sum, min, max stay exact
    expect(e2e.max).toBe(1);
    const table = await runCli(['report', '--preset', 'flat', '--exact-limit', '100', path.join(dir, 'known.jsonl')]);
    expect(table.stdout).toContain('Percentiles are approximate: within ±1 %');
  });
});

describe('llmtail report on mixed presets and bad lines', () => {
  it('auto-detects every preset and counts bad lines exactly, by reason', async () => {
    const r = await jsonReport([path.join(dir, 'mixed.jsonl')], { env: TOO_LONG_ENV });
    expect(r.lines).toMatchObject({
      total: 20,
      ok: 10,
      invalid: 6,
      unmapped: 2,
      empty: 2,
      invalid_by_reason: { json_syntax: 3, not_object: 2, too_long: 1 },
    });
    const o = r.overall;
    expect(o.requests).toBe(10);
    expect(o.by_status).toMatchObject({ success: 7, error: 1, rejected: 1, timeout: 1 });
    // 10 latencies 0.1..1 s: P50 = 5th = 0.5 s, P95 = P99 = 10th = 1 s.
    expect(o.e2e_latency_seconds).toMatchObject({ count: 10, p50: 0.5, p95: 1, p99: 1, min: 0.1, max: 1 });
    expect(o.errors_by_type).toEqual([
      { status: 'error', error_type: 'oom', count: 1 },
      { status: 'rejected', error_type: 'rate_limited', count: 1 },
      { status: 'timeout', error_type: 'timeout', count: 1 },
    ]);
    // nested: one empty response, one malformed JSON in JSON mode.
    expect(o.quality?.issues).toMatchObject({ empty_response: 1, malformed_json: 1 });
    expect(r.models.map((m) => m.model).sort()).toEqual(['qwen-a', 'qwen-b', 'unknown']);
    expect(r.models.find((m) => m.model === 'unknown')?.requests).toBe(4); // tgi and elk name no model
  });

  it('--default-model names the models of lines without one, and --preset restricts to one shape', async () => {
    const named = await jsonReport(['--default-model', 'tgi-box', path.join(dir, 'mixed.jsonl')], { env: TOO_LONG_ENV });
    expect(named.models.find((m) => m.model === 'tgi-box')?.requests).toBe(4);
    // A named preset takes only lines with one of its markers (issue 16): the other shapes' 8
    // lines and the 2 non-requests are unmapped.
    const flatOnly = await jsonReport(['--preset', 'flat', path.join(dir, 'mixed.jsonl')], { env: TOO_LONG_ENV });
    expect(flatOnly.lines).toMatchObject({ ok: 2, unmapped: 10 });
    expect(flatOnly.overall.e2e_latency_seconds.count).toBe(2); // only the flat lines carry total_time_ms
  });

  it('a custom mapping from a config file works as in replay', async () => {
    const log = path.join(dir, 'custom.jsonl');
    writeFileSync(log, ['{"ev":"done","ts":1743847200000,"t":{"total":250},"m":"x"}', '{"ev":"done","ts":1743847201000,"t":{"total":750},"m":"x"}', '{"ev":"start"}'].join('\n'));
    const config = path.join(dir, 'custom.yaml');
    writeFileSync(config, 'preset: custom\nmapping:\n  match:\n    - { ev: { equals: [done] } }\n  fields:\n    timestamp: { path: ts, format: epoch_ms }\n    model: m\n    e2e_latency: { path: t.total, unit: ms }\n');
    const r = await jsonReport(['--config', config, log]);
    expect(r.overall.requests).toBe(2);
    expect(r.lines.unmapped).toBe(1);
    expect(r.overall.e2e_latency_seconds).toMatchObject({ p50: 0.25, p99: 0.75 });
    expect(r.time.span_seconds).toBe(1);
  });
});

describe('llmtail report formats', () => {
  it('table: aligned plain text with the key numbers, no control characters', async () => {
    const r = await runCli(['report', '--preset', 'flat', path.join(dir, 'known.jsonl')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Success rate                         99.00 %');
    expect(r.stdout).toMatch(/end to end\s+1,000\s+500\.5 ms\s+1 ms\s+500 ms\s+950 ms\s+990 ms\s+1 s/);
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
  });

  it('markdown: headings and pipe tables, log text escaped', async () => {
    const r = await runCli(['report', '--format', 'markdown', '--preset', 'flat', path.join(dir, 'known.jsonl')]);
    expect(r.stdout).toMatch(/^# llmtail report: /);
    expect(r.stdout).toContain('## Summary');
    expect(r.stdout).toContain('| end to end | 1,000 | 500.5 ms | 1 ms | 500 ms | 950 ms | 990 ms | 1 s |');
    expect(r.stdout).not.toContain('<script>');
    expect(r.stdout).toContain('&lt;script');
  });

  it('html: one self-contained file with inline SVG charts, no script, no external resource, log text escaped', async () => {
    const out = path.join(dir, 'report.html');
    const r = await runCli(['report', '--preset', 'flat', '--out', out, path.join(dir, 'known.jsonl')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html.match(/<svg /g)?.length).toBe(6);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(&lt;NUM&gt;)&lt;/script&gt;');
    // No resource is fetched: no src/href/url()/@import at all (the SVG namespace is not a fetch).
    expect(html).not.toMatch(/\s(src|href|srcset|action)\s*=/i);
    expect(html).not.toMatch(/url\(|@import/i);
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:|\/\//);
    expect(html).toContain('End-to-end latency (10 s buckets)');
  });

  it('json: the documented top-level schema', async () => {
    const r = await jsonReport(['--preset', 'flat', path.join(dir, 'known.jsonl')]);
    expect(Object.keys(r)).toEqual(['schema_version', 'generator', 'inputs', 'percentiles', 'time', 'overall', 'models', 'model_names_folded', 'error_templates', 'incidents', 'incident_detection', 'lines', 'timeline', 'histograms']);
    expect(r.schema_version).toBe(1);
  });

  it('--by-model adds a section per model', async () => {
    const r = await runCli(['report', '--by-model', '--preset', 'flat', path.join(dir, 'known.jsonl')]);
    expect(r.stdout).toContain('Model model-odd');
    expect(r.stdout).toContain('Model model-even');
  });
});

describe('llmtail report progress and errors', () => {
  it('--progress always draws the bar on stderr and clears it; stdout is the same as without it', async () => {
    const file = path.join(dir, 'known.jsonl');
    const quiet = await runCli(['report', '--preset', 'flat', '--progress', 'never', file]);
    const loud = await runCli(['report', '--preset', 'flat', '--progress', 'always', file]);
    expect(loud.code).toBe(0);
    expect(loud.stdout).toBe(quiet.stdout);
    expect(loud.stderr).toContain('lines/s');
    expect(loud.stderr).toMatch(/\[[#-]{20}\] .* \/ \d/);
    expect(loud.stderr.endsWith('\r\x1b[K')).toBe(true);
    expect(quiet.stderr).toBe('');
  });

  it('auto (the default) shows nothing when stderr is not a terminal', async () => {
    const r = await runCli(['report', '--preset', 'flat', path.join(dir, 'known.jsonl')]);
    expect(r.stderr).toBe('');
  });

  it('a missing file fails before anything is read, naming it; no FILE is a usage error', async () => {
    const r = await runCli(['report', path.join(dir, 'known.jsonl'), path.join(dir, 'nope.jsonl')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot read ${path.join(dir, 'nope.jsonl')}: ENOENT`);
    expect(r.stdout).toBe('');
    expect((await runCli(['report'])).code).toBe(2);
    expect((await runCli(['report', '--format', 'pdf', 'x'])).code).toBe(2);
  });

  it('a truncated gzip file (head -c 5000): the report of the lines before the cut, a loud warning, exit 0', async () => {
    const big = `${Array.from({ length: 20 }, () => KNOWN).join('')}`;
    const cut = path.join(dir, 'trunc.gz');
    writeFileSync(cut, gzipSync(big).subarray(0, 5000));
    const r = await runCli(['report', '--format', 'json', '--preset', 'flat', cut]);
    expect(r.code).toBe(0);
    const m = /llmtail report: warning: (.*): truncated gzip stream \(([\d,]+) lines read before the cut\); the report covers only those lines\n$/.exec(r.stderr);
    expect(m?.[1]).toBe(cut);
    expect(r.stderr).not.toContain('Z_BUF_ERROR');
    const lines = Number(m?.[2].replace(/,/g, ''));
    expect(lines).toBeGreaterThan(0);
    expect(lines).toBeLessThan(20_000);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.inputs).toEqual([{ path: cut, bytes: 5000, gzip: true, warning: expect.stringContaining('truncated gzip stream') }]);
    // Every line before the cut, each whole: no broken last line counted as invalid.
    expect(report.lines).toMatchObject({ total: lines, ok: lines, invalid: 0 });
    expect(report.overall.requests).toBe(lines);
    const table = await runCli(['report', '--preset', 'flat', cut]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(`Warning: ${cut}: truncated gzip stream`);
  });

  it('a gzip file cut before its first line, or corrupt: errors naming the file and what is wrong', async () => {
    const header = path.join(dir, 'header-only.gz');
    writeFileSync(header, gzipSync(KNOWN).subarray(0, 12));
    const r = await runCli(['report', header]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot read ${header}: truncated gzip stream (no complete line before the cut)`);
    expect(r.stdout).toBe('');
    const corrupt = path.join(dir, 'crc.gz');
    const gz = Buffer.from(gzipSync(KNOWN));
    gz[gz.length - 8]! ^= 0xff; // wrong CRC-32: "incorrect data check"
    writeFileSync(corrupt, gz);
    const c = await runCli(['report', '--format', 'json', '--preset', 'flat', corrupt]);
    expect(c.code).toBe(0);
    expect(c.stderr).toMatch(/^llmtail report: warning: .*crc\.gz: corrupt gzip stream \([\d,]+ lines read before the damage\)/);
  });
});

describe('llmtail report on pipes, FIFOs and process substitution', () => {
  /** Run the CLI on a FIFO while this process writes `data` into it. */
  async function throughFifo(name: string, data: string | Buffer, extra: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string; fifo: string }> {
    const fifo = path.join(dir, name);
    execFileSync('mkfifo', [fifo]);
    const running = runCli(['report', '--preset', 'flat', ...extra, fifo]);
    await writeFile(fifo, data);
    return { ...(await running), fifo };
  }

  it('a FIFO gives the same report as the file, with no size', async () => {
    const file = await jsonReport(['--preset', 'flat', path.join(dir, 'known.jsonl')]);
    const r = await throughFifo('known.fifo', KNOWN, ['--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const fifo = JSON.parse(r.stdout) as Report;
    expect(fifo.inputs).toEqual([{ path: r.fifo, bytes: null, gzip: false, warning: null }]);
    expect({ ...fifo, inputs: [] }).toEqual({ ...file, inputs: [] });
  });

  it('gzip through a FIFO is recognized by its first bytes', async () => {
    const file = await jsonReport(['--preset', 'flat', path.join(dir, 'known.jsonl')]);
    const r = await throughFifo('known-gz.fifo', gzipSync(KNOWN), ['--format', 'json']);
    expect(r.code).toBe(0);
    const fifo = JSON.parse(r.stdout) as Report;
    expect(fifo.inputs).toEqual([{ path: r.fifo, bytes: null, gzip: true, warning: null }]);
    expect({ ...fifo, inputs: [] }).toEqual({ ...file, inputs: [] });
  });

  it('the progress bar on a FIFO has no total: bytes read and lines/s', async () => {
    const r = await throughFifo('progress.fifo', KNOWN, ['--progress', 'always']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(' read ');
    expect(r.stderr).not.toMatch(/\[[#-]{20}\]/);
  });

  it('through a shell: cat a.jsonl | llmtail report /dev/stdin, and llmtail report <(cat a.jsonl.gz)', async () => {
    const file = await jsonReport(['--preset', 'flat', path.join(dir, 'known.jsonl')]);
    const sh = (script: string) => JSON.parse(execFileSync('bash', ['-c', script], { env: { ...process.env, NODE: process.execPath, CLI, DIR: dir } }).toString()) as Report;
    const piped = sh('cat "$DIR/known.jsonl" | "$NODE" "$CLI" report --format json --preset flat /dev/stdin');
    expect(piped.inputs).toEqual([{ path: '/dev/stdin', bytes: null, gzip: false, warning: null }]);
    expect({ ...piped, inputs: [] }).toEqual({ ...file, inputs: [] });
    const substituted = sh('"$NODE" "$CLI" report --format json --preset flat <(cat "$DIR/known-compressed.log")');
    expect(substituted.inputs[0]).toMatchObject({ bytes: null, gzip: true, warning: null });
    expect({ ...substituted, inputs: [] }).toEqual({ ...file, inputs: [] });
  });

  it('/dev/stdin on a socket (as a process manager may give): the stdin this process has', async () => {
    const file = await jsonReport(['--preset', 'flat', path.join(dir, 'known.jsonl')]);
    const r = await jsonReport(['--preset', 'flat', '/dev/stdin'], { input: KNOWN });
    expect(r.inputs).toEqual([{ path: '/dev/stdin', bytes: null, gzip: false, warning: null }]);
    expect({ ...r, inputs: [] }).toEqual({ ...file, inputs: [] });
  });
});
