import { describe, expect, it } from 'vitest';
import type { ValueLimits } from '../../src/events/compile.js';
import { Decoder } from '../../src/events/decoder.js';
import type { InferenceEvent } from '../../src/events/event.js';
import { mappingSpecSchema } from '../../src/events/mapping-spec.js';
import { PRESET_NAMES, PRESETS, type PresetName } from '../../src/events/presets.js';
import { LINE_RESULTS, LineStats, type LineResult } from '../../src/pipeline/line-stats.js';

const LIMITS: ValueLimits = { maxDurationSeconds: 86_400, maxTokens: 10_000_000, maxBytes: 2 ** 44 };
const DEFAULT_MODEL = 'the-default-model';

function decoder(preset: PresetName | 'auto'): { d: Decoder; stats: LineStats } {
  const stats = new LineStats();
  return { d: new Decoder({ preset, limits: LIMITS, defaultModel: DEFAULT_MODEL }, stats), stats };
}

function result(stats: LineStats, r: LineResult): number {
  return stats.results[LINE_RESULTS.indexOf(r)] as number;
}

/** Decode one line and require that it was counted as a request with no dropped field. */
function decodeRequest(preset: PresetName | 'auto', line: string): InferenceEvent {
  const { d, stats } = decoder(preset);
  const event = d.decode(line);
  expect(event, `${preset}: ${line}`).toBeDefined();
  expect(result(stats, 'ok')).toBe(1);
  expect(stats.total()).toBe(1);
  expect([...stats.fieldProblemEntries()]).toEqual([]);
  return event as InferenceEvent;
}

/** Decode one line and require that it was counted as not a request. */
function expectUnmapped(preset: PresetName | 'auto', line: string): void {
  const { d, stats } = decoder(preset);
  expect(d.decode(line), `${preset}: ${line}`).toBeUndefined();
  expect(result(stats, 'unmapped')).toBe(1);
  expect(stats.total()).toBe(1);
}

const EXPECTED: Record<PresetName, InferenceEvent> = {
  openai: {
    timestamp: 1735689234,
    requestId: 'chatcmpl-9x',
    model: 'qwen2.5-7b-instruct',
    status: 'success',
    finishReason: 'stop',
    e2eSeconds: 1.15,
    ttftSeconds: 0.32,
    promptTokens: 28,
    completionTokens: 67,
    // Not logged: derived as (e2e − TTFT) / (completion − 1).
    tpotSeconds: (1.15 - 0.32) / 66,
  },
  nested: {
    timestamp: 1735689234,
    level: 'INFO',
    requestId: 'req_abc123xyz',
    model: 'qwen2.5-7b-instruct',
    status: 'success',
    output: '{"code": "…"}',
    promptTokens: 28,
    completionTokens: 67,
    ttftSeconds: 0.32,
    e2eSeconds: 1.15,
    tpotSeconds: (1.15 - 0.32) / 66,
    device: 'cuda:0',
    jsonMode: true,
  },
  tgi: {
    timestamp: expect.closeTo(1767608627.186553, 6) as number,
    level: 'INFO',
    model: DEFAULT_MODEL,
    status: 'success',
    // Error details are read only for requests that did not succeed: no errorMessage here.
    endpoint: 'generate',
    e2eSeconds: expect.closeTo(1.760978711, 12) as number,
    queueSeconds: expect.closeTo(120.393e-6, 15) as number,
    inferenceSeconds: expect.closeTo(1.754210493, 12) as number,
    // Logged by TGI, so taken as is rather than derived.
    tpotSeconds: expect.closeTo(0.011694736, 14) as number,
    // inference_time / time_per_token: 1.754210493 s / 11.694736 ms.
    completionTokens: 150,
  },
  sglang: {
    timestamp: 1767608643.7799182,
    requestId: 'b6a1f0c2d3e44f5a8b9c0d1e2f3a4b5c',
    model: DEFAULT_MODEL,
    status: 'success',
    finishReason: 'stop',
    e2eSeconds: 2.4671903590019792,
    // prefill_finished_time − request_received_ts
    ttftSeconds: expect.closeTo(1767608641.4364183 - 1767608641.3121183, 9) as number,
    queueSeconds: 0.029684219998307525,
    tpotSeconds: expect.closeTo((2.4671903590019792 - 0.1243) / 186, 9) as number,
    promptTokens: 1311,
    completionTokens: 187,
    cachedTokens: 1024,
  },
  litellm: {
    timestamp: 1767608643.7908309,
    requestId: 'chatcmpl-8c0f1e2ab3c94d5e9f7a6b5c4d3e2f10',
    model: 'qwen2.5-7b',
    status: 'success',
    finishReason: 'stop',
    e2eSeconds: expect.closeTo(1767608643.7908309 - 1767608641.301544, 9) as number,
    // A streamed response: completionStartTime − startTime.
    ttftSeconds: expect.closeTo(1767608641.487657 - 1767608641.301544, 9) as number,
    tpotSeconds: expect.closeTo((1767608643.7908309 - 1767608641.487657) / 186, 9) as number,
    promptTokens: 1311,
    completionTokens: 187,
    cachedTokens: 1024,
  },
  'envoy-ai-gateway': {
    timestamp: 1767608629.481,
    requestId: '7c6b5a49-3e2d-4c1b-9a08-f7e6d5c4b3a2',
    model: 'Qwen/Qwen2.5-7B-Instruct',
    status: 'success',
    endpoint: '/v1/chat/completions',
    e2eSeconds: 3.421,
    ttftSeconds: 0.1845,
    tpotSeconds: expect.closeTo(0.0113, 15) as number,
    promptTokens: 1702,
    completionTokens: 287,
  },
  nginx: {
    timestamp: 1767608638.221,
    requestId: '0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c',
    model: DEFAULT_MODEL,
    status: 'success',
    endpoint: '/generate',
    e2eSeconds: 1.763,
    queueSeconds: 0,
    inferenceSeconds: 1.762,
    promptTokens: 57,
    completionTokens: 150,
  },
  flat: {
    timestamp: 1743848625,
    requestId: 'req_abc123xyz',
    model: DEFAULT_MODEL,
    status: 'success',
    endpoint: '/v1/chat/completions',
    promptTokens: 1240,
    completionTokens: 320,
    e2eSeconds: 1.876,
    queueSeconds: 0.12,
    inferenceSeconds: 1.756,
    gpuMemoryBytes: 18432 * 2 ** 20,
  },
  elk: {
    timestamp: 1743848625,
    level: 'INFO',
    requestId: 'req_abc123xyz',
    model: DEFAULT_MODEL,
    status: 'success',
    e2eSeconds: 0.892,
    inferenceSeconds: 0.892,
  },
};

