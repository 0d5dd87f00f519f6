/**
 * OpenTelemetry input figures: spans per second through POST /v1/traces of the real CLI (protobuf
 * and JSON, 512 spans per export as a BatchSpanProcessor sends them), the sidecar's CPU per span
 * (from /proc, the sidecar process alone), and the in-process cost per span of decode + pipeline
 * for each encoding and for `--preset otlp` lines, next to the one-request-per-line path.
 */
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { performance } from 'node:perf_hooks';
import { configSchema } from '../src/config/schema.js';
import { decodeTraceRequestJson } from '../src/events/spans/otlp-json.js';
import { decodeTraceRequestProtobuf } from '../src/events/spans/otlp-protobuf.js';
import { createLogger } from '../src/log/logger.js';
import { Sidecar } from '../src/sidecar.js';
import { cpuTicks, startSidecar } from './tailing.js';
import { vllmRequests, vllmSpans } from './vllm-spans.js';

const SPANS_PER_EXPORT = 512;

export interface OtlpBenchResult {
  protobuf_bytes_per_span: number;
  json_bytes_per_span: number;
  /** In-process: decode + every consumer, per span (µs). */
  protobuf_decode_pipeline_us_per_span: number;
  json_decode_pipeline_us_per_span: number;
  otlp_line_us_per_span: number;
  /** Through HTTP to the CLI: spans/s and the sidecar's CPU per span (µs). */
  receiver_protobuf_spans_per_second: number;
  receiver_protobuf_cpu_us_per_span: number;
  receiver_json_spans_per_second: number;
  receiver_json_cpu_us_per_span: number;
}

function bodies(): { protobuf: Buffer; json: Buffer } {
  const spans = vllmSpans(vllmRequests(SPANS_PER_EXPORT, 11), { 'gen_ai.request.model': 'qwen2.5-7b-instruct' });
  return {
    protobuf: Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array),
    json: Buffer.from(JsonTraceSerializer.serializeRequest(spans) as Uint8Array),
  };
}

/** Best of `rounds` timings of `exports` bodies through decode and a default pipeline, µs/span. */
function inProcess(decode: (sidecar: Sidecar) => void, exports: number, rounds: number): number {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const sidecar = new Sidecar(configSchema.parse({}), createLogger('error', 'json'), { processMetrics: false, gpu: false });
    const t0 = performance.now();
    for (let i = 0; i < exports; i++) decode(sidecar);
    best = Math.min(best, performance.now() - t0);
  }
  return (best * 1000) / (exports * SPANS_PER_EXPORT);
}

/** `exports` bodies POSTed by `concurrency` clients to a fresh CLI; its CPU from /proc. */
async function receiver(body: Buffer, contentType: string, exports: number, concurrency: number): Promise<{ spansPerSecond: number; cpuUsPerSpan: number }> {
  const { proc, port } = await startSidecar(['--web.enable-otlp', '--gpu', 'off'], { LLMTAIL_WEB_OTLP_MAX_REQUESTS_PER_SECOND: '1000000' });
  try {
    const url = `http://127.0.0.1:${port}/v1/traces`;
    const post = async () => {
      const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': contentType } });
      if (res.status !== 200) throw new Error(`export answered ${res.status}`);
      await res.arrayBuffer();
    };
    for (let i = 0; i < 20; i++) await post(); // warm up the JIT
    const before = cpuTicks(proc.pid as number);
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < exports) {
          next++;
          await post();
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpuSeconds = (cpuTicks(proc.pid as number) - before) / 100;
    const spans = exports * SPANS_PER_EXPORT;
    return { spansPerSecond: spans / seconds, cpuUsPerSpan: (cpuSeconds * 1e6) / spans };
  } finally {
    proc.kill('SIGTERM');
  }
}

export async function otlpBench(exports = 200, rounds = 3): Promise<OtlpBenchResult> {
  const { protobuf, json } = bodies();
  const line = `${json.toString('utf8')}\n`;
  const lineBuffer = Buffer.from(line.repeat(10));
  const protobufUs = inProcess((s) => s.pipeline.spans(decodeTraceRequestProtobuf(protobuf).spans), exports, rounds);
  const jsonUs = inProcess((s) => s.pipeline.spans(decodeTraceRequestJson(JSON.parse(json.toString('utf8'))).spans), exports, rounds);
  let otlpLineBest = Infinity;
  for (let r = 0; r < rounds; r++) {
    const sidecar = new Sidecar(configSchema.parse({ preset: 'otlp', lines: { max_bytes: 1 << 26 } }), createLogger('error', 'json'), { processMetrics: false, gpu: false });
    const splitter = sidecar.pipeline.splitter();
    const t0 = performance.now();
    for (let i = 0; i < exports / 10; i++) splitter.push(lineBuffer);
    otlpLineBest = Math.min(otlpLineBest, performance.now() - t0);
  }
  const proto = await receiver(protobuf, 'application/x-protobuf', exports, 4);
  const js = await receiver(json, 'application/json', exports, 4);
  return {
    protobuf_bytes_per_span: Math.round(protobuf.length / SPANS_PER_EXPORT),
    json_bytes_per_span: Math.round(json.length / SPANS_PER_EXPORT),
    protobuf_decode_pipeline_us_per_span: round2(protobufUs),
    json_decode_pipeline_us_per_span: round2(jsonUs),
    otlp_line_us_per_span: round2((otlpLineBest * 1000) / (exports * SPANS_PER_EXPORT)),
    receiver_protobuf_spans_per_second: Math.round(proto.spansPerSecond),
    receiver_protobuf_cpu_us_per_span: round2(proto.cpuUsPerSpan),
    receiver_json_spans_per_second: Math.round(js.spansPerSecond),
    receiver_json_cpu_us_per_span: round2(js.cpuUsPerSpan),
  };
}

const round2 = (n: number) => Number(n.toFixed(2));

export function formatOtlpBench(r: OtlpBenchResult, lineUs: number): string {
  return [
    `OTLP spans (vLLM llm_request, ${SPANS_PER_EXPORT} per export; ${r.protobuf_bytes_per_span} B/span protobuf, ${r.json_bytes_per_span} B/span JSON):`,
    `  decode + pipeline, in process: protobuf ${r.protobuf_decode_pipeline_us_per_span} µs/span, JSON ${r.json_decode_pipeline_us_per_span} µs/span, --preset otlp line ${r.otlp_line_us_per_span} µs/span`,
    `  POST /v1/traces (CLI, 4 clients): protobuf ${r.receiver_protobuf_spans_per_second.toLocaleString('en-US')} spans/s at ${r.receiver_protobuf_cpu_us_per_span} µs CPU/span; JSON ${r.receiver_json_spans_per_second.toLocaleString('en-US')} spans/s at ${r.receiver_json_cpu_us_per_span} µs CPU/span`,
    `  one-request-per-line file path (replay): ${lineUs.toFixed(2)} µs/line`,
    '',
  ].join('\n');
}
