import { describe, expect, it } from 'vitest';
import { Decoder, type DecoderOptions } from '../../src/events/decoder.js';
import type { InferenceEvent } from '../../src/events/event.js';
import { LineStats } from '../../src/pipeline/line-stats.js';
import { generate, isMalformed } from '../../src/simulator/generate.js';
import { expectedEvent, formatLine, isoMicros, rustDuration, SHAPES, type Shape } from '../../src/simulator/shapes.js';
import { SIMULATED_STATUSES, TrafficModel, type SimulatedRequest } from '../../src/simulator/traffic.js';

const LIMITS = { maxDurationSeconds: 86400, maxTokens: 1e7, maxBytes: 2 ** 44 };

function decoder(preset: DecoderOptions['preset']): { decoder: Decoder; stats: LineStats } {
  const stats = new LineStats();
  return { decoder: new Decoder({ preset, defaultModel: 'unknown', limits: LIMITS }, stats), stats };
}

const DURATIONS = new Set<keyof InferenceEvent>(['e2eSeconds', 'ttftSeconds', 'queueSeconds', 'inferenceSeconds', 'tpotSeconds']);

/** Every field of the decoded event against the expectation: exact, durations to 1e-9 s, timestamps to 1 µs. */
function expectEvent(got: InferenceEvent | undefined, want: InferenceEvent, context: string): void {
  expect(got, context).toBeDefined();
  const event = got as InferenceEvent;
  const keys = new Set([...Object.keys(event), ...Object.keys(want)] as (keyof InferenceEvent)[]);
  const wrong: string[] = [];
  for (const key of keys) {
    const w = want[key];
    const g = event[key];
    const tolerance = DURATIONS.has(key) ? 1e-9 : key === 'timestamp' ? 1e-6 : undefined;
    const same = w === undefined ? g === undefined : tolerance !== undefined ? typeof g === 'number' && Math.abs(g - (w as number)) <= tolerance : g === w;
    if (!same) wrong.push(`${key}: got ${String(g)}, want ${String(w)}`);
  }
  // One assertion per event: per-field expect() calls make 60,000-event loops slow.
  expect(wrong, context).toEqual([]);
}

/** Enough traffic, bursts included, that every status and failure kind shows up. */
function sample(): SimulatedRequest[] {
  const out: SimulatedRequest[] = [];
  for (const g of generate({ lines: 6000, shape: 'flat', seed: 7, ratePerSecond: 20, burstEverySeconds: 60 })) {
    if (!isMalformed(g.truth)) out.push(g.truth);
  }
  return out;
}
const SAMPLE = sample();

describe('formatLine round-trips through the decoder', () => {
  it('covers every status and failure kind', () => {
    expect(new Set(SAMPLE.map((r) => r.status))).toEqual(new Set(SIMULATED_STATUSES));
    expect(new Set(SAMPLE.map((r) => r.errorType ?? ''))).toEqual(
      new Set(['', 'oom', 'engine_error', 'validation_error', 'timeout', 'client_disconnected', 'queue_full', 'rate_limited']),
    );
    expect(SAMPLE.some((r) => r.output === '' && r.status === 'success')).toBe(true);
    expect(SAMPLE.some((r) => r.finishReason === 'length')).toBe(true);
    expect(SAMPLE.some((r) => r.status !== 'success' && r.completionTokens >= 2)).toBe(true);
  });

  for (const shape of SHAPES) {
    for (const preset of ['auto', shape] as const) {
      it(`${shape} with preset ${preset}`, () => {
        const { decoder: d, stats } = decoder(preset);
        for (const req of SAMPLE) {
          const line = formatLine(req, shape);
          expectEvent(d.decode(line), expectedEvent(req, shape), `${shape} ${req.status} ${line}`);
        }
        // Every line counted as a request, and no field dropped as unparseable or out of range.
        expect(stats.results[0]).toBe(SAMPLE.length);
        expect(stats.total()).toBe(SAMPLE.length);
        expect([...stats.fieldProblemEntries()]).toEqual([]);
      });
    }
  }

  it('recovers the truth itself where a shape carries it', () => {
    const { decoder: d } = decoder('auto');
    for (const req of SAMPLE) {
      const flat = d.decode(formatLine(req, 'flat')) as InferenceEvent;
      expect(flat.status).toBe(req.status);
      expect(flat.requestId).toBe(req.requestId);
      expect(flat.model).toBe(req.model);
      expect(flat.promptTokens).toBe(req.promptTokens);
      expect(flat.completionTokens).toBe(req.completionTokens);
      expect(flat.errorType).toBe(req.errorType);
      expect(flat.gpuMemoryBytes).toBe(req.gpuMemoryBytes);
      expect(Math.abs((flat.e2eSeconds as number) - req.e2eSeconds)).toBeLessThanOrEqual(1e-9);
      const nested = d.decode(formatLine(req, 'nested')) as InferenceEvent;
      expect(nested.status).toBe(req.status);
      expect(nested.jsonMode).toBe(req.jsonMode);
      if (req.status === 'success') expect(nested.output).toBe(req.output);
      expect(d.decode(formatLine(req, 'openai'))?.status).toBe(req.status);
      expect(d.decode(formatLine(req, 'elk'))?.status).toBe(req.status);
      expect(d.decode(formatLine(req, 'tgi'))?.status).toBe(req.status === 'success' ? 'success' : 'error');
    }
  });

  it('decodes mixed-shape streams with auto detection', () => {
    const { decoder: d, stats } = decoder('auto');
    let n = 0;
    for (const g of generate({ lines: 3000, shape: 'mixed', seed: 11, burstEverySeconds: 30 })) {
      if (isMalformed(g.truth) || g.shape === undefined) throw new Error('no malformed lines asked for');
      expectEvent(d.decode(g.line), expectedEvent(g.truth, g.shape), `${g.shape} ${g.line}`);
      n++;
    }
    expect(stats.results[0]).toBe(n);
  });
});

