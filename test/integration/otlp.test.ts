import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startCli, type RunningCli } from '../helpers/cli.js';
import { parseExposition, type Exposition } from '../helpers/exposition.js';
import { expected, vllmRequests, vllmSpans, type VllmRequest } from '../helpers/vllm-spans.js';

/**
 * Issue 14: vLLM's request spans through POST /v1/traces of the real CLI, exported by the real
 * OpenTelemetry JS SDK exporters (protobuf and JSON), and the OTLP/HTTP protocol's answers.
 */

let dir: string;
let clis: RunningCli[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'llmtail-otlp-'));
});
afterEach(async () => {
  for (const cli of clis) if (cli.proc.exitCode === null && cli.proc.signalCode === null) await cli.stop('SIGKILL');
  clis = [];
  rmSync(dir, { recursive: true, force: true });
});

async function sidecar(args: string[] = []): Promise<RunningCli> {
  const cli = await startCli(['run', '--web.enable-otlp', '--web.listen-address', '127.0.0.1:0', '--gpu', 'off', '--default-model', 'vllm-default', ...args]);
  clis.push(cli);
  return cli;
}

async function scrape(cli: RunningCli): Promise<Exposition> {
  return parseExposition(await (await fetch(cli.url('/metrics'))).text());
}

function send(exporter: ProtoExporter | JsonExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

/** Two vLLM servers naming their model in the resource, one naming none, and noise spans. */
const servers: { model: string | undefined; requests: VllmRequest[] }[] = [
  { model: 'qwen-7b', requests: vllmRequests(120, 1) },
  { model: 'llama-70b', requests: vllmRequests(80, 2) },
  { model: undefined, requests: vllmRequests(30, 3) },
];
const spansOf = (s: (typeof servers)[number]) => vllmSpans(s.requests, s.model === undefined ? {} : { 'gen_ai.request.model': s.model }, { noise: 4 });

/** In batches of 50, as a BatchSpanProcessor would send them. */
function batches(spans: ReadableSpan[], size = 50): ReadableSpan[][] {
  const out: ReadableSpan[][] = [];
  for (let i = 0; i < spans.length; i += size) out.push(spans.slice(i, i + size));
  return out;
}

function expectServerMetrics(m: Exposition, model: string, requests: readonly VllmRequest[]): void {
  const by = (reason: VllmRequest['finishReason'][]) => requests.filter((r) => reason.includes(r.finishReason)).length;
  expect(m.get('llmtail_requests_total', { model, status: 'success' })).toBe(by(['stop', 'length']));
  expect(m.get('llmtail_requests_total', { model, status: 'cancelled' })).toBe(by(['abort']));
  expect(m.sum('llmtail_request_duration_seconds_count', { model })).toBe(requests.length);
  expect(m.sum('llmtail_request_duration_seconds_sum', { model })).toBeCloseTo(requests.reduce((a, r) => a + expected(r).e2e, 0), 6);
  expect(m.sum('llmtail_time_to_first_token_seconds_count', { model })).toBe(requests.length);
  expect(m.sum('llmtail_time_to_first_token_seconds_sum', { model })).toBeCloseTo(requests.reduce((a, r) => a + expected(r).ttft, 0), 6);
  expect(m.sum('llmtail_request_queue_time_seconds_sum', { model })).toBeCloseTo(requests.reduce((a, r) => a + r.queue, 0), 6);
  expect(m.sum('llmtail_prompt_tokens_total', { model })).toBe(requests.reduce((a, r) => a + r.promptTokens, 0));
  expect(m.sum('llmtail_completion_tokens_total', { model })).toBe(requests.reduce((a, r) => a + r.completionTokens, 0));
}

/** The request metric families, as text: what must be identical whichever encoding carried them. */
function requestFamilies(m: Exposition): string[] {
  return m.samples
    .filter((s) => /^llmtail_(request|requests|time_to|time_per|prompt|completion)/.test(s.name))
    .map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`)
    .sort();
}

describe('POST /v1/traces with the OpenTelemetry SDK exporters', () => {
  it('counts every vLLM request span exactly, per model, from protobuf and from JSON alike', async () => {
    const results: Exposition[] = [];
    for (const Exporter of [ProtoExporter, JsonExporter]) {
      const cli = await sidecar();
      const exporter = new Exporter({ url: cli.url('/v1/traces') });
      for (const server of servers) for (const batch of batches(spansOf(server))) expect(await send(exporter, batch)).toEqual({ code: 0 });
      await exporter.shutdown();
      const m = await scrape(cli);
      for (const s of servers) expectServerMetrics(m, s.model ?? 'vllm-default', s.requests);
      expect(m.get('llmtail_otlp_spans_total', { result: 'request' })).toBe(230);
      expect(m.get('llmtail_otlp_spans_total', { result: 'not_request' })).toBe(12);
      expect(m.get('llmtail_otlp_spans_total', { result: 'rejected' })).toBe(0);
      results.push(m);
    }
    expect(requestFamilies(results[1]!)).toEqual(requestFamilies(results[0]!));
    expect(requestFamilies(results[0]!).length).toBeGreaterThan(50);
  });

  it('loses and duplicates nothing acknowledged across a SIGKILL between export batches (--state-dir)', async () => {
    const state = path.join(dir, 'state');
    const all = servers[0]!.requests;
    const spans = spansOf({ model: 'qwen-7b', requests: all }).filter((s) => s.name === 'llm_request' && s.kind === 1);
    const [a, b, c] = [spans.slice(0, 40), spans.slice(40, 90), spans.slice(90)];
    let cli = await sidecar(['--state-dir', state]);
    let exporter = new ProtoExporter({ url: cli.url('/v1/traces') });
    expect(await send(exporter, a)).toEqual({ code: 0 });
    expect(await send(exporter, b)).toEqual({ code: 0 });
    await cli.stop('SIGKILL');
    await exporter.shutdown();
    cli = await sidecar(['--state-dir', state]);
    exporter = new ProtoExporter({ url: cli.url('/v1/traces') });
    expect(await send(exporter, c)).toEqual({ code: 0 });
    await exporter.shutdown();
    expectServerMetrics(await scrape(cli), 'qwen-7b', all);
  });
});

describe('OTLP/HTTP answers', () => {
  const spans = vllmSpans(vllmRequests(10, 9), { 'gen_ai.request.model': 'm' });
  const protobuf = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array);
  const json = Buffer.from(JsonTraceSerializer.serializeRequest(spans) as Uint8Array);
  const post = (cli: RunningCli, body: Buffer | string, headers: Record<string, string>) =>
    fetch(cli.url('/v1/traces'), { method: 'POST', body, headers });

  it('gives 415, 400 (with a Status in the request encoding) and 405 for what it cannot take, and counts nothing from them', async () => {
    const cli = await sidecar();
    expect((await post(cli, json, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post(cli, json, { 'content-type': 'application/json', 'content-encoding': 'br' })).status).toBe(415);
    const badProto = await post(cli, Buffer.from([0x0a, 0x7f, 0x01]), { 'content-type': 'application/x-protobuf' });
    expect(badProto.status).toBe(400);
    expect(badProto.headers.get('content-type')).toContain('application/x-protobuf');
    const status = Buffer.from(await badProto.arrayBuffer());
    expect(status[0]).toBe(0x08); // google.rpc.Status.code = 3 (INVALID_ARGUMENT)
    expect(status[1]).toBe(3);
    expect(status.toString('utf8')).toContain('malformed ExportTraceServiceRequest');
    const badJson = await post(cli, '{"resourceSpans":', { 'content-type': 'application/json' });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toEqual({ code: 3, message: 'the body is not valid JSON' });
    expect((await post(cli, Buffer.from('not gzip'), { 'content-type': 'application/json', 'content-encoding': 'gzip' })).status).toBe(400);
    expect((await fetch(cli.url('/v1/traces'))).status).toBe(405);
    const m = await scrape(cli);
    expect(m.sum('llmtail_requests_total')).toBe(0);
    expect(m.get('llmtail_otlp_requests_total', { result: 'bad_request' })).toBe(3);
    expect(m.get('llmtail_otlp_requests_total', { result: 'unsupported_media_type' })).toBe(2);
  });

  it('takes gzip bodies, answers an empty ExportTraceServiceResponse, and reports rejected spans as partial success', async () => {
    const cli = await sidecar();
    const ok = await post(cli, gzipSync(protobuf), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(ok.status).toBe(200);
    expect(Buffer.from(await ok.arrayBuffer())).toHaveLength(0);
    const okJson = await post(cli, gzipSync(json), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(await okJson.json()).toEqual({});
    const body = JSON.parse(json.toString()) as { resourceSpans: { scopeSpans: { spans: { spanId: string }[] }[] }[] };
    body.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.spanId = 'zz';
    const partial = await post(cli, JSON.stringify(body), { 'content-type': 'application/json' });
    expect(partial.status).toBe(200);
    expect(await partial.json()).toEqual({ partialSuccess: { rejectedSpans: '1', errorMessage: '1 span(s) rejected: invalid span_id' } });
    // The same in protobuf, read back with the SDK's own response decoder.
    const zeroId = Object.create(spans[1]!, { spanContext: { value: () => ({ ...spans[1]!.spanContext(), spanId: '0000000000000000' }) } }) as ReadableSpan;
    const partialProto = await post(cli, Buffer.from(ProtobufTraceSerializer.serializeRequest([spans[0]!, zeroId]) as Uint8Array), { 'content-type': 'application/x-protobuf' });
    expect(partialProto.status).toBe(200);
    expect(ProtobufTraceSerializer.deserializeResponse(new Uint8Array(await partialProto.arrayBuffer()))).toEqual({
      partialSuccess: { rejectedSpans: 1, errorMessage: '1 span(s) rejected: invalid span_id' },
    });
    const m = await scrape(cli);
    expect(m.sum('llmtail_requests_total', { model: 'm' })).toBe(10 + 10 + 9 + 1);
    expect(m.get('llmtail_otlp_spans_total', { result: 'rejected' })).toBe(2);
  });

  it('answers 413 for a body over the limit and for a gzip body that inflates past it (zip bomb), counting nothing', async () => {
    writeFileSync(path.join(dir, 'c.yaml'), 'web:\n  otlp_max_body_bytes: 65536\n');
    const cli = await sidecar(['--config', path.join(dir, 'c.yaml')]);
    const bomb = gzipSync(Buffer.alloc(10 << 20, 0x0a));
    expect(bomb.length).toBeLessThan(65536);
    const r1 = await post(cli, bomb, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(r1.status).toBe(413);
    const r2 = await post(cli, Buffer.alloc(100_000, 0x0a), { 'content-type': 'application/x-protobuf' }).catch(() => undefined);
    // The answer may race the upload; when it arrives it is 413.
    if (r2 !== undefined) expect(r2.status).toBe(413);
    const m = await scrape(cli);
    expect(m.sum('llmtail_requests_total')).toBe(0);
    expect(m.get('llmtail_otlp_requests_total', { result: 'too_large' })).toBeGreaterThanOrEqual(1);
  });

  it('follows the /ingest exposure rule: off loopback it needs basic auth, and then asks for it', async () => {
    const refused = await runCli(['run', '--web.enable-otlp', '--web.listen-address', '0.0.0.0:0', '--gpu', 'off']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('POST /v1/traces would let anyone');
    const bcrypt = (await import('bcryptjs')).default;
    writeFileSync(path.join(dir, 'web.yaml'), `basic_auth_users:\n  vllm: ${bcrypt.hashSync('s3cret', 4)}\n`);
    const cli = await sidecar(['--web.config.file', path.join(dir, 'web.yaml')]);
    expect((await post(cli, protobuf, { 'content-type': 'application/x-protobuf' })).status).toBe(401);
    const exporter = new ProtoExporter({ url: cli.url('/v1/traces'), headers: { authorization: `Basic ${Buffer.from('vllm:s3cret').toString('base64')}` } });
    expect(await send(exporter, spans)).toEqual({ code: 0 });
    await exporter.shutdown();
  });
});

describe('--preset otlp: the OpenTelemetry Collector file exporter, one export request per line', () => {
  const fixture = fileURLToPath(new URL('../fixtures/otlp/collector-file-exporter.jsonl', import.meta.url));

  it('turns each line into as many request events as it has request spans, and counts the rest by reason', async () => {
    const r = await runCli(['replay', '--preset', 'otlp', '--default-model', 'unused', fixture]);
    expect(r.code).toBe(0);
    const m = parseExposition(r.stdout);
    expect(m.get('llmtail_requests_total', { model: 'qwen2.5-7b-instruct', status: 'success' })).toBe(3);
    // status.code ERROR wins over the finish reason; error.type names it.
    expect(m.get('llmtail_requests_total', { model: 'qwen2.5-7b-instruct', status: 'error' })).toBe(1);
    expect(m.get('llmtail_request_errors_total', { model: 'qwen2.5-7b-instruct', error_type: 'OutOfMemoryError' })).toBe(1);
    expect(m.get('llmtail_requests_total', { model: 'llama-3.1-70b', status: 'success' })).toBe(1);
    expect(m.get('llmtail_request_duration_seconds_sum', { model: 'qwen2.5-7b-instruct', status: 'success' })).toBeCloseTo(1.875 + 3.75 + 1.0, 9);
    expect(m.get('llmtail_time_to_first_token_seconds_sum', { model: 'qwen2.5-7b-instruct', status: 'success' })).toBeCloseTo(0.375 + 0.75 + 0.125, 9);
    expect(m.sum('llmtail_prompt_tokens_total')).toBe(28 + 1024 + 4096 + 100 + 10);
    expect(m.sum('llmtail_completion_tokens_total')).toBe(67 + 512 + 1 + 200 + 20);
    // Event time is the span's end: the latest request (cmpl-4) ended at T0 + 5 s + 2.75 s.
    expect(m.get('llmtail_last_event_timestamp_seconds')).toBeCloseTo(1_767_225_607.75, 3);
    expect(m.get('llmtail_lines_total', { result: 'ok' })).toBe(2);
    expect(m.get('llmtail_lines_total', { result: 'empty' })).toBe(1);
    expect(m.get('llmtail_lines_total', { result: 'invalid' })).toBe(1);
    expect(m.get('llmtail_lines_total', { result: 'unmapped' })).toBe(1);
    expect(m.get('llmtail_otlp_spans_total', { result: 'request' })).toBe(5);
    expect(m.get('llmtail_otlp_spans_total', { result: 'not_request' })).toBe(1);
    expect(m.get('llmtail_otlp_spans_total', { result: 'rejected' })).toBe(1);
  });

  it('is followed by `run` like any log, with the same counts as replay, and /readyz with OTLP alone is ready', async () => {
    const cli = await sidecar(['--preset', 'otlp', '--input', fixture, '--from-beginning']);
    const replayed = parseExposition((await runCli(['replay', '--preset', 'otlp', fixture])).stdout);
    await expect.poll(async () => (await scrape(cli)).get('llmtail_otlp_spans_total', { result: 'request' }), { timeout: 10_000 }).toBe(5);
    expect(requestFamilies(await scrape(cli))).toEqual(requestFamilies(replayed));
    const alone = await sidecar();
    expect((await fetch(alone.url('/readyz'))).status).toBe(200);
  });

  it('reads spans another server names differently through span_mapping in the config, no code', async () => {
    writeFileSync(
      path.join(dir, 'c.yaml'),
      [
        'span_mapping:',
        '  match: [{ "attributes.vllm.batch_size": { present: true } }]',
        '  fields:',
        '    model: { path: scope.name }',
        '    e2e_latency: { path: duration_seconds }',
        '',
      ].join('\n'),
    );
    const r = await runCli(['replay', '--preset', 'otlp', '--config', path.join(dir, 'c.yaml'), fixture]);
    const m = parseExposition(r.stdout);
    expect(m.sum('llmtail_requests_total')).toBe(1);
    expect(m.sum('llmtail_request_duration_seconds_sum', { model: 'vllm.llm_engine' })).toBeCloseTo(0.01, 9);
    expect(m.get('llmtail_otlp_spans_total', { result: 'not_request' })).toBe(5);
  });
});