describe('preset examples', () => {
  it('there is an expectation for every preset', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...PRESET_NAMES].sort());
    expect(Object.keys(PRESETS).sort()).toEqual([...PRESET_NAMES].sort());
  });

  it('every preset mapping is a valid mapping spec', () => {
    for (const name of PRESET_NAMES) expect(mappingSpecSchema.safeParse(PRESETS[name].mapping).success, name).toBe(true);
  });

  describe.each(PRESET_NAMES)('%s', (name) => {
    it('decodes its example with preset auto to exact base-unit values', () => {
      expect(decodeRequest('auto', PRESETS[name].example)).toEqual(EXPECTED[name]);
    });

    it('decodes its example with the preset named explicitly to the same event', () => {
      const explicit = decodeRequest(name, PRESETS[name].example);
      expect(explicit).toEqual(EXPECTED[name]);
      expect(explicit).toEqual(decodeRequest('auto', PRESETS[name].example));
    });

    it('auto picks this preset: every other preset reads the example differently', () => {
      const own = decodeRequest(name, PRESETS[name].example);
      for (const other of PRESET_NAMES) {
        if (other === name) continue;
        const { d } = decoder(other);
        expect(d.decode(PRESETS[name].example), `${name} example under ${other}`).not.toEqual(own);
      }
    });
  });

  it('gpu_memory_mb is MiB: 18432 → 18432·2^20 bytes exactly', () => {
    expect(decodeRequest('auto', PRESETS.flat.example).gpuMemoryBytes).toBe(19_327_352_832);
  });
});

describe('auto detection order', () => {
  it('a usage object means openai even when flat markers are present too', () => {
    const e = decodeRequest('auto', '{"usage":{"prompt_tokens":5},"input_tokens":9,"total_time_ms":100}');
    expect(e.promptTokens).toBe(5);
  });

  it('metadata markers mean nested even with a TGI marker present', () => {
    const e = decodeRequest('auto', '{"target":"x","metadata":{"prompt_tokens":3,"total_latency_ms":40}}');
    expect(e.promptTokens).toBe(3);
    expect(e.e2eSeconds).toBe(0.04);
  });

  it('flat markers win over elk markers', () => {
    // flat reads total_time_ms as e2e; elk would read inference_time_ms.
    const e = decodeRequest('auto', '{"total_time_ms":500,"inference_time_ms":400,"response_length":3}');
    expect(e.e2eSeconds).toBe(0.5);
    expect(e.inferenceSeconds).toBe(0.4);
  });

  it('a JSON object with no preset marker is unmapped, not a request', () => {
    expectUnmapped('auto', '{"msg":"server started","port":8000}');
    expectUnmapped('auto', '{}');
  });
});