describe('line format', () => {
  it('writes millisecond fields with at most 3 decimals and keeps lines small', () => {
    for (const shape of SHAPES) {
      for (const req of SAMPLE.slice(0, 2000)) {
        const line = formatLine(req, shape);
        expect(line).not.toContain('\n');
        expect(Buffer.byteLength(line)).toBeLessThan(800);
        for (const m of line.matchAll(/"(\w+_ms)":(-?[\d.e+-]+)/g)) expect(m[2], `${shape} ${m[1]}`).toMatch(/^\d+(\.\d{1,3})?$/);
      }
    }
  });

  it('is a pure function of the request', () => {
    const req = new TrafficModel({ seed: 1 }).next(Date.UTC(2025, 3, 5, 10, 23, 45, 123) + 0.456);
    for (const shape of SHAPES) expect(formatLine(req, shape)).toBe(formatLine(structuredClone(req), shape));
    expect(formatLine(req, 'flat')).toContain('"timestamp":"2025-04-05T10:23:45.123456Z"');
  });

  it('prints durations like Rust Debug for Duration', () => {
    expect(rustDuration(2_318_094_406)).toBe('2.318094406s');
    expect(rustDuration(1e9)).toBe('1s');
    expect(rustDuration(1_500_000_000)).toBe('1.5s');
    expect(rustDuration(60_000_000_000)).toBe('60s');
    expect(rustDuration(23_178_469)).toBe('23.178469ms');
    expect(rustDuration(1_000_000)).toBe('1ms');
    expect(rustDuration(45_262)).toBe('45.262µs');
    expect(rustDuration(1_000)).toBe('1µs');
    expect(rustDuration(999)).toBe('999ns');
    expect(rustDuration(0)).toBe('0ns');
    expect(rustDuration(1_000_000_001)).toBe('1.000000001s');
  });

  it('writes ISO timestamps with microseconds', () => {
    expect(isoMicros(1735689600.000001)).toBe('2025-01-01T00:00:00.000001Z');
    expect(isoMicros(1735689600.123456)).toBe('2025-01-01T00:00:00.123456Z');
    expect(isoMicros(1735689600)).toBe('2025-01-01T00:00:00.000000Z');
  });

  it('matches each preset example in structure', () => {
    const req = SAMPLE.find((r) => r.status === 'success' && r.ttftSeconds !== undefined) as SimulatedRequest;
    const keys = (shape: Shape): string[] => Object.keys(JSON.parse(formatLine(req, shape)) as object);
    expect(keys('flat')).toEqual(expect.arrayContaining(['timestamp', 'request_id', 'method', 'path', 'input_tokens', 'output_tokens', 'total_time_ms', 'queue_time_ms', 'inference_time_ms', 'gpu_memory_mb', 'status']));
    expect(keys('nested')).toEqual(expect.arrayContaining(['timestamp', 'level', 'request_id', 'model', 'input', 'output', 'metadata']));
    expect(keys('elk')).toEqual(['timestamp', 'level', 'request_id', 'prompt', 'response_length', 'inference_time_ms', 'status']);
    expect(keys('tgi')).toEqual(['timestamp', 'level', 'message', 'target', 'filename', 'line_number', 'span', 'spans']);
    expect(keys('openai')).toEqual(expect.arrayContaining(['id', 'created', 'model', 'usage', 'latency_ms', 'ttft_ms', 'status_code', 'choices']));
  });
});
