import { describe, expect, it } from 'vitest';
import { DEFAULT_START_MS } from '../../src/simulator/generate.js';
import { micros, SIMULATED_STATUSES, TrafficModel, type SimulatedRequest, type TrafficOptions } from '../../src/simulator/traffic.js';

/** `n` requests, one every `gapMs` of simulated time. */
function run(options: TrafficOptions, n: number, gapMs = 50): SimulatedRequest[] {
  const model = new TrafficModel(options);
  return Array.from({ length: n }, (_, i) => model.next(DEFAULT_START_MS + i * gapMs));
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const failureRate = (reqs: SimulatedRequest[]): number => reqs.filter((r) => r.status !== 'success').length / reqs.length;

describe('TrafficModel', () => {
  it('is deterministic from the seed', () => {
    expect(run({ seed: 42 }, 500)).toEqual(run({ seed: 42 }, 500));
    expect(run({ seed: 43 }, 50)).not.toEqual(run({ seed: 42 }, 50));
  });

  it('keeps every request internally consistent', () => {
    for (const r of run({ seed: 1, burstEverySeconds: 60 }, 8000)) {
      expect(SIMULATED_STATUSES).toContain(r.status);
      // Whole microseconds, e2e = queue + inference exactly in µs.
      for (const s of [r.queueSeconds, r.inferenceSeconds, r.e2eSeconds, r.timestamp]) expect(micros(s) / 1e6).toBe(s);
      expect(micros(r.e2eSeconds)).toBe(micros(r.queueSeconds) + micros(r.inferenceSeconds));
      expect(r.queueSeconds).toBeGreaterThanOrEqual(0);
      expect(r.inferenceSeconds).toBeGreaterThanOrEqual(0);
      if (r.ttftSeconds !== undefined) {
        expect(r.ttftSeconds).toBeGreaterThan(r.queueSeconds);
        expect(r.ttftSeconds).toBeLessThanOrEqual(r.e2eSeconds);
        expect(r.completionTokens).toBeGreaterThanOrEqual(1);
      } else {
        expect(r.completionTokens).toBe(0);
      }
      if (r.completionTokens >= 2 && r.ttftSeconds !== undefined) {
        expect(r.tpotSeconds).toBe((r.e2eSeconds - r.ttftSeconds) / (r.completionTokens - 1));
      } else {
        expect(r.tpotSeconds).toBeUndefined();
      }
      expect(r.completionTokens).toBeLessThanOrEqual(r.maxTokens);
      expect(r.gpuMemoryBytes).toBe(r.gpuMemoryMiB * 1048576);
      expect(r.device).toMatch(/^cuda:[01]$/);
      expect(r.requestId).toMatch(/^req_[0-9a-z]{16}$/);
      if (r.status === 'success') {
        expect(r.errorType).toBeUndefined();
        expect(r.errorMessage).toBeUndefined();
        expect(r.finishReason === 'stop' || r.finishReason === 'length').toBe(true);
        expect(r.httpStatus).toBe(200);
        if (r.tpotSeconds !== undefined) {
          expect(r.tpotSeconds).toBeGreaterThan(0.015);
          expect(r.tpotSeconds).toBeLessThan(0.07);
        }
      } else {
        expect(r.errorType).toBeTruthy();
        expect(r.errorMessage).toBeTruthy();
        expect(r.output).toBe('');
        expect({ error: [500], timeout: [504], cancelled: [499], rejected: [429, 503] }[r.status]).toContain(r.httpStatus);
      }
      if (r.status === 'timeout') expect(r.e2eSeconds).toBeGreaterThanOrEqual(60);
      if (r.errorType === 'validation_error') expect(r.promptTokens + r.maxTokens).toBeGreaterThan(8192);
    }
  });

  it('draws Qwen-like traffic', () => {
    const reqs = run({ seed: 2, burstEverySeconds: 0 }, 20000);
    const ok = reqs.filter((r) => r.status === 'success');
    expect(median(reqs.map((r) => r.promptTokens))).toBeGreaterThan(520);
    expect(median(reqs.map((r) => r.promptTokens))).toBeLessThan(680);
    expect(Math.max(...reqs.map((r) => r.promptTokens))).toBeGreaterThan(8000);
    expect(Math.max(...reqs.map((r) => r.promptTokens))).toBeLessThanOrEqual(16000);
    expect(median(ok.map((r) => r.completionTokens))).toBeGreaterThan(150);
    expect(median(ok.map((r) => r.completionTokens))).toBeLessThan(210);
    const share = (name: string): number => reqs.filter((r) => r.model === name).length / reqs.length;
    expect(share('Qwen/Qwen2.5-7B-Instruct')).toBeCloseTo(0.6, 1);
    expect(share('Qwen/Qwen2.5-14B-Instruct')).toBeCloseTo(0.3, 1);
    expect(share('Qwen/Qwen2.5-Coder-7B-Instruct')).toBeCloseTo(0.1, 1);
    // Bigger model, slower decode; longer prompt, longer prefill.
    const tpot = (name: string): number => median(ok.filter((r) => r.model === name && r.tpotSeconds !== undefined).map((r) => r.tpotSeconds as number));
    expect(tpot('Qwen/Qwen2.5-14B-Instruct')).toBeGreaterThan(tpot('Qwen/Qwen2.5-7B-Instruct') * 1.2);
    const prefill = (r: SimulatedRequest): number => (r.ttftSeconds as number) - r.queueSeconds;
    const short = ok.filter((r) => r.promptTokens < 300 && r.model.includes('7B'));
    const long = ok.filter((r) => r.promptTokens > 4000 && r.model.includes('7B'));
    expect(median(long.map(prefill))).toBeGreaterThan(median(short.map(prefill)) * 5);
    // Baseline: about 0.5 % failures, a few empty outputs, ~1 % malformed JSON in JSON mode.
    expect(failureRate(reqs)).toBeGreaterThan(0.002);
    expect(failureRate(reqs)).toBeLessThan(0.012);
    const empty = ok.filter((r) => r.output === '').length / ok.length;
    expect(empty).toBeGreaterThan(0.0005);
    expect(empty).toBeLessThan(0.008);
    const json = ok.filter((r) => r.jsonMode && r.output !== '');
    expect(json.length).toBeGreaterThan(2000);
    expect(json.filter((r) => r.malformedJson).length / json.length).toBeLessThan(0.03);
    expect(json.some((r) => r.malformedJson)).toBe(true);
    for (const r of json) expect(r.malformedJson).toBe(!parses(r.output));
  });

  it('queues longer under load', () => {
    const queue = (load: number): number => {
      const model = new TrafficModel({ seed: 3, burstEverySeconds: 0 });
      return median(Array.from({ length: 4000 }, (_, i) => model.next(DEFAULT_START_MS + i, load).queueSeconds));
    };
    expect(queue(0.9)).toBeGreaterThan(queue(0.1) * 10);
  });

  it('has error bursts that are reproducible and visibly above baseline', () => {
    const options = { seed: 9, burstEverySeconds: 120 };
    const reqs = run(options, 24000); // 20 simulated minutes at 20/s
    const inBurst = reqs.filter((r) => r.inBurst);
    const outside = reqs.filter((r) => !r.inBurst);
    expect(inBurst.length).toBeGreaterThan(1000);
    expect(failureRate(inBurst)).toBeGreaterThan(0.25);
    expect(failureRate(outside)).toBeLessThan(0.015);
    expect(failureRate(inBurst)).toBeGreaterThan(failureRate(outside) * 20);
    // Burst failures are mostly OOM, with realistic varying messages.
    const oom = inBurst.filter((r) => r.errorType === 'oom');
    expect(oom.length).toBeGreaterThan(100);
    expect(new Set(oom.map((r) => r.errorMessage)).size).toBeGreaterThan(oom.length * 0.9);
    for (const r of oom) expect(r.errorMessage).toMatch(/^CUDA out of memory\. Tried to allocate \d+\.\d\d GiB/);
    // Same seed, same burst windows.
    const again = run(options, 24000);
    expect(again.map((r) => r.inBurst)).toEqual(reqs.map((r) => r.inBurst));
    const windows = (m: TrafficModel): boolean[] => Array.from({ length: 1200 }, (_, s) => m.inBurst(DEFAULT_START_MS + s * 1000));
    const m1 = new TrafficModel(options);
    const m2 = new TrafficModel({ ...options, jsonModeRate: 0.5 });
    m1.next(DEFAULT_START_MS);
    m2.next(DEFAULT_START_MS);
    expect(windows(m2)).toEqual(windows(m1));
    expect(windows(m1).filter(Boolean).length).toBeGreaterThan(80);
  });

  it('can be forced into a burst and disabled', () => {
    const model = new TrafficModel({ seed: 4, burstEverySeconds: 0 });
    const t0 = DEFAULT_START_MS;
    const before = Array.from({ length: 2000 }, (_, i) => model.next(t0 + i));
    expect(before.some((r) => r.inBurst)).toBe(false);
    model.forceBurst(2000);
    const during = Array.from({ length: 1000 }, (_, i) => model.next(t0 + 2000 + i * 2));
    expect(during.every((r) => r.inBurst)).toBe(true);
    expect(failureRate(during)).toBeGreaterThan(0.3);
    expect(model.next(t0 + 4001).inBurst).toBe(false);

    // Forced before the first request: starts with it.
    const fresh = new TrafficModel({ seed: 4, burstEverySeconds: 0 });
    fresh.forceBurst(1000);
    expect(fresh.next(t0 + 5000).inBurst).toBe(true);
    expect(fresh.next(t0 + 6000).inBurst).toBe(false);
  });

  it('takes custom models and GPU counts', () => {
    const reqs = run({ seed: 5, models: [{ name: 'meta-llama/Llama-3.1-70B-Instruct', weight: 1 }], gpus: 4 }, 3000);
    expect(new Set(reqs.map((r) => r.model))).toEqual(new Set(['meta-llama/Llama-3.1-70B-Instruct']));
    expect(new Set(reqs.map((r) => r.device))).toEqual(new Set(['cuda:0', 'cuda:1', 'cuda:2', 'cuda:3']));
  });
});

function parses(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}