describe('tgi', () => {
  const startup =
    '{"timestamp":"2024-01-22T14:10:01.123456Z","level":"INFO","fields":{"message":"Connected"},"target":"text_generation_router","filename":"router/src/main.rs","line_number":262}';
  const warmup =
    '{"timestamp":"2024-01-22T14:10:00.5Z","level":"INFO","message":"Warming up model","target":"text_generation_router::main","spans":[]}';
  const errorInSpan =
    '{"timestamp":"2024-01-22T14:13:02.120386Z","level":"ERROR","fields":{"message":"Request failed during generation: Server error: CUDA out of memory"},"target":"text_generation_router::infer","filename":"router/src/infer.rs","line_number":146,"span":{"parameters":"GenerateParameters { … }","name":"generate"},"spans":[{"name":"HTTP request"},{"name":"generate"}]}';

  it('startup INFO lines with a target but no Success message are unmapped', () => {
    for (const preset of ['auto', 'tgi'] as const) {
      expectUnmapped(preset, startup);
      expectUnmapped(preset, warmup);
    }
  });

  it('an ERROR line outside a request span is unmapped', () => {
    expectUnmapped('auto', '{"timestamp":"2024-01-22T14:13:02Z","level":"ERROR","fields":{"message":"Shard 0 failed to start"},"target":"text_generation_launcher"}');
  });

  it('a WARN line inside a request span is unmapped', () => {
    expectUnmapped('tgi', '{"level":"WARN","fields":{"message":"slow"},"target":"t","span":{"name":"generate"}}');
  });

  it('an ERROR line inside a generate span is a request with status error', () => {
    for (const preset of ['auto', 'tgi'] as const) {
      const e = decodeRequest(preset, errorInSpan);
      expect(e).toEqual({
        timestamp: expect.closeTo(1705932782.120386, 6) as number,
        level: 'ERROR',
        model: DEFAULT_MODEL,
        status: 'error',
        errorType: 'error',
        errorMessage: 'Request failed during generation: Server error: CUDA out of memory',
        endpoint: 'generate',
      });
    }
  });

  it('reads duration strings in ms and µs, and the message under fields; token fields TGI never writes are not read', () => {
    const line =
      '{"timestamp":"2024-01-22T14:12:48Z","level":"INFO","fields":{"message":"Success"},"target":"text_generation_router::server","span":{"name":"generate_stream","total_time":"357.867572ms","queue_time":"49.382µs","inference_time":"356ms","time_per_token":"17.8ms","input_tokens":12,"generated_tokens":99}}';
    const e = decodeRequest('auto', line);
    expect(e.status).toBe('success');
    expect(e.endpoint).toBe('generate_stream');
    expect(e.e2eSeconds).toBeCloseTo(0.357867572, 12);
    expect(e.queueSeconds).toBeCloseTo(0.000049382, 15);
    expect(e.inferenceSeconds).toBe(0.356);
    expect(e.tpotSeconds).toBeCloseTo(0.0178, 14);
    expect(e.promptTokens).toBeUndefined();
    // 356 ms / 17.8 ms, not the generated_tokens key.
    expect(e.completionTokens).toBe(20);
    expect(e.timestamp).toBe(1705932768);
  });

  it('accepts the Greek mu as well as the micro sign', () => {
    const e = decodeRequest('tgi', '{"message":"Success","span":{"name":"generate","queue_time":"12.5μs"}}');
    expect(e.queueSeconds).toBeCloseTo(12.5e-6, 15);
  });

  it('a numeric duration where TGI writes strings is dropped as wrong_type, the request still counted', () => {
    const { d, stats } = decoder('tgi');
    const e = d.decode('{"message":"Success","span":{"name":"generate","total_time":2.5}}');
    expect(e?.e2eSeconds).toBeUndefined();
    expect(result(stats, 'ok')).toBe(1);
    expect([...stats.fieldProblemEntries()]).toEqual([['e2e_latency', 'wrong_type', 1]]);
  });
});

describe('other presets: error lines', () => {
  it('openai: an HTTP 503 with an error object', () => {
    const e = decodeRequest('auto', '{"id":"r1","model":"m","usage":{"prompt_tokens":3,"completion_tokens":0},"status_code":503,"error":{"message":"overloaded"}}');
    expect(e.status).toBe('rejected');
    expect(e.errorType).toBe('http_503');
    expect(e.errorMessage).toBe('overloaded');
  });

  it('nested: status in metadata and an ERROR level', () => {
    const e = decodeRequest('auto', '{"level":"ERROR","request_id":"x","metadata":{"prompt_tokens":3,"error_type":"oom","status":"failed"}}');
    expect(e.status).toBe('error');
    expect(e.errorType).toBe('oom');
  });

  it('flat: a timeout status word', () => {
    const e = decodeRequest('auto', '{"request_id":"x","input_tokens":5,"total_time_ms":30000,"status":"timeout","error":"deadline"}');
    expect(e.status).toBe('timeout');
    expect(e.errorType).toBe('timeout');
    expect(e.errorMessage).toBe('deadline');
  });

  it('elk: an ERROR level line without a status', () => {
    const e = decodeRequest('auto', '{"@timestamp":"2025-04-05T10:23:45Z","level":"error","response_length":0,"inference_time_ms":12,"message":"boom"}');
    expect(e.status).toBe('error');
    expect(e.timestamp).toBe(1743848625);
    expect(e.errorMessage).toBe('boom');
  });
});
